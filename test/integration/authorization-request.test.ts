// The authorization request builders against the embedded oidc-provider: every URL they build is taken through a
// real login (test/support/login.ts drives the server's login and consent pages by HTTP, as a browser submits
// them), and the code that comes back is exchanged with authorizationCodeGrant.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ClientSecretBasic,
  ClientSecretJwt,
  ClientSecretPost,
  PrivateKeyJwt,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  buildAuthorizationUrlWithJAR,
  buildAuthorizationUrlWithPAR,
  buildEndSessionUrl,
  getDPoPHandle,
  randomDPoPKeyPair,
  randomPKCECodeVerifier,
  type ClientAuth,
  type Configuration,
  type JWK,
} from '../../src/index.js'
import {
  DEMO_ACCOUNT,
  POST_LOGOUT_REDIRECT_URI,
  REDIRECT_URI,
  authorizationRequest,
  configFor,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import { LoginSession, loginForCallbackUrl } from '../support/login.js'
import { rejection } from '../support/expect.js'

let server: AuthorizationServer
/** The private key of the registered private_key_jwt login client "par-pkjwt". */
let pkjwtKey: CryptoKeyPair

beforeAll(async () => {
  server = await startAuthorizationServer()
  // Login clients for the client authentication methods the built-in ones do not cover.
  await server.registerClient({
    client_id: 'par-post',
    token_endpoint_auth_method: 'client_secret_post',
    redirect_uris: [REDIRECT_URI],
  })
  await server.registerClient({
    client_id: 'par-jwt',
    token_endpoint_auth_method: 'client_secret_jwt',
    redirect_uris: [REDIRECT_URI],
  })
  pkjwtKey = await randomDPoPKeyPair('ES256', { extractable: true })
  const publicJwk = await crypto.subtle.exportKey('jwk', pkjwtKey.publicKey)
  await server.registerClient({
    client_id: 'par-pkjwt',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y, kid: 'pk-1' }] },
    redirect_uris: [REDIRECT_URI],
  })
})
afterAll(() => server?.close())

/** Logs alice in at `url` and exchanges the code; resolves to the tokens. */
async function loginAndExchange(
  config: Configuration,
  url: URL,
  checks: Awaited<ReturnType<typeof authorizationRequest>>['checks'],
  options?: Parameters<typeof authorizationCodeGrant>[4],
  session?: LoginSession,
) {
  const callback = session ? ((await session.login(url)) as URL) : await loginForCallbackUrl(url)
  expect(callback.searchParams.get('error')).toBeNull()
  expect(callback.searchParams.get('iss')).toBe(server.issuer)
  return authorizationCodeGrant(config, callback, checks, undefined, options)
}

describe('buildAuthorizationUrl', () => {
  it('code + PKCE (public client "spa"): alice logs in, the code exchange returns her ID Token', async () => {
    const config = configFor(server, 'spa')
    const { checks, parameters } = await authorizationRequest()
    const url = buildAuthorizationUrl(config, parameters)
    expect(url.searchParams.get('client_id')).toBe('spa')
    expect(url.searchParams.get('response_type')).toBe('code')
    const tokens = await loginAndExchange(config, url, checks)
    expect(tokens.claims()).toMatchObject({ sub: DEMO_ACCOUNT, nonce: checks.expectedNonce, aud: 'spa' })
    expect(tokens.token_type).toBe('bearer')
  })

  it('a wrong PKCE verifier at the exchange: the server refuses the code (ResponseBodyError invalid_grant)', async () => {
    const config = configFor(server, 'spa')
    const { checks, parameters } = await authorizationRequest()
    const err = await rejection(
      loginAndExchange(config, buildAuthorizationUrl(config, parameters), {
        ...checks,
        pkceCodeVerifier: randomPKCECodeVerifier(),
      }),
    )
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('invalid_grant')
  })

  it('end session: the URL signs alice out and returns to the post_logout_redirect_uri with the state', async () => {
    const config = configFor(server, 'web', ClientSecretBasic(server.clients['web']!.clientSecret!))
    const session = new LoginSession()
    const { checks, parameters } = await authorizationRequest()
    const tokens = await loginAndExchange(
      config,
      buildAuthorizationUrl(config, parameters),
      checks,
      undefined,
      session,
    )
    const url = buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      state: 'bye',
    })
    expect(url.href.startsWith(server.metadata['end_session_endpoint'] as string)).toBe(true)
    expect(url.searchParams.get('client_id')).toBe('web')
    const landed = await session.endSession(url)
    expect(landed.origin + landed.pathname).toBe(POST_LOGOUT_REDIRECT_URI)
    expect(landed.searchParams.get('state')).toBe('bye')
    // signed out: the next login shows the login page again
    await session.login(buildAuthorizationUrl(config, (await authorizationRequest()).parameters))
    expect(session.lastPrompts[0]).toBe('login')
  })
})

describe('buildAuthorizationUrlWithPAR', () => {
  const secret = (clientId: string) => server.clients[clientId]!.clientSecret!
  const methods: [string, string, (clientId: string) => ClientAuth][] = [
    ['client_secret_basic', 'web', (id) => ClientSecretBasic(secret(id))],
    ['client_secret_post', 'par-post', (id) => ClientSecretPost(secret(id))],
    ['client_secret_jwt', 'par-jwt', (id) => ClientSecretJwt(secret(id))],
    ['private_key_jwt', 'par-pkjwt', () => PrivateKeyJwt({ key: pkjwtKey.privateKey, kid: 'pk-1' })],
  ]

  it.each(methods)(
    '%s: the pushed request logs in and its code is exchanged',
    async (_method, clientId, auth) => {
      const config = configFor(server, clientId, auth(clientId))
      const { checks, parameters } = await authorizationRequest()
      const url = await buildAuthorizationUrlWithPAR(config, parameters)
      expect([...url.searchParams.keys()]).toEqual(['request_uri', 'client_id'])
      expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
      const tokens = await loginAndExchange(config, url, checks)
      expect(tokens.claims()).toMatchObject({ sub: DEMO_ACCOUNT, aud: clientId })
    },
  )

  it('public client ("spa"): client_id alone authenticates nothing but the push works', async () => {
    const config = configFor(server, 'spa')
    const { checks, parameters } = await authorizationRequest()
    const tokens = await loginAndExchange(
      config,
      await buildAuthorizationUrlWithPAR(config, parameters),
      checks,
    )
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
  })

  it('the server refuses an unregistered redirect_uri: ResponseBodyError, no secret in it', async () => {
    const secret = server.clients['web']!.clientSecret!
    const config = configFor(server, 'web', ClientSecretBasic(secret))
    const { parameters } = await authorizationRequest({ redirect_uri: 'https://attacker.example/cb' })
    const err = await rejection(buildAuthorizationUrlWithPAR(config, parameters))
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.status).toBe(400)
    expect(err.error).toMatch(/^invalid_(request|redirect_uri)$/)
    expect(JSON.stringify(err) + String(err) + JSON.stringify(err.cause)).not.toContain(secret)
  })

  it('a wrong client secret: the 401 Basic challenge (WWWAuthenticateChallengeError), the secret in no error', async () => {
    const config = configFor(server, 'web', ClientSecretBasic('not-the-secret-4711'))
    const err = await rejection(
      buildAuthorizationUrlWithPAR(config, (await authorizationRequest()).parameters),
    )
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    expect(err.status).toBe(401)
    expect(err.cause).toEqual([
      expect.objectContaining({
        scheme: 'basic',
        parameters: expect.objectContaining({ error: 'invalid_client' }),
      }),
    ])
    expect(JSON.stringify(err) + String(err) + JSON.stringify(err.cause)).not.toContain('not-the-secret-4711')
  })

  it('DPoP ("dpop" client): the push binds the code to the key; the exchange with that key gets DPoP tokens', async () => {
    const config = configFor(server, 'dpop')
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const { checks, parameters } = await authorizationRequest()
    const url = await buildAuthorizationUrlWithPAR(config, parameters, { DPoP })
    const callback = await loginForCallbackUrl(url)
    const tokens = await authorizationCodeGrant(config, callback, checks, undefined, { DPoP })
    expect(tokens.token_type).toBe('dpop')

    // the same push, another key at the exchange: the code is bound to the first one
    const other = getDPoPHandle(config, await randomDPoPKeyPair())
    const second = await authorizationRequest()
    const bound = await loginForCallbackUrl(
      await buildAuthorizationUrlWithPAR(config, second.parameters, { DPoP }),
    )
    const err = await rejection(
      authorizationCodeGrant(config, bound, second.checks, undefined, { DPoP: other }),
    )
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('invalid_grant')
  })
})

describe('DPoP without PAR', () => {
  it('dpop_jkt from the handle binds the code (RFC 9449 §10): only that key redeems it', async () => {
    const config = configFor(server, 'dpop')
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const login = async () => {
      const { checks, parameters } = await authorizationRequest({
        dpop_jkt: await DPoP.calculateThumbprint(),
      })
      return { checks, callback: await loginForCallbackUrl(buildAuthorizationUrl(config, parameters)) }
    }
    const refused = await login()
    const other = getDPoPHandle(config, await randomDPoPKeyPair())
    const err = await rejection(
      authorizationCodeGrant(config, refused.callback, refused.checks, undefined, { DPoP: other }),
    )
    expect(err).toBeInstanceOf(ResponseBodyError)
    expect(err.error).toBe('invalid_grant')
    const accepted = await login()
    const tokens = await authorizationCodeGrant(config, accepted.callback, accepted.checks, undefined, {
      DPoP,
    })
    expect(tokens.token_type).toBe('dpop')
  })
})

describe('buildAuthorizationUrlWithJAR', () => {
  const jarConfig = () => {
    const client = server.clients['jar']!
    return {
      config: configFor(server, 'jar', PrivateKeyJwt(client.privateKey!)),
      key: client.requestObjectKey!,
    }
  }

  it('a signed request object ("jar", which requires one) logs in; private_key_jwt exchanges the code', async () => {
    const { config, key } = jarConfig()
    const { checks, parameters } = await authorizationRequest()
    const url = await buildAuthorizationUrlWithJAR(config, parameters, { key: key.key, kid: key.kid })
    expect([...url.searchParams.keys()]).toEqual(['request', 'client_id'])
    const tokens = await loginAndExchange(config, url, checks)
    expect(tokens.claims()).toMatchObject({ sub: DEMO_ACCOUNT, aud: 'jar' })
  })

  it('the claims parameter travels as JSON inside the request object: the ID Token carries the asked-for email', async () => {
    const { config, key } = jarConfig()
    const { checks, parameters } = await authorizationRequest({
      scope: 'openid',
      claims: JSON.stringify({ id_token: { email: { essential: true } } }),
    })
    const url = await buildAuthorizationUrlWithJAR(config, parameters, { key: key.key, kid: key.kid })
    const tokens = await loginAndExchange(config, url, checks)
    expect(tokens.claims()).toMatchObject({ sub: DEMO_ACCOUNT, email: 'alice@example.test' })
  })

  it('JAR pushed with PAR: the signed request object goes to the PAR endpoint', async () => {
    const { config, key } = jarConfig()
    const { checks, parameters } = await authorizationRequest()
    const signed = await buildAuthorizationUrlWithJAR(config, parameters, { key: key.key, kid: key.kid })
    const url = await buildAuthorizationUrlWithPAR(config, signed.searchParams)
    expect([...url.searchParams.keys()]).toEqual(['request_uri', 'client_id'])
    const tokens = await loginAndExchange(config, url, checks)
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
  })

  it('a request object signed with a key the server does not know: error callback, no code', async () => {
    const { config } = jarConfig()
    const stranger = await randomDPoPKeyPair('ES256')
    const { parameters } = await authorizationRequest()
    const url = await buildAuthorizationUrlWithJAR(config, parameters, stranger.privateKey)
    const callback = await loginForCallbackUrl(url)
    expect(callback.searchParams.get('code')).toBeNull()
    expect(callback.searchParams.get('error')).toBe('invalid_request_object')
  })
})

describe('buildAuthorizationUrlWithJAR: encrypted request objects (extension, D63)', () => {
  it("signed, then encrypted to the server's ECDH-ES key from its JWKS: alice logs in, the code is exchanged", async () => {
    const client = server.clients['jar']!
    const config = configFor(server, 'jar', PrivateKeyJwt(client.privateKey!))
    const { keys } = (await (await fetch(server.metadata['jwks_uri'] as string)).json()) as { keys: JWK[] }
    const key = keys.find((candidate) => candidate.use === 'enc')!
    expect(server.metadata['request_object_encryption_alg_values_supported']).toContain(key.alg)
    const { checks, parameters } = await authorizationRequest()
    const url = await buildAuthorizationUrlWithJAR(
      config,
      parameters,
      { key: client.requestObjectKey!.key, kid: client.requestObjectKey!.kid },
      { encryption: { key } },
    )
    expect(url.searchParams.get('request')!.split('.')).toHaveLength(5)
    const tokens = await loginAndExchange(config, url, checks)
    expect(tokens.claims()).toMatchObject({ sub: DEMO_ACCOUNT, aud: 'jar' })
  })
})
