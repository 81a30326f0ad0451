// fetchUserInfo against the real authorization server (oidc-provider), with access tokens from a real sign-in
// (the login and consent forms driven by HTTP): JSON, signed, encrypted and DPoP-bound UserInfo responses. The
// server requires DPoP nonces here, so a DPoP-bound call meets a real `use_dpop_nonce` challenge at the UserInfo
// endpoint. openid-client 6.9.0 is given the same tokens: it must read the same claims.

import * as oc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import { DEMO_ACCOUNT, loginForCallbackUrl } from '../support/login.js'
import {
  authorizationRequest,
  configFor,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import { rejection } from '../support/expect.js'

let server: AuthorizationServer

beforeAll(async () => {
  server = await startAuthorizationServer({ requireDPoPNonce: true })
})
afterAll(() => server?.close())

const ALICE = { sub: DEMO_ACCOUNT, email: 'alice@example.test', email_verified: true, name: 'Alice Liddell' }

/**
 * openid-client's UserInfo result for a second request of the same token is ours but for `iat`: the server signs
 * each response afresh, and the two requests may fall in different seconds. Every other claim must be equal, and
 * `iat` may only have moved forward by a few seconds.
 */
function expectSameClaims(theirs: Record<string, unknown>, ours: Record<string, unknown>): void {
  const { iat: theirIat, ...theirRest } = theirs
  const { iat: ourIat, ...ourRest } = ours
  expect(theirRest).toEqual(ourRest)
  expect(typeof ourIat).toBe('number')
  expect(theirIat as number).toBeGreaterThanOrEqual(ourIat as number)
  expect(theirIat as number).toBeLessThanOrEqual((ourIat as number) + 5)
}

/** Signs alice in with code + PKCE and resolves to the token response. */
async function signIn(config: gl.Configuration, options?: gl.DPoPOptions) {
  const { checks, parameters } = await authorizationRequest({ scope: 'openid email profile' })
  const callback = await loginForCallbackUrl(gl.buildAuthorizationUrl(config, parameters))
  return gl.authorizationCodeGrant(config, callback, checks, undefined, options)
}

/** Records the content-type of every UserInfo response a Configuration receives. */
function watchContentTypes(config: gl.Configuration): string[] {
  const seen: string[] = []
  config[gl.customFetch] = async (url, init) => {
    const response = await fetch(url, init as RequestInit)
    if (url.includes('/me')) seen.push(response.headers.get('content-type') ?? '')
    return response
  }
  return seen
}

/** openid-client's Configuration for the same client, to read the same token. */
function oracleConfig(clientId: string, metadata: Record<string, unknown> = {}): oc.Configuration {
  const client = server.clients[clientId]!
  const config = new oc.Configuration(
    server.metadata as oc.ServerMetadata,
    clientId,
    { ...(client.clientSecret ? { client_secret: client.clientSecret } : {}), ...metadata },
    oc.ClientSecretBasic(),
  )
  oc.allowInsecureRequests(config)
  return config
}

describe('fetchUserInfo against oidc-provider', () => {
  it('JSON: alice’s claims for the scopes she consented to, the same as openid-client reads', async () => {
    const config = configFor(server, 'web', gl.ClientSecretBasic())
    const contentTypes = watchContentTypes(config)
    const tokens = await signIn(config)
    const sub = tokens.claims()!.sub
    const claims = await gl.fetchUserInfo(config, tokens.access_token, sub)
    expect(claims).toEqual(ALICE)
    expect(contentTypes[0]).toMatch(/^application\/json/)
    expect(gl.getDecryptedResponses(claims)).toBeUndefined()

    expect(await oc.fetchUserInfo(oracleConfig('web'), tokens.access_token, sub)).toEqual(claims)
  })

  it('JSON: another expected subject is refused; a revoked token is a 401 challenge', async () => {
    const config = configFor(server, 'web', gl.ClientSecretBasic())
    const tokens = await signIn(config)
    const wrong = await rejection(gl.fetchUserInfo(config, tokens.access_token, 'bob'))
    expect(wrong).toBeInstanceOf(gl.ClientError)
    expect(wrong.code).toBe('OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')

    await gl.tokenRevocation(config, tokens.access_token)
    const revoked = await rejection(gl.fetchUserInfo(config, tokens.access_token, DEMO_ACCOUNT))
    expect(revoked).toBeInstanceOf(gl.WWWAuthenticateChallengeError)
    expect(revoked.status).toBe(401)
    expect((revoked.cause as gl.WWWAuthenticateChallenge[])[0]).toMatchObject({
      scheme: 'bearer',
      parameters: { error: 'invalid_token' },
    })
    expect(revoked.message).not.toContain(tokens.access_token)
  })

  it('signed (userinfo_signed_response_alg ES256): the JWT’s claims, signature checked with the issuer’s JWKS', async () => {
    const config = configFor(server, 'userinfo-jwt', gl.ClientSecretBasic(), {
      userinfo_signed_response_alg: 'ES256',
    })
    gl.enableNonRepudiationChecks(config)
    const contentTypes = watchContentTypes(config)
    const tokens = await signIn(config)
    const claims = await gl.fetchUserInfo(config, tokens.access_token, DEMO_ACCOUNT)
    expect(claims).toMatchObject({ ...ALICE, iss: server.issuer, aud: 'userinfo-jwt' })
    expect(contentTypes[0]).toMatch(/^application\/jwt/)

    const oracle = oracleConfig('userinfo-jwt', { userinfo_signed_response_alg: 'ES256' })
    oc.enableNonRepudiationChecks(oracle)
    expectSameClaims(await oc.fetchUserInfo(oracle, tokens.access_token, DEMO_ACCOUNT), claims)
  })

  it('signed, without the client metadata saying so: the JWT the server sends is still read', async () => {
    const config = configFor(server, 'userinfo-jwt', gl.ClientSecretBasic())
    const tokens = await signIn(config)
    const claims = await gl.fetchUserInfo(config, tokens.access_token, gl.skipSubjectCheck)
    expect(claims).toMatchObject(ALICE)
  })

  it('encrypted (signed, then encrypted to the client): decrypted, checked, getDecryptedResponses gives the JWS', async () => {
    const { decryptionKey } = server.clients['encrypted']!
    const key = decryptionKey!
    const config = configFor(server, 'encrypted', gl.ClientSecretBasic(), {
      userinfo_signed_response_alg: 'RS256',
    })
    gl.enableDecryptingResponses(config, [key.enc], { key: key.key, kid: key.kid, alg: key.alg })
    gl.enableNonRepudiationChecks(config)
    const tokens = await signIn(config)
    const claims = await gl.fetchUserInfo(config, tokens.access_token, DEMO_ACCOUNT)
    expect(claims).toMatchObject({ ...ALICE, iss: server.issuer, aud: 'encrypted' })
    const jws = gl.getDecryptedResponses(claims)
    expect(typeof jws).toBe('string')
    const [header, payload, signature] = (jws as string).split('.')
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'RS256' })
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual(claims)
    expect(signature!.length).toBeGreaterThan(300)

    const oracle = oracleConfig('encrypted', { userinfo_signed_response_alg: 'RS256' })
    oc.enableDecryptingResponses(oracle, [key.enc], { key: key.key, kid: key.kid, alg: key.alg })
    const theirs = await oc.fetchUserInfo(oracle, tokens.access_token, DEMO_ACCOUNT)
    expectSameClaims(theirs, claims)
    // Their record is the JWS of their own response, signed by the server as ours was (same header, same key).
    const theirJws = oc.getDecryptedResponses(theirs) as string
    const [theirHeader, theirPayload] = theirJws.split('.')
    expect(theirHeader).toBe(header)
    expect(JSON.parse(Buffer.from(theirPayload!, 'base64url').toString())).toEqual(theirs)
  })

  it('encrypted, without decryption configured: OAUTH_UNSUPPORTED_OPERATION, as openid-client', async () => {
    const config = configFor(server, 'encrypted', gl.ClientSecretBasic())
    const { decryptionKey } = server.clients['encrypted']!
    // the ID Token is encrypted too: decrypt for the sign-in, then ask with a Configuration that cannot
    gl.enableDecryptingResponses(config, [decryptionKey!.enc], {
      key: decryptionKey!.key,
      kid: decryptionKey!.kid,
      alg: decryptionKey!.alg,
    })
    const tokens = await signIn(config)
    const plain = configFor(server, 'encrypted', gl.ClientSecretBasic())
    const err = await rejection(gl.fetchUserInfo(plain, tokens.access_token, DEMO_ACCOUNT))
    expect(err).toBeInstanceOf(gl.ClientError)
    expect(err.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
  })

  it('DPoP-bound: the nonce challenge is answered once, the claims come back; Bearer use is refused', async () => {
    const config = configFor(server, 'dpop')
    const DPoP = gl.getDPoPHandle(config, await gl.randomDPoPKeyPair())
    const tokens = await signIn(config, { DPoP })
    expect(tokens.token_type).toBe('dpop')

    // A handle with another key: past the nonce challenge, the server refuses a token bound to another key.
    const fresh = gl.getDPoPHandle(config, await gl.randomDPoPKeyPair())
    const wrongKey = await rejection(
      gl.fetchUserInfo(config, tokens.access_token, DEMO_ACCOUNT, { DPoP: fresh }),
    )
    expect(wrongKey).toBeInstanceOf(gl.WWWAuthenticateChallengeError)
    expect((wrongKey.cause as gl.WWWAuthenticateChallenge[])[0]).toMatchObject({
      scheme: 'dpop',
      parameters: { error: 'invalid_token' },
    })

    const before = server.requests.length
    const claims = await gl.fetchUserInfo(config, tokens.access_token, DEMO_ACCOUNT, { DPoP })
    expect(claims).toEqual(ALICE)
    const userinfoCalls = server.requests.slice(before).filter((r) => r.path.startsWith('/me'))
    expect(userinfoCalls.length).toBeGreaterThanOrEqual(1)
    expect(userinfoCalls.length).toBeLessThanOrEqual(2)
    for (const call of userinfoCalls) expect(call.headers.authorization).toMatch(/^DPoP /)

    const bearer = await rejection(gl.fetchUserInfo(config, tokens.access_token, DEMO_ACCOUNT))
    expect(bearer).toBeInstanceOf(gl.WWWAuthenticateChallengeError)
    expect(bearer.status).toBe(401)
  })

  it('DPoP-bound: a first call with a nonce-less handle meets use_dpop_nonce and retries exactly once', async () => {
    const config = configFor(server, 'dpop')
    const keyPair = await gl.randomDPoPKeyPair()
    const tokens = await signIn(config, { DPoP: gl.getDPoPHandle(config, keyPair) })
    // Same key, new handle: no nonce cached for any origin yet.
    const DPoP = gl.getDPoPHandle(config, keyPair)
    const before = server.requests.length
    expect(await gl.fetchUserInfo(config, tokens.access_token, DEMO_ACCOUNT, { DPoP })).toEqual(ALICE)
    const calls = server.requests.slice(before).filter((r) => r.path.startsWith('/me'))
    expect(calls).toHaveLength(2)
  })
})
