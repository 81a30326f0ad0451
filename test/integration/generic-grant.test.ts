import * as oc from 'openid-client'
// genericGrantRequest against a real oidc-provider: every grant the embedded server knows, every client
// authentication method that sends a secret or nothing, repeated parameters, and the OAuth errors a caller meets.

import { createHash, X509Certificate } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt, generateKeyPair } from 'jose'
import { Agent, fetch as undiciFetch } from 'undici'
import {
  ClientSecretBasic,
  ClientSecretPost,
  None,
  PrivateKeyJwt,
  ResponseBodyError,
  TlsClientAuth,
  WWWAuthenticateChallengeError,
  customFetch,
  genericGrantRequest,
  getDPoPHandle,
  randomDPoPKeyPair,
  tokenIntrospection,
} from '../../src/index.js'
import {
  JWT_BEARER,
  SAML2_BEARER,
  TOKEN_EXCHANGE,
  TOKEN_TYPE,
  configFor,
  samlAssertion,
  signJwtAssertion,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import type { CustomFetch } from '../../src/index.js'

let server: AuthorizationServer

beforeAll(async () => {
  server = await startAuthorizationServer()
})
afterAll(async () => {
  await server?.close()
})

/** Parameters of a token exchange for a fresh subject token. */
async function exchangeParameters(extra: Record<string, string | string[]> = {}) {
  return {
    subject_token: await server.issueAccessToken('basic', { scope: 'api:read', accountId: 'alice' }),
    subject_token_type: TOKEN_TYPE.accessToken,
    ...extra,
  }
}

/** The requests that reached the token endpoint since the last call. */
function tokenRequests() {
  const seen = server.requests.filter((request) => request.path === '/token')
  server.requests.length = 0
  return seen
}

describe('token exchange (RFC 8693)', () => {
  it('returns a bearer access token with issued_token_type and working helpers', async () => {
    const config = configFor(server, 'basic', ClientSecretBasic())
    const response = await genericGrantRequest(
      config,
      TOKEN_EXCHANGE,
      await exchangeParameters({ scope: 'api:read' }),
    )

    expect(response.token_type).toBe('bearer')
    expect(response.issued_token_type).toBe(TOKEN_TYPE.accessToken)
    expect(response.scope).toBe('api:read')
    expect(response.expires_in).toBe(3600)
    expect(response.expiresIn()).toBeGreaterThan(3500)
    expect(response.expiresIn()).toBeLessThanOrEqual(3600)
    expect(response.claims()).toBeUndefined()
    expect(Object.keys(response)).not.toContain('claims')

    const issued = await server.inspectAccessToken(response.access_token)
    expect(issued).toMatchObject({ accountId: 'alice', clientId: 'basic', gty: 'token_exchange' })
  })

  it('accepts token_type N_A for an issued ID Token and returns it lower-cased (RFC 8693 §2.2.1)', async () => {
    const config = configFor(server, 'basic')
    const response = await genericGrantRequest(
      config,
      TOKEN_EXCHANGE,
      await exchangeParameters({ requested_token_type: TOKEN_TYPE.idToken }),
    )

    expect(response.token_type).toBe('n_a')
    expect(response.issued_token_type).toBe(TOKEN_TYPE.idToken)
    const idToken = decodeJwt(response.access_token)
    expect(idToken).toMatchObject({ sub: 'alice', aud: 'basic', iss: server.issuer })
  })

  it('sends an actor token and records who acts', async () => {
    const config = configFor(server, 'post', ClientSecretPost())
    const response = await genericGrantRequest(
      config,
      TOKEN_EXCHANGE,
      await exchangeParameters({
        actor_token: await server.issueAccessToken('post', { accountId: 'service-a' }),
        actor_token_type: TOKEN_TYPE.accessToken,
      }),
    )
    const issued = await server.inspectAccessToken(response.access_token)
    expect(issued?.['extra']).toMatchObject({ act: { sub: 'service-a' } })
  })

  it('sends every audience and resource given as an array, in order', async () => {
    const config = configFor(server, 'basic')
    const response = await genericGrantRequest(
      config,
      TOKEN_EXCHANGE,
      await exchangeParameters({
        audience: ['https://a.example', 'https://b.example'],
        resource: ['https://r1.example/api', 'https://r2.example/api'],
      }),
    )
    const issued = await server.inspectAccessToken(response.access_token)
    expect(issued?.['extra']).toEqual({
      requested_audience: ['https://a.example', 'https://b.example'],
      requested_resource: ['https://r1.example/api', 'https://r2.example/api'],
    })
    const everyValue = [
      'https://a.example',
      'https://b.example',
      'https://r1.example/api',
      'https://r2.example/api',
    ]
    expect(issued?.['aud']).toEqual(everyValue)
    // The same, as the server's introspection endpoint reports it (RFC 7662 §2.2).
    expect((await tokenIntrospection(config, response.access_token)).aud).toEqual(everyValue)
  })

  it('sends repeated audience and resource from URLSearchParams', async () => {
    const config = configFor(server, 'basic')
    const parameters = new URLSearchParams(await exchangeParameters())
    parameters.append('audience', 'https://a.example')
    parameters.append('audience', 'https://b.example')
    parameters.append('resource', 'https://r1.example/api')
    const response = await genericGrantRequest(config, TOKEN_EXCHANGE, parameters)
    const issued = await server.inspectAccessToken(response.access_token)
    expect(issued?.['extra']).toEqual({
      requested_audience: ['https://a.example', 'https://b.example'],
      requested_resource: ['https://r1.example/api'],
    })
  })

  it('issues a DPoP-bound token when a proof is sent', async () => {
    const config = configFor(server, 'basic')
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
    const response = await genericGrantRequest(config, TOKEN_EXCHANGE, await exchangeParameters(), { DPoP })

    expect(response.token_type).toBe('dpop')
    const issued = await server.inspectAccessToken(response.access_token)
    expect(issued?.['jkt']).toBe(await DPoP.calculateThumbprint())
  })
})

describe('JWT bearer (RFC 7523)', () => {
  it('exchanges an assertion signed by the trusted issuer for a token about its subject', async () => {
    const config = configFor(server, 'post')
    const assertion = await signJwtAssertion(server.trustedAssertionIssuer, {
      sub: 'bob',
      aud: server.issuer,
    })
    const response = await genericGrantRequest(config, JWT_BEARER, { assertion, scope: 'api:read' })

    expect(response.token_type).toBe('bearer')
    expect(response.scope).toBe('api:read')
    expect(response.issued_token_type).toBeUndefined()
    expect(await server.inspectAccessToken(response.access_token)).toMatchObject({
      accountId: 'bob',
      gty: 'jwt_bearer',
    })
  })

  it('accepts the token endpoint URL as the assertion audience', async () => {
    const config = configFor(server, 'post')
    const assertion = await signJwtAssertion(server.trustedAssertionIssuer, {
      sub: 'bob',
      aud: server.metadata.token_endpoint,
    })
    const response = await genericGrantRequest(config, JWT_BEARER, { assertion })
    expect(response.access_token.length).toBeGreaterThan(0)
  })

  it('accepts an assertion a client signs for itself with its registered key', async () => {
    const client = server.clients['pkjwt-es256']!
    const key = client.privateKey!
    const config = configFor(server, client.clientId, PrivateKeyJwt({ key: key.key, kid: key.kid }))
    const assertion = await signJwtAssertion(
      { issuer: client.clientId, privateKey: key.key, kid: key.kid, alg: key.alg },
      { sub: 'service-account-7', aud: server.issuer },
    )
    const response = await genericGrantRequest(config, JWT_BEARER, { assertion })
    expect(await server.inspectAccessToken(response.access_token)).toMatchObject({
      accountId: 'service-account-7',
      clientId: client.clientId,
    })
  })

  it('issues a DPoP-bound token when a proof is sent', async () => {
    const config = configFor(server, 'public')
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
    const assertion = await signJwtAssertion(server.trustedAssertionIssuer, {
      sub: 'bob',
      aud: server.issuer,
    })
    const response = await genericGrantRequest(config, JWT_BEARER, { assertion }, { DPoP })

    expect(response.token_type).toBe('dpop')
    expect((await server.inspectAccessToken(response.access_token))?.['jkt']).toBe(
      await DPoP.calculateThumbprint(),
    )
  })

  const issuer = () => server.trustedAssertionIssuer
  const rejected: Array<[string, string, () => Promise<string>]> = [
    [
      'signed by an unknown key',
      'assertion signature is invalid',
      async () => {
        const { privateKey } = await generateKeyPair('ES256')
        return signJwtAssertion({ ...issuer(), privateKey }, { sub: 'bob', aud: server.issuer })
      },
    ],
    [
      'that has expired',
      'assertion has expired',
      () => signJwtAssertion(issuer(), { sub: 'bob', aud: server.issuer, expiresIn: -120 }),
    ],
    [
      'for another audience',
      'assertion "aud" claim is invalid',
      () => signJwtAssertion(issuer(), { sub: 'bob', aud: 'https://elsewhere.example' }),
    ],
    [
      'from an untrusted issuer',
      'assertion issuer is not trusted',
      () =>
        signJwtAssertion({ ...issuer(), issuer: 'https://evil.example' }, { sub: 'bob', aud: server.issuer }),
    ],
  ]
  it.each(rejected)('rejects an assertion %s with invalid_grant', async (_name, description, build) => {
    const config = configFor(server, 'post')
    const error = await genericGrantRequest(config, JWT_BEARER, { assertion: await build() }).catch(
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(ResponseBodyError)
    expect(error).toMatchObject({
      code: 'OAUTH_RESPONSE_BODY_ERROR',
      error: 'invalid_grant',
      error_description: description,
      status: 400,
    })
  })
})

describe('SAML 2.0 bearer (RFC 7522)', () => {
  it('exchanges a base64url assertion for a token about its NameID', async () => {
    const config = configFor(server, 'basic', ClientSecretBasic())
    const assertion = samlAssertion({ subject: 'carol@example.test', audience: server.issuer })
    const response = await genericGrantRequest(config, SAML2_BEARER, { assertion, scope: 'api:write' })

    expect(response.token_type).toBe('bearer')
    expect(response.scope).toBe('api:write')
    expect(await server.inspectAccessToken(response.access_token)).toMatchObject({
      accountId: 'carol@example.test',
      gty: 'saml2_bearer',
    })
  })

  it('rejects standard base64 with padding with invalid_grant', async () => {
    const config = configFor(server, 'basic')
    const base64url = samlAssertion({ subject: 'carol', audience: server.issuer })
    const base64 = Buffer.from(base64url, 'base64url').toString('base64')
    expect(base64).toMatch(/[+/=]/)
    const error = await genericGrantRequest(config, SAML2_BEARER, { assertion: base64 }).catch(
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(ResponseBodyError)
    expect(error).toMatchObject({ error: 'invalid_grant', status: 400 })
  })
})

describe('client credentials and refresh token', () => {
  it('client_credentials through genericGrantRequest', async () => {
    const config = configFor(server, 'basic', ClientSecretBasic())
    const response = await genericGrantRequest(config, 'client_credentials', { scope: 'api:read api:write' })
    expect(response.token_type).toBe('bearer')
    expect(response.scope).toBe('api:read api:write')
    expect(response.expires_in).toBe(600)
  })

  it('refresh_token through genericGrantRequest, with an ID Token whose claims() are returned', async () => {
    const config = configFor(server, 'post')
    const first = await genericGrantRequest(
      config,
      TOKEN_EXCHANGE,
      await exchangeParameters({ scope: 'openid offline_access api:read' }),
    )
    expect(typeof first.refresh_token).toBe('string')

    const refreshed = await genericGrantRequest(config, 'refresh_token', {
      refresh_token: first.refresh_token!,
    })
    expect(refreshed.token_type).toBe('bearer')
    expect(refreshed.access_token).not.toBe(first.access_token)
    expect(typeof refreshed.id_token).toBe('string')
    const claims = refreshed.claims()
    expect(claims).toMatchObject({ sub: 'alice', aud: 'post', iss: server.issuer })
    const { claims: detached } = refreshed
    expect(detached()).toBe(claims)
  })
})

describe('client authentication', () => {
  const parameters = { scope: 'api:read' }

  it('ClientSecretBasic sends an Authorization header', async () => {
    tokenRequests()
    await genericGrantRequest(
      configFor(server, 'basic', ClientSecretBasic()),
      'client_credentials',
      parameters,
    )
    const [request] = tokenRequests()
    expect(request?.headers.authorization).toMatch(/^Basic /)
  })

  it('ClientSecretPost sends no Authorization header', async () => {
    tokenRequests()
    await genericGrantRequest(configFor(server, 'post', ClientSecretPost()), 'client_credentials', parameters)
    const [request] = tokenRequests()
    expect(request?.headers.authorization).toBeUndefined()
  })

  it('defaults to client_secret_post when the metadata has a client_secret', async () => {
    tokenRequests()
    // A client registered for client_secret_basic accepts client_secret_post too (oidc-provider treats them alike).
    const response = await genericGrantRequest(configFor(server, 'basic'), 'client_credentials', parameters)
    expect(response.token_type).toBe('bearer')
    const [request] = tokenRequests()
    expect(request?.headers.authorization).toBeUndefined()
  })

  it('None identifies a public client by client_id alone', async () => {
    const assertion = samlAssertion({ subject: 'dave', audience: server.issuer })
    const response = await genericGrantRequest(configFor(server, 'public', None()), SAML2_BEARER, {
      assertion,
    })
    expect(response.token_type).toBe('bearer')
    expect(await server.inspectAccessToken(response.access_token)).toMatchObject({ clientId: 'public' })
  })
})

describe('DPoP nonce required by the server', () => {
  let strict: AuthorizationServer
  beforeAll(async () => {
    strict = await startAuthorizationServer({ requireDPoPNonce: true })
  })
  afterAll(async () => {
    await strict?.close()
  })

  it('retries once with the nonce, then reuses the cached nonce', async () => {
    const config = configFor(strict, 'basic')
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
    const assertion = () =>
      signJwtAssertion(strict.trustedAssertionIssuer, { sub: 'erin', aud: strict.issuer })

    const first = await genericGrantRequest(config, JWT_BEARER, { assertion: await assertion() }, { DPoP })
    expect(first.token_type).toBe('dpop')
    expect(strict.requests.filter((request) => request.path === '/token')).toHaveLength(2)

    strict.requests.length = 0
    await genericGrantRequest(config, JWT_BEARER, { assertion: await assertion() }, { DPoP })
    expect(strict.requests.filter((request) => request.path === '/token')).toHaveLength(1)
  })

  it('accepts a DPoP handle made by another compatible implementation (openid-client)', async () => {
    const config = configFor(strict, 'basic')
    const theirs = new oc.Configuration(strict.metadata as oc.ServerMetadata, 'basic')
    const keyPair = await randomDPoPKeyPair('ES256')
    const DPoP = oc.getDPoPHandle(theirs, keyPair)
    strict.requests.length = 0

    const response = await genericGrantRequest(
      config,
      JWT_BEARER,
      {
        assertion: await signJwtAssertion(strict.trustedAssertionIssuer, {
          sub: 'frank',
          aud: strict.issuer,
        }),
      },
      { DPoP },
    )
    expect(response.token_type).toBe('dpop')
    // Their handle cached the nonce from our failed first attempt: one retry, then bound to their key.
    expect(strict.requests.filter((request) => request.path === '/token')).toHaveLength(2)
    expect((await strict.inspectAccessToken(response.access_token))?.['jkt']).toBe(
      await DPoP.calculateThumbprint(),
    )
  })
})

describe('mutual TLS (RFC 8705)', () => {
  let tls: AuthorizationServer
  const agents: Agent[] = []
  beforeAll(async () => {
    tls = await startAuthorizationServer({ mtls: true })
  })
  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.close()))
    await tls?.close()
  })

  /** A Configuration whose requests present the client's certificate, through the mTLS endpoint aliases. */
  function mtlsConfig(clientId: string) {
    const client = tls.clients[clientId]!
    const agent = new Agent({
      connect: { cert: client.certificate!, key: client.certificateKey!, ca: tls.mtls!.caCertificate },
    })
    agents.push(agent)
    const config = configFor(tls, clientId, TlsClientAuth(), { use_mtls_endpoint_aliases: true })
    // TLS options go on an undici Agent used as the dispatcher; fetch ignores them at the top level (NOTES.md).
    const viaAgent: CustomFetch = (url, options) =>
      undiciFetch(url, { ...options, dispatcher: agent } as never) as unknown as Promise<Response>
    config[customFetch] = viaAgent
    return config
  }

  function thumbprint(pem: string) {
    return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url')
  }

  it.each(['mtls-self-signed', 'mtls-pki'])(
    '%s gets certificate-bound tokens from the extension grants',
    async (clientId) => {
      const config = mtlsConfig(clientId)
      const expected = thumbprint(tls.clients[clientId]!.certificate!)
      const assertion = await signJwtAssertion(tls.trustedAssertionIssuer, { sub: 'bob', aud: tls.issuer })
      const bearer = await genericGrantRequest(config, JWT_BEARER, { assertion })
      const exchanged = await genericGrantRequest(config, TOKEN_EXCHANGE, {
        subject_token: bearer.access_token,
        subject_token_type: TOKEN_TYPE.accessToken,
      })

      for (const response of [bearer, exchanged]) {
        expect(response.token_type).toBe('bearer')
        expect((await tls.inspectAccessToken(response.access_token))?.['x5t#S256']).toBe(expected)
      }
    },
  )
})

describe('OAuth error responses', () => {
  it('invalid_client with client_secret_basic arrives as a WWW-Authenticate challenge (401)', async () => {
    const config = configFor(server, 'basic', ClientSecretBasic('not-the-secret'))
    const error = await genericGrantRequest(config, 'client_credentials', {}).catch((err: unknown) => err)

    expect(error).toBeInstanceOf(WWWAuthenticateChallengeError)
    const challenge = error as WWWAuthenticateChallengeError
    expect(challenge.code).toBe('OAUTH_WWW_AUTHENTICATE_CHALLENGE')
    expect(challenge.status).toBe(401)
    expect(challenge.cause[0]?.scheme).toBe('basic')
    expect(challenge.response.status).toBe(401)
    expect(JSON.stringify(challenge)).not.toContain('not-the-secret')
  })

  it('invalid_client with client_secret_post arrives as a ResponseBodyError (401)', async () => {
    const config = configFor(server, 'post', ClientSecretPost('not-the-secret'))
    const error = await genericGrantRequest(config, 'client_credentials', {}).catch((err: unknown) => err)

    expect(error).toBeInstanceOf(ResponseBodyError)
    const body = error as ResponseBodyError
    expect(body.code).toBe('OAUTH_RESPONSE_BODY_ERROR')
    expect(body.error).toBe('invalid_client')
    expect(body.status).toBe(401)
    expect(typeof body.error_description).toBe('string')
    expect(body.cause).toMatchObject({ error: 'invalid_client', error_description: body.error_description })
    expect(String(body)).not.toContain('not-the-secret')
  })

  it('invalid_grant for an unknown subject token', async () => {
    const config = configFor(server, 'basic')
    const error = await genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: 'no-such-token',
      subject_token_type: TOKEN_TYPE.accessToken,
    }).catch((err: unknown) => err)

    expect(error).toBeInstanceOf(ResponseBodyError)
    const body = error as ResponseBodyError
    expect(body.error).toBe('invalid_grant')
    expect(body.status).toBe(400)
    expect(body.error_description).toBe('subject_token is invalid, expired or not an access token')
    expect(body.cause).toEqual({ error: 'invalid_grant', error_description: body.error_description })
  })

  it('unsupported_grant_type for a grant the server does not know', async () => {
    const config = configFor(server, 'basic')
    const error = await genericGrantRequest(config, 'urn:example:grant-type:unknown', { foo: 'bar' }).catch(
      (err: unknown) => err,
    )

    expect(error).toBeInstanceOf(ResponseBodyError)
    const body = error as ResponseBodyError
    expect(body.error).toBe('unsupported_grant_type')
    expect(body.status).toBe(400)
    expect(body.error_description).toBe('unsupported grant_type requested')
    expect(body.cause).toEqual({ error: 'unsupported_grant_type', error_description: body.error_description })
  })
})
