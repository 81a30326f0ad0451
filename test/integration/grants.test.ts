// The grant family and the typed helpers against a real oidc-provider (demo/server.ts): client credentials,
// refresh, device and CIBA flows completed by the test acting as the end-user, introspection before and after
// revocation, token exchange / JWT bearer / SAML 2.0 bearer, and fetchProtectedResource against a small
// resource server of this file (Bearer and DPoP with a required nonce).

import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, jwtVerify, EmbeddedJWK } from 'jose'
import {
  ClientError,
  ClientSecretBasic,
  PrivateKeyJwt,
  ResponseBodyError,
  TokenType,
  WWWAuthenticateChallengeError,
  clientCredentialsGrant,
  fetchProtectedResource,
  getDPoPHandle,
  initiateBackchannelAuthentication,
  initiateDeviceAuthorization,
  jwtBearerGrant,
  pollBackchannelAuthenticationGrant,
  pollDeviceAuthorizationGrant,
  randomDPoPKeyPair,
  refreshTokenGrant,
  saml2BearerGrant,
  signJwtBearerAssertion,
  tokenExchangeGrant,
  tokenIntrospection,
  tokenRevocation,
  Configuration,
  allowInsecureRequests,
  enableNonRepudiationChecks,
  type ServerMetadata,
} from '../../src/index.js'
import {
  configFor,
  samlAssertion,
  samlAssertionXml,
  signJwtAssertion,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'

let server: AuthorizationServer
let basic: Configuration
let post: Configuration

beforeAll(async () => {
  server = await startAuthorizationServer()
  basic = configFor(server, 'basic', ClientSecretBasic())
  post = configFor(server, 'post')
})
afterAll(async () => {
  await server?.close()
})

/** Resolves once the token endpoint has seen `count` requests since `since` (the poll is under way). */
async function tokenRequestsReach(count: number, since: number) {
  for (;;) {
    const seen = server.requests.slice(since).filter((request) => request.path === '/token').length
    if (seen >= count) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('client credentials', () => {
  it('issues a bearer token with client_secret_basic and client_secret_post', async () => {
    for (const config of [basic, post]) {
      const tokens = await clientCredentialsGrant(config, { scope: 'api:read' })
      expect(tokens.token_type).toBe('bearer')
      expect(tokens.scope).toBe('api:read')
      expect(tokens.expiresIn()).toBeGreaterThan(0)
      expect(tokens.claims()).toBeUndefined()
    }
  })

  it('issues a token with private_key_jwt', async () => {
    const client = server.clients['pkjwt-es256']!
    const config = configFor(
      server,
      'pkjwt-es256',
      PrivateKeyJwt({ key: client.privateKey!.key, kid: client.privateKey!.kid }),
    )
    const tokens = await clientCredentialsGrant(config)
    expect(tokens.access_token).toEqual(expect.any(String))
  })

  it('issues a DPoP-bound token whose jkt is the handle thumbprint', async () => {
    const DPoP = getDPoPHandle(post, await randomDPoPKeyPair())
    const tokens = await clientCredentialsGrant(post, { scope: 'api:read' }, { DPoP })
    expect(tokens.token_type).toBe('dpop')
    const stored = await server.inspectAccessToken(tokens.access_token)
    expect(stored?.['jkt']).toBe(await DPoP.calculateThumbprint())
  })

  it('fails with the OAuth error of a wrong client secret, without leaking the secret', async () => {
    const wrong = new Configuration(server.metadata as ServerMetadata, 'post', 'not-the-secret-xyz')
    allowInsecureRequests(wrong)
    const err = await clientCredentialsGrant(wrong).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('invalid_client')
    expect(JSON.stringify(err) + String(err)).not.toContain('not-the-secret-xyz')
  })
})

describe('DPoP with a server that requires nonces', () => {
  let strict: AuthorizationServer
  beforeAll(async () => {
    strict = await startAuthorizationServer({ requireDPoPNonce: true })
  })
  afterAll(async () => {
    await strict?.close()
  })

  it('client credentials retries once with the nonce and then reuses it', async () => {
    const config = configFor(strict, 'post')
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    strict.requests.length = 0
    const first = await clientCredentialsGrant(config, {}, { DPoP })
    expect(first.token_type).toBe('dpop')
    expect(strict.requests.filter((r) => r.path === '/token')).toHaveLength(2)
    strict.requests.length = 0
    await clientCredentialsGrant(config, {}, { DPoP })
    expect(strict.requests.filter((r) => r.path === '/token')).toHaveLength(1)
  })
})

describe('device authorization grant (RFC 8628)', () => {
  it('polls until the end-user approves, then returns tokens with an ID Token and a refresh token', async () => {
    const config = configFor(server, 'public')
    const response = await initiateDeviceAuthorization(config, { scope: 'openid offline_access' })
    expect(response.user_code).toEqual(expect.any(String))
    expect(response.verification_uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    expect(response.expires_in).toBeGreaterThan(0)

    const since = server.requests.length
    // The server sends no interval (5 s by default); a fraction keeps the test short (1 s: the D25 minimum).
    const polling = pollDeviceAuthorizationGrant(config, { ...response, interval: 0.05 })
    await tokenRequestsReach(1, since)
    await server.approveDeviceFlow(response.user_code, 'alice')
    const tokens = await polling
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.claims()?.sub).toBe('alice')
    expect(tokens.claims()?.aud).toBe('public')
    expect(tokens.refresh_token).toEqual(expect.any(String))

    const refreshed = await refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.access_token).not.toBe(tokens.access_token)
    expect(refreshed.claims()?.sub).toBe('alice')
  })

  it('ends with access_denied when the end-user declines', async () => {
    const response = await initiateDeviceAuthorization(basic, { scope: 'openid' })
    await server.denyDeviceFlow(response.user_code)
    const err = await pollDeviceAuthorizationGrant(basic, { ...response, interval: 0.05 }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('access_denied')
  })

  it('binds the polled tokens to a DPoP key', async () => {
    const DPoP = getDPoPHandle(post, await randomDPoPKeyPair())
    const response = await initiateDeviceAuthorization(post, { scope: 'openid' })
    await server.approveDeviceFlow(response.user_code, 'bob')
    const tokens = await pollDeviceAuthorizationGrant(post, { ...response, interval: 0.05 }, undefined, {
      DPoP,
    })
    expect(tokens.token_type).toBe('dpop')
    expect(tokens.claims()?.sub).toBe('bob')
  })
})

describe('CIBA', () => {
  it('polls until the end-user approves on their device', async () => {
    const response = await initiateBackchannelAuthentication(basic, { scope: 'openid', login_hint: 'carol' })
    expect(response.auth_req_id).toEqual(expect.any(String))
    const since = server.requests.length
    const polling = pollBackchannelAuthenticationGrant(basic, { ...response, interval: 0.05 })
    await tokenRequestsReach(1, since)
    await server.approveCiba(response.auth_req_id)
    const tokens = await polling
    expect(tokens.claims()?.sub).toBe('carol')
  })

  it('ends with access_denied when the end-user declines', async () => {
    const response = await initiateBackchannelAuthentication(post, { scope: 'openid', login_hint: 'carol' })
    await server.denyCiba(response.auth_req_id)
    const err = await pollBackchannelAuthenticationGrant(post, { ...response, interval: 0.05 }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('access_denied')
  })
})

describe('introspection and revocation', () => {
  it('shows a token active, then inactive once revoked', async () => {
    const { access_token } = await clientCredentialsGrant(basic, { scope: 'api:read' })
    const before = await tokenIntrospection(basic, access_token)
    expect(before.active).toBe(true)
    expect(before.client_id).toBe('basic')
    expect(before.scope).toBe('api:read')

    await tokenRevocation(basic, access_token, { token_type_hint: 'access_token' })
    const after = await tokenIntrospection(basic, access_token)
    expect(after).toEqual({ active: false })
  })

  it('revokes a refresh token', async () => {
    const tokens = await tokenExchangeGrant(post, {
      subject_token: await server.issueAccessToken('post', { scope: 'openid offline_access' }),
      subject_token_type: TokenType.AccessToken,
      scope: ['openid', 'offline_access'],
    })
    expect(tokens.refresh_token).toEqual(expect.any(String))
    expect((await tokenIntrospection(post, tokens.refresh_token!)).active).toBe(true)
    await tokenRevocation(post, tokens.refresh_token!)
    expect((await tokenIntrospection(post, tokens.refresh_token!)).active).toBe(false)
    const err = await refreshTokenGrant(post, tokens.refresh_token!).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('invalid_grant')
  })

  it('an unknown token is inactive; revoking it still succeeds (RFC 7009 §2.2)', async () => {
    expect(await tokenIntrospection(post, 'no-such-token')).toEqual({ active: false })
    await expect(tokenRevocation(post, 'no-such-token')).resolves.toBeUndefined()
  })
})

describe('JWT introspection (RFC 9701)', () => {
  it('validates the signed response, and its signature once non-repudiation checks are on', async () => {
    // A client registered for signed introspection responses, stored through the provider's adapter.
    const clientSecret = 'jwt-introspection-secret-0123456789abcdefghijklmnop'
    const Client = server.provider.Client as unknown as {
      adapter: { upsert(id: string, payload: object, expiresIn: number): Promise<void> }
    }
    await Client.adapter.upsert(
      'jwt-introspection',
      {
        client_id: 'jwt-introspection',
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
        introspection_signed_response_alg: 'ES256',
      },
      3600,
    )
    const config = new Configuration(server.metadata as ServerMetadata, 'jwt-introspection', {
      client_secret: clientSecret,
      introspection_signed_response_alg: 'ES256',
    })
    allowInsecureRequests(config)
    const { access_token } = await clientCredentialsGrant(basic, { scope: 'api:read' })

    const plain = await tokenIntrospection(config, access_token)
    expect(plain).toMatchObject({ active: true, client_id: 'basic', scope: 'api:read' })

    enableNonRepudiationChecks(config)
    server.requests.length = 0
    const verified = await tokenIntrospection(config, access_token)
    expect(verified).toMatchObject({ active: true, client_id: 'basic' })
    expect(server.requests.map((request) => request.path)).toContain('/jwks')
  })
})

describe('token exchange (RFC 8693)', () => {
  it('exchanges an access token for several audiences and resources, sending each as a repeated parameter', async () => {
    const tokens = await tokenExchangeGrant(basic, {
      subject_token: await server.issueAccessToken('basic', { scope: 'api:read', accountId: 'alice' }),
      subject_token_type: TokenType.AccessToken,
      requested_token_type: TokenType.AccessToken,
      audience: ['billing', 'ledger'],
      resource: ['https://api.example.test/a', 'https://api.example.test/b'],
      scope: 'api:read',
    })
    expect(tokens.issued_token_type).toBe(TokenType.AccessToken)
    expect(tokens.token_type).toBe('bearer')
    const introspected = await tokenIntrospection(basic, tokens.access_token)
    expect(introspected.active).toBe(true)
    expect(introspected.sub).toBe('alice')
    expect(introspected['requested_audience']).toEqual(['billing', 'ledger'])
    expect(introspected['requested_resource']).toEqual([
      'https://api.example.test/a',
      'https://api.example.test/b',
    ])
  })

  it('records the actor of a delegation', async () => {
    const tokens = await tokenExchangeGrant(post, {
      subject_token: await server.issueAccessToken('post', { accountId: 'alice' }),
      subject_token_type: TokenType.AccessToken,
      actor_token: await server.issueAccessToken('post', { accountId: 'service-7' }),
      actor_token_type: TokenType.AccessToken,
    })
    const introspected = await tokenIntrospection(post, tokens.access_token)
    expect(introspected['act']).toEqual({ sub: 'service-7' })
  })

  it('accepts token_type N_A for an issued ID Token', async () => {
    const tokens = await tokenExchangeGrant(post, {
      subject_token: await server.issueAccessToken('post', { accountId: 'alice' }),
      subject_token_type: TokenType.AccessToken,
      requested_token_type: TokenType.IdToken,
    })
    expect(tokens.token_type).toBe('n_a')
    expect(tokens.issued_token_type).toBe(TokenType.IdToken)
    expect(decodeJwt(tokens.access_token).sub).toBe('alice')
  })

  it('binds the exchanged token to a DPoP key', async () => {
    const DPoP = getDPoPHandle(post, await randomDPoPKeyPair())
    const tokens = await tokenExchangeGrant(
      post,
      { subject_token: await server.issueAccessToken('post'), subject_token_type: TokenType.AccessToken },
      { DPoP },
    )
    expect(tokens.token_type).toBe('dpop')
  })

  it('an invalid subject token is the server’s invalid_grant', async () => {
    const err = await tokenExchangeGrant(post, {
      subject_token: 'forged',
      subject_token_type: TokenType.AccessToken,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('invalid_grant')
  })
})

describe('JWT bearer (RFC 7523)', () => {
  it('uses an assertion the caller already has (a workload identity token)', async () => {
    const assertion = await signJwtAssertion(server.trustedAssertionIssuer, {
      sub: 'workload-1',
      aud: server.issuer,
    })
    const tokens = await jwtBearerGrant(post, assertion, { scope: 'api:read' })
    expect(tokens.scope).toBe('api:read')
    expect((await tokenIntrospection(post, tokens.access_token)).sub).toBe('workload-1')
  })

  it('builds and signs the assertion: the issuer audience by default, or the token endpoint', async () => {
    const { privateKey, kid, issuer } = server.trustedAssertionIssuer
    for (const audience of ['issuer', 'token_endpoint'] as const) {
      const tokens = await jwtBearerGrant(basic, {
        privateKey: { key: privateKey, kid },
        claims: { iss: issuer, sub: `workload-${audience}` },
        audience,
      })
      expect((await tokenIntrospection(basic, tokens.access_token)).sub).toBe(`workload-${audience}`)
    }
  })

  it('signJwtBearerAssertion fills RFC 7523 §3 claims with defaults', async () => {
    const { privateKey, kid, issuer } = server.trustedAssertionIssuer
    const assertion = await signJwtBearerAssertion(post, { key: privateKey, kid }, { iss: issuer, sub: 'x' })
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES256', kid })
    const claims = decodeJwt(assertion)
    expect(claims).toMatchObject({ iss: issuer, sub: 'x', aud: server.issuer })
    expect(claims.exp! - claims.iat!).toBe(60)
    expect(claims.jti).toMatch(/^[\w-]{43}$/)

    const own = decodeJwt(
      await signJwtBearerAssertion(post, privateKey, undefined, { audience: 'token_endpoint' }),
    )
    expect(own).toMatchObject({ iss: 'post', sub: 'post', aud: server.metadata.token_endpoint })
  })

  it('a client asserting for itself with its registered key (iss = sub = client_id)', async () => {
    const client = server.clients['pkjwt-es256']!
    const key = { key: client.privateKey!.key, kid: client.privateKey!.kid }
    const config = configFor(server, 'pkjwt-es256', PrivateKeyJwt(key))
    const tokens = await jwtBearerGrant(config, { privateKey: key })
    expect((await tokenIntrospection(config, tokens.access_token)).sub).toBe('pkjwt-es256')
  })

  it('an untrusted assertion is the server’s invalid_grant', async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])
    const err = await jwtBearerGrant(post, {
      privateKey,
      claims: { iss: server.trustedAssertionIssuer.issuer, sub: 'mallory' },
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect((err as ResponseBodyError).error).toBe('invalid_grant')
  })
})

describe('SAML 2.0 bearer (RFC 7522)', () => {
  it('base64url-encodes the XML of an assertion', async () => {
    const xml = samlAssertionXml({ subject: 'dave', audience: server.issuer })
    const tokens = await saml2BearerGrant(basic, xml, { scope: 'api:read' })
    expect((await tokenIntrospection(basic, tokens.access_token)).sub).toBe('dave')
  })

  it('sends an already-encoded assertion as is with { encoded: true }', async () => {
    const encoded = samlAssertion({ subject: 'erin', audience: server.metadata.token_endpoint })
    const tokens = await saml2BearerGrant(post, encoded, undefined, { encoded: true })
    expect((await tokenIntrospection(post, tokens.access_token)).sub).toBe('erin')
  })
})

describe('fetchProtectedResource', () => {
  let resource: Server
  let api: URL
  const nonce = 'rs-nonce-1'
  const seen: Array<{
    authorization: string | undefined
    dpop: string | undefined
    agent: string | undefined
  }> = []

  /**
   * A resource server (RFC 6750 / RFC 9449 §7): Bearer tokens are looked up in the provider; DPoP tokens need a
   * proof signed by the bound key, for this method and URL, with the token's `ath` and this server's nonce.
   */
  beforeAll(async () => {
    resource = createServer(async (req, res) => {
      const authorization = req.headers.authorization
      const dpop = req.headers.dpop as string | undefined
      seen.push({ authorization, dpop, agent: req.headers['user-agent'] })
      const challenge = (status: number, value: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'www-authenticate': value, ...headers })
        res.end()
      }
      const [scheme, token] = authorization?.split(' ') ?? []
      const stored = token ? await server.inspectAccessToken(token) : undefined
      if (!stored) return challenge(401, 'Bearer error="invalid_token"')
      if (scheme === 'DPoP') {
        if (!dpop) return challenge(401, 'DPoP error="invalid_token"')
        const { payload, protectedHeader } = await jwtVerify(dpop, EmbeddedJWK, { typ: 'dpop+jwt' })
        if (payload['nonce'] !== nonce) {
          return challenge(401, 'DPoP error="use_dpop_nonce"', { 'dpop-nonce': nonce })
        }
        const ath = createHash('sha256').update(token!).digest('base64url')
        const ok =
          payload['ath'] === ath &&
          payload['htm'] === req.method &&
          payload['htu'] === `${api.origin}${req.url?.split('?')[0]}` &&
          (await calculateJwkThumbprint(protectedHeader.jwk!)) === stored['jkt']
        if (!ok) return challenge(401, 'DPoP error="invalid_dpop_proof"')
      } else if (scheme !== 'Bearer' || stored['jkt']) {
        return challenge(401, 'Bearer error="invalid_token"')
      }
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks).toString()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          sub: stored['accountId'] ?? stored['clientId'],
          method: req.method,
          ...(body ? { body } : {}),
        }),
      )
    })
    await new Promise<void>((resolve) => resource.listen(0, '127.0.0.1', resolve))
    api = new URL(`http://127.0.0.1:${(resource.address() as AddressInfo).port}/api/things?page=2`)
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      resource.closeAllConnections()
      resource.close(() => resolve())
    })
  })

  it('calls with a Bearer token and returns the Response with its body unread', async () => {
    const { access_token } = await clientCredentialsGrant(post)
    seen.length = 0
    const response = await fetchProtectedResource(
      post,
      access_token,
      api,
      'GET',
      undefined,
      new Headers({ 'x-a': '1' }),
    )
    expect(response.status).toBe(200)
    expect(response.bodyUsed).toBe(false)
    expect(await response.json()).toEqual({ sub: 'post', method: 'GET' })
    expect(seen).toEqual([
      {
        authorization: `Bearer ${access_token}`,
        dpop: undefined,
        agent: expect.stringMatching(/^grantline\//),
      },
    ])
  })

  it('sends a DPoP proof with ath and retries once on the resource server nonce challenge', async () => {
    const DPoP = getDPoPHandle(post, await randomDPoPKeyPair())
    const { access_token } = await clientCredentialsGrant(post, {}, { DPoP })
    seen.length = 0
    const response = await fetchProtectedResource(post, access_token, api, 'POST', '{"a":1}', undefined, {
      DPoP,
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ sub: 'post', method: 'POST', body: '{"a":1}' })
    expect(seen).toHaveLength(2)
    expect(seen[1]!.authorization).toBe(`DPoP ${access_token}`)
    // The nonce is now cached for the resource server's origin: no second challenge.
    seen.length = 0
    await fetchProtectedResource(post, access_token, api, 'GET', undefined, undefined, { DPoP })
    expect(seen).toHaveLength(1)
  })

  it('streams a ReadableStream body (duplex: half)', async () => {
    const { access_token } = await clientCredentialsGrant(post)
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('part-1,'))
        controller.enqueue(new TextEncoder().encode('part-2'))
        controller.close()
      },
    })
    const response = await fetchProtectedResource(post, access_token, api, 'PUT', body)
    expect(await response.json()).toEqual({ sub: 'post', method: 'PUT', body: 'part-1,part-2' })
  })

  it('rejects with the resource server challenge', async () => {
    const err = await fetchProtectedResource(post, 'revoked-or-unknown', api, 'GET').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    const challenge = err as WWWAuthenticateChallengeError
    expect(challenge.status).toBe(401)
    expect(challenge.cause).toEqual([{ scheme: 'bearer', parameters: { error: 'invalid_token' } }])
  })

  it('a DPoP-bound token sent as Bearer is refused by the resource server', async () => {
    const DPoP = getDPoPHandle(post, await randomDPoPKeyPair())
    const { access_token } = await clientCredentialsGrant(post, {}, { DPoP })
    const err = await fetchProtectedResource(post, access_token, api, 'GET').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
  })

  it('refuses plain http without allowInsecureRequests', async () => {
    const strict = new Configuration(
      server.metadata as ServerMetadata,
      'post',
      server.clients['post']!.clientSecret!,
    )
    const err = await fetchProtectedResource(strict, 'at', api, 'GET').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClientError)
    expect((err as ClientError).code).toBe('OAUTH_HTTP_REQUEST_FORBIDDEN')
  })
})
