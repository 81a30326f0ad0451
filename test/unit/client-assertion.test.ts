import { describe, expect, it } from 'vitest'
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose'
import {
  ClientSecretJwt,
  Configuration,
  PrivateKeyJwt,
  clockSkew,
  customFetch,
  genericGrantRequest,
  modifyAssertion,
  randomDPoPKeyPair,
  type ClientAuth,
  type ClientMetadata,
  type CustomFetchOptions,
  type ServerMetadata,
} from '../../src/index.js'
import { expectTypeError } from '../support/expect.js'

const AS: ServerMetadata = {
  issuer: 'https://as.example/tenant',
  token_endpoint: 'https://as.example/tenant/oauth/token',
  introspection_endpoint: 'https://as.example/tenant/oauth/introspect',
  mtls_endpoint_aliases: { token_endpoint: 'https://mtls.as.example/tenant/oauth/token' },
}
const CLIENT = { client_id: 'client-1' } as ClientMetadata
const SECRET = 'a-client-secret-of-sufficient-length-for-hs256'
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

async function run(auth: ClientAuth, client: ClientMetadata = CLIENT, as: ServerMetadata = AS) {
  const body = new URLSearchParams({ grant_type: 'client_credentials' })
  const headers = new Headers()
  await auth(as, client, body, headers)
  return { body, headers, assertion: body.get('client_assertion')! }
}

function decode(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = jwt.split('.')
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()),
  }
}

/** Captures the token request of a genericGrantRequest, answering with a plain bearer token. */
function capturingConfig(auth: ClientAuth, metadata: Partial<ClientMetadata> = {}) {
  const sent: Array<{ url: string; body: URLSearchParams }> = []
  const config = new Configuration(AS, CLIENT.client_id, metadata, auth)
  config[customFetch] = async (url: string, options: CustomFetchOptions) => {
    sent.push({ url, body: new URLSearchParams(String(options.body)) })
    return Response.json({ access_token: 'at', token_type: 'bearer' })
  }
  return { config, sent }
}

describe('client assertion claims (contract §2.3.5)', () => {
  it('client_secret_jwt: HS256 header only, the claims in order, the three body parameters', async () => {
    const before = Math.floor(Date.now() / 1000)
    const { body, headers, assertion } = await run(ClientSecretJwt(SECRET))
    const { header, payload } = decode(assertion)
    expect(header).toEqual({ alg: 'HS256' })
    expect(Object.keys(payload)).toEqual(['jti', 'aud', 'exp', 'iat', 'nbf', 'iss', 'sub'])
    expect(payload).toMatchObject({ aud: AS.issuer, iss: 'client-1', sub: 'client-1' })
    expect(payload['jti']).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(payload['iat']).toBeGreaterThanOrEqual(before)
    expect(payload['nbf']).toBe(payload['iat'])
    expect(payload['exp']).toBe((payload['iat'] as number) + 60)
    expect([...body.keys()]).toEqual(['grant_type', 'client_id', 'client_assertion_type', 'client_assertion'])
    expect(body.get('client_id')).toBe('client-1')
    expect(body.get('client_assertion_type')).toBe(ASSERTION_TYPE)
    expect([...headers.keys()]).toEqual([])
    await expect(jwtVerify(assertion, new TextEncoder().encode(SECRET))).resolves.toBeTruthy()
    expect(body.toString()).not.toContain(SECRET)
  })

  it('a fresh jti for every assertion', async () => {
    const auth = ClientSecretJwt(SECRET)
    const a = decode((await run(auth)).assertion).payload['jti']
    const b = decode((await run(auth)).assertion).payload['jti']
    expect(a).not.toBe(b)
  })

  it('client_secret_jwt reads the secret lazily from the metadata, per client object', async () => {
    const auth = ClientSecretJwt()
    const { assertion } = await run(auth, { ...CLIENT, client_secret: SECRET } as ClientMetadata)
    await expect(jwtVerify(assertion, new TextEncoder().encode(SECRET))).resolves.toBeTruthy()
    const other = 'another-secret-for-another-client-object'
    const second = await run(auth, { ...CLIENT, client_secret: other } as ClientMetadata)
    await expect(jwtVerify(second.assertion, new TextEncoder().encode(other))).resolves.toBeTruthy()
    await expect(run(auth)).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: '"metadata.client_secret" must be a string',
    })
    await expect(run(auth, { ...CLIENT, client_secret: '' } as ClientMetadata)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: '"metadata.client_secret" must not be empty',
    })
  })

  it('client_secret_jwt checks its arguments when the factory is called', () => {
    expectTypeError(() => ClientSecretJwt(42 as never), 'ERR_INVALID_ARG_TYPE')
    expectTypeError(() => ClientSecretJwt(''), 'ERR_INVALID_ARG_VALUE')
  })

  it.each([
    ['ES256', 'ECDSA'],
    ['ES384', 'ECDSA'],
    ['PS256', 'RSA-PSS'],
    ['RS256', 'RSASSA-PKCS1-v1_5'],
    ['RS512', 'RSASSA-PKCS1-v1_5'],
    ['Ed25519', 'Ed25519'],
  ])('private_key_jwt with a %s key signs with that alg', async (alg) => {
    const { privateKey, publicKey } = await randomDPoPKeyPair(alg)
    const { assertion, body } = await run(PrivateKeyJwt(privateKey))
    expect(decodeProtectedHeader(assertion)).toEqual({ alg })
    expect(body.get('client_assertion_type')).toBe(ASSERTION_TYPE)
    const { payload } = await compactVerify(assertion, publicKey)
    const claims = JSON.parse(new TextDecoder().decode(payload))
    expect(Object.keys(claims)).toEqual(['jti', 'aud', 'exp', 'iat', 'nbf', 'iss', 'sub'])
    expect(claims.aud).toBe(AS.issuer)
  })

  it('private_key_jwt puts the kid of a { key, kid } in the header', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    const { assertion } = await run(PrivateKeyJwt({ key: privateKey, kid: 'key-2026' }))
    expect(decode(assertion).header).toEqual({ alg: 'ES256', kid: 'key-2026' })
  })

  it('uses the client clock skew', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    const before = Math.floor(Date.now() / 1000)
    const { assertion } = await run(PrivateKeyJwt(privateKey), {
      ...CLIENT,
      [clockSkew]: -600,
    } as ClientMetadata)
    const { payload } = decode(assertion)
    expect(payload['iat']).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) - 600)
    expect(payload['iat']).toBeGreaterThanOrEqual(before - 600)
  })

  it('modifyAssertion may change header and payload right before signing', async () => {
    const { privateKey, publicKey } = await randomDPoPKeyPair()
    const auth = PrivateKeyJwt(privateKey, {
      [modifyAssertion]: (header, payload) => {
        header['typ'] = 'JWT'
        payload['aud'] = ['https://as.example/tenant', 'https://as.example/tenant/oauth/token']
        payload['exp'] = (payload['iat'] as number) + 30
      },
    })
    const { assertion } = await run(auth)
    const { protectedHeader, payload } = await jwtVerify(assertion, publicKey)
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT' })
    expect(payload.aud).toEqual(['https://as.example/tenant', 'https://as.example/tenant/oauth/token'])
    expect(payload.exp).toBe(payload.iat! + 30)
    // The hook changed this assertion's header only.
    const next = await run(PrivateKeyJwt(privateKey))
    expect(decode(next.assertion).header).toEqual({ alg: 'ES256' })
  })
})

describe('assertion audience (grantline extension)', () => {
  it("'issuer' is the default", async () => {
    const { privateKey } = await randomDPoPKeyPair()
    for (const auth of [PrivateKeyJwt(privateKey), PrivateKeyJwt(privateKey, { audience: 'issuer' })]) {
      expect(decode((await run(auth)).assertion).payload['aud']).toBe(AS.issuer)
    }
  })

  it("'token_endpoint' is the token endpoint of the metadata", async () => {
    const auth = ClientSecretJwt(SECRET, { audience: 'token_endpoint' })
    expect(decode((await run(auth)).assertion).payload['aud']).toBe(AS.token_endpoint)
    await expect(run(auth, CLIENT, { issuer: AS.issuer })).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    })
  })

  it("'endpoint' is the URL the request goes to, through genericGrantRequest", async () => {
    const { privateKey } = await randomDPoPKeyPair()
    const { config, sent } = capturingConfig(PrivateKeyJwt(privateKey, { audience: 'endpoint' }))
    await genericGrantRequest(config, 'client_credentials', {})
    expect(sent[0]!.url).toBe(AS.token_endpoint)
    expect(decode(sent[0]!.body.get('client_assertion')!).payload['aud']).toBe(AS.token_endpoint)
  })

  it("'endpoint' follows the mTLS alias when the client uses aliases; 'token_endpoint' does not", async () => {
    const endpoint = capturingConfig(ClientSecretJwt(SECRET, { audience: 'endpoint' }), {
      use_mtls_endpoint_aliases: true,
    })
    await genericGrantRequest(endpoint.config, 'client_credentials', {})
    const alias = AS.mtls_endpoint_aliases!.token_endpoint
    expect(endpoint.sent[0]!.url).toBe(alias)
    expect(decode(endpoint.sent[0]!.body.get('client_assertion')!).payload['aud']).toBe(alias)

    const metadata = capturingConfig(ClientSecretJwt(SECRET, { audience: 'token_endpoint' }), {
      use_mtls_endpoint_aliases: true,
    })
    await genericGrantRequest(metadata.config, 'client_credentials', {})
    expect(decode(metadata.sent[0]!.body.get('client_assertion')!).payload['aud']).toBe(AS.token_endpoint)
  })

  it("'endpoint' outside a grantline request is a TypeError, not a guess", async () => {
    await expect(run(ClientSecretJwt(SECRET, { audience: 'endpoint' }))).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
    })
  })

  it('refuses an unknown audience choice when the factory is called', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    expectTypeError(
      () => PrivateKeyJwt(privateKey, { audience: 'resource' as never }),
      'ERR_INVALID_ARG_VALUE',
    )
    expectTypeError(() => ClientSecretJwt(SECRET, { audience: 1 as never }), 'ERR_INVALID_ARG_TYPE')
    expectTypeError(() => ClientSecretJwt(SECRET, null as never), 'ERR_INVALID_ARG_TYPE')
    expectTypeError(() => ClientSecretJwt(SECRET, { [modifyAssertion]: {} as never }), 'ERR_INVALID_ARG_TYPE')
  })
})

describe('private_key_jwt key checks (before any request)', () => {
  it('wrong type', () => {
    expectTypeError(() => PrivateKeyJwt('-----BEGIN PRIVATE KEY-----' as never), 'ERR_INVALID_ARG_TYPE')
    expectTypeError(() => PrivateKeyJwt(undefined as never), 'ERR_INVALID_ARG_TYPE')
    expectTypeError(() => PrivateKeyJwt({ key: {} } as never), 'ERR_INVALID_ARG_TYPE', /clientPrivateKey.key/)
  })

  it('a public key', async () => {
    const { publicKey } = await randomDPoPKeyPair()
    expectTypeError(() => PrivateKeyJwt(publicKey), 'ERR_INVALID_ARG_VALUE', /private CryptoKey/)
  })

  it('an HMAC secret key', async () => {
    const key = await crypto.subtle.importKey(
      'raw',
      new Uint8Array(32),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    expectTypeError(() => PrivateKeyJwt(key), 'ERR_INVALID_ARG_VALUE', /private CryptoKey/)
  })

  it('RSA 1024', async () => {
    const { privateKey } = (await crypto.subtle.generateKey(
      { name: 'RSA-PSS', hash: 'SHA-256', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    expectTypeError(() => PrivateKeyJwt(privateKey), 'ERR_INVALID_ARG_VALUE', /at least 2048/)
  })

  it('missing sign usage', async () => {
    const { privateKey } = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
      'deriveBits',
    ])) as CryptoKeyPair
    expectTypeError(() => PrivateKeyJwt(privateKey), 'ERR_INVALID_ARG_VALUE', /"sign"/)
  })

  it('a bad kid', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    expectTypeError(() => PrivateKeyJwt({ key: privateKey, kid: 7 as never }), 'ERR_INVALID_ARG_TYPE')
    expectTypeError(() => PrivateKeyJwt({ key: privateKey, kid: '' }), 'ERR_INVALID_ARG_VALUE')
  })
})
