// The callback against the real authorization server (oidc-provider's login wing, driven by HTTP as a browser
// would submit its forms): every response mode and type grantline processes, ending in tokens (or claims) for
// alice, and the failures a real server produces (a denied consent, a replayed code, a tampered state).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import { DEMO_ACCOUNT, loginForCallbackUrl, loginForFormPost, completeLogin } from '../support/login.js'
import {
  REDIRECT_URI,
  authorizationRequest,
  configFor,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import { rejection } from '../support/expect.js'

let server: AuthorizationServer

beforeAll(async () => {
  server = await startAuthorizationServer()
})
afterAll(() => server?.close())

function confidential(clientId: string): gl.Configuration {
  return configFor(server, clientId, gl.ClientSecretBasic())
}

interface Login {
  config: gl.Configuration
  checks: Awaited<ReturnType<typeof authorizationRequest>>['checks']
  url: URL
}

/** An authorization URL from grantline's own builder, with PKCE, state and nonce. */
async function start(config: gl.Configuration, extra: Record<string, string> = {}): Promise<Login> {
  const { checks, parameters } = await authorizationRequest(extra)
  return { config, checks, url: gl.buildAuthorizationUrl(config, parameters) }
}

describe('authorization code flow', () => {
  it('code + PKCE: tokens for alice, RFC 9207 iss checked, the code spent once', async () => {
    expect(server.metadata['authorization_response_iss_parameter_supported']).toBe(true)
    const login = await start(confidential('web'))
    const callback = await loginForCallbackUrl(login.url)
    expect(callback.searchParams.get('iss')).toBe(server.issuer)
    const tokens = await gl.authorizationCodeGrant(login.config, callback, login.checks)
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.claims()).toMatchObject({
      sub: DEMO_ACCOUNT,
      nonce: login.checks.expectedNonce,
      aud: 'web',
    })

    const replayed = await rejection(gl.authorizationCodeGrant(login.config, callback, login.checks))
    expect(replayed).toBeInstanceOf(gl.ResponseBodyError)
    expect(replayed.error).toBe('invalid_grant')
  })

  it('a public client with PKCE and no secret (spa)', async () => {
    const login = await start(configFor(server, 'spa'))
    const tokens = await gl.authorizationCodeGrant(
      login.config,
      await loginForCallbackUrl(login.url),
      login.checks,
    )
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
  })

  it('a denied consent is an AuthorizationResponseError; a tampered state never reaches the token endpoint', async () => {
    const login = await start(confidential('web'))
    const denied = (await completeLogin(login.url, { consent: 'deny' })) as URL
    const err = await rejection(gl.authorizationCodeGrant(login.config, denied, login.checks))
    expect(err).toBeInstanceOf(gl.AuthorizationResponseError)
    expect(err.error).toBe('access_denied')

    const second = await start(confidential('web'))
    const callback = await loginForCallbackUrl(second.url)
    const tampered = await rejection(
      gl.authorizationCodeGrant(second.config, callback, { ...second.checks, expectedState: 'another' }),
    )
    expect(tampered).toBeInstanceOf(gl.ClientError)
    expect(tampered.code).toBe('OAUTH_INVALID_RESPONSE')
    // The code was not spent: the right state still redeems it.
    const tokens = await gl.authorizationCodeGrant(second.config, callback, second.checks)
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
  })

  it('a nonce the real ID Token does not carry', async () => {
    const login = await start(confidential('web'))
    const callback = await loginForCallbackUrl(login.url)
    const err = await rejection(
      gl.authorizationCodeGrant(login.config, callback, { ...login.checks, expectedNonce: 'not-sent' }),
    )
    expect(err.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED')
  })

  it('form_post: the callback is the POST Request the browser sends', async () => {
    const login = await start(confidential('web'), { response_mode: 'form_post' })
    const request = await loginForFormPost(login.url)
    const tokens = await gl.authorizationCodeGrant(login.config, request, login.checks)
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
  })

  it('DPoP: the code exchange binds the tokens to the key', async () => {
    const config = configFor(server, 'dpop')
    const DPoP = gl.getDPoPHandle(config, await gl.randomDPoPKeyPair())
    const login = await start(config)
    const tokens = await gl.authorizationCodeGrant(
      config,
      await loginForCallbackUrl(login.url),
      login.checks,
      undefined,
      { DPoP },
    )
    expect(tokens.token_type).toBe('dpop')
  })
})

describe('response modes and types', () => {
  it('JARM: response_mode=jwt asked for by the builder, the signed response checked', async () => {
    const config = confidential('jarm')
    gl.useJwtResponseMode(config)
    const login = await start(config)
    expect(login.url.searchParams.get('response_mode')).toBe('jwt')
    const callback = await loginForCallbackUrl(login.url)
    expect(callback.searchParams.has('response')).toBe(true)
    const tokens = await gl.authorizationCodeGrant(config, callback, login.checks)
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
    expect(gl.getDecryptedResponses(tokens)).toBeUndefined()
  })

  it('hybrid (code id_token); detached signature checks want an s_hash this (non-FAPI) server does not send', async () => {
    const detached = confidential('hybrid')
    gl.useCodeIdTokenResponseType(detached)
    gl.enableDetachedSignatureResponseChecks(detached)
    const login = await start(detached)
    expect(login.url.searchParams.get('response_type')).toBe('code id_token')
    const callback = await loginForCallbackUrl(login.url)
    expect(callback.hash).toContain('id_token=')
    const err = await rejection(gl.authorizationCodeGrant(detached, callback, login.checks))
    expect(err.code).toBe('OAUTH_INVALID_RESPONSE')
    expect((err.cause as Error).message).toBe('JWT "s_hash" (state hash) claim missing')

    // Refused before the code was spent: the plain hybrid checks (c_hash, nonce, signature) accept it.
    const config = confidential('hybrid')
    gl.useCodeIdTokenResponseType(config)
    const tokens = await gl.authorizationCodeGrant(config, callback, login.checks)
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
  })

  it('implicit (id_token): the claims of alice', async () => {
    const config = configFor(server, 'implicit')
    gl.useIdTokenResponseType(config)
    const state = gl.randomState()
    const nonce = gl.randomNonce()
    const url = gl.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state,
      nonce,
    })
    const claims = await gl.implicitAuthentication(config, await loginForCallbackUrl(url), nonce, {
      expectedState: state,
    })
    expect(claims).toMatchObject({ sub: DEMO_ACCOUNT, nonce, aud: 'implicit' })
  })

  it('encrypted ID Tokens and JARM responses, with getDecryptedResponses', async () => {
    const key = server.clients['encrypted']!.decryptionKey!
    /** A configuration of client "encrypted" that decrypts with its key. */
    const decrypting = () => {
      const c = confidential('encrypted')
      gl.enableDecryptingResponses(c, [key.enc], { key: key.key, kid: key.kid, alg: key.alg })
      return c
    }
    const config = decrypting()
    const login = await start(config)
    const plainMode = await gl.authorizationCodeGrant(
      config,
      await loginForCallbackUrl(login.url),
      login.checks,
    )
    const record = gl.getDecryptedResponses(plainMode) as gl.DecryptedAuthorizationCodeResponses
    expect(record.id_token?.token_endpoint?.split('.')).toHaveLength(3)
    expect(record.authorization_response).toBeUndefined()

    const jarm = decrypting()
    gl.useJwtResponseMode(jarm)
    const second = await start(jarm)
    const callback = await loginForCallbackUrl(second.url)
    expect(callback.searchParams.get('response')?.split('.')).toHaveLength(5)
    const tokens = await gl.authorizationCodeGrant(jarm, callback, second.checks)
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
    const both = gl.getDecryptedResponses(tokens) as gl.DecryptedAuthorizationCodeResponses
    expect(both.authorization_response?.split('.')).toHaveLength(3)
    expect(both.id_token?.token_endpoint?.split('.')).toHaveLength(3)

    const hybrid = decrypting()
    gl.useCodeIdTokenResponseType(hybrid)
    const third = await start(hybrid)
    const fromHybrid = await gl.authorizationCodeGrant(
      hybrid,
      await loginForCallbackUrl(third.url),
      third.checks,
    )
    const front = gl.getDecryptedResponses(fromHybrid) as gl.DecryptedAuthorizationCodeResponses
    expect(front.id_token?.authorization_endpoint?.split('.')).toHaveLength(3)
    expect(front.id_token?.token_endpoint?.split('.')).toHaveLength(3)
  })

  it('discovery applies the toggles given in execute', async () => {
    const client = server.clients['jarm']!
    const config = await gl.discovery(
      new URL(server.issuer),
      'jarm',
      client.clientSecret,
      gl.ClientSecretBasic(),
      {
        execute: [gl.allowInsecureRequests, gl.useJwtResponseMode],
      },
    )
    const login = await start(config)
    expect(login.url.searchParams.get('response_mode')).toBe('jwt')
    const tokens = await gl.authorizationCodeGrant(config, await loginForCallbackUrl(login.url), login.checks)
    expect(tokens.claims()?.sub).toBe(DEMO_ACCOUNT)
  })
})
