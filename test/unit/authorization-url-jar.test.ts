import { describe, expect, it } from 'vitest'
import { compactDecrypt, compactVerify, exportJWK, importJWK } from 'jose'
import {
  ClientError,
  Configuration,
  buildAuthorizationUrlWithJAR,
  clockSkew,
  modifyAssertion,
  useJwtResponseMode,
} from '../../src/index.js'
import type { ClientMetadata } from '../../src/index.js'
import { rejection } from '../support/expect.js'
import { setSigner } from '../../src/internal/jws.js'
import { encodeBase64url } from '../../src/internal/base64url.js'
import { installNodeSigner } from '../../src/node/signer.js'

const SERVER = { issuer: 'https://as.example', authorization_endpoint: 'https://as.example/authorize' }
const config = (metadata: Record<string, unknown> = {}) =>
  new Configuration(SERVER, 'client-1', metadata as Partial<ClientMetadata>)

const es256 = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
  'sign',
  'verify',
])) as CryptoKeyPair

function decode(url: URL) {
  const request = url.searchParams.get('request')!
  const [h, p] = request.split('.')
  return {
    request,
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>,
  }
}

describe('buildAuthorizationUrlWithJAR', () => {
  it('returns the endpoint with only client_id and a signed request object of every parameter', async () => {
    const before = Math.floor(Date.now() / 1000)
    const url = await buildAuthorizationUrlWithJAR(
      config(),
      { redirect_uri: 'https://rp.example/cb', scope: 'openid', state: 's1' },
      es256.privateKey,
    )
    expect(url.origin + url.pathname).toBe('https://as.example/authorize')
    expect([...url.searchParams.keys()]).toEqual(['request', 'client_id'])
    expect(url.searchParams.get('client_id')).toBe('client-1')
    const { request, header, claims } = decode(url)
    expect(header).toEqual({ alg: 'ES256', typ: 'oauth-authz-req+jwt' })
    const { payload } = await compactVerify(request, es256.publicKey)
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual(claims)
    expect(claims).toMatchObject({
      redirect_uri: 'https://rp.example/cb',
      scope: 'openid',
      state: 's1',
      client_id: 'client-1',
      response_type: 'code',
      iss: 'client-1',
      aud: 'https://as.example',
    })
    expect(claims['jti']).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const iat = claims['iat'] as number
    expect(iat).toBeGreaterThanOrEqual(before)
    expect(iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
    expect(claims['nbf']).toBe(iat)
    expect(claims['exp']).toBe(iat + 60)
  })

  it('the protocol claims win over same-named parameters; client_id is always the client', async () => {
    const url = await buildAuthorizationUrlWithJAR(
      config(),
      { iss: 'x', aud: 'y', jti: 'z', exp: '1', client_id: 'other' },
      es256.privateKey,
    )
    const { claims } = decode(url)
    expect(claims).toMatchObject({ iss: 'client-1', aud: 'https://as.example', client_id: 'client-1' })
    expect(claims['jti']).not.toBe('z')
    expect(claims['exp']).not.toBe('1')
    // the outer URL keeps the caller's client_id, as the inner one is forced to the client's
    expect(url.searchParams.get('client_id')).toBe('client-1')
  })

  it('several resources become an array, one stays a string; max_age a number; claims and authorization_details JSON', async () => {
    const details = [{ type: 'payment', amount: '1' }]
    const url = await buildAuthorizationUrlWithJAR(
      config(),
      {
        resource: ['https://a.example', 'https://b.example'],
        max_age: '300',
        claims: JSON.stringify({ id_token: { email: null } }),
        authorization_details: JSON.stringify(details),
      },
      es256.privateKey,
    )
    const { claims } = decode(url)
    expect(claims['resource']).toEqual(['https://a.example', 'https://b.example'])
    expect(claims['max_age']).toBe(300)
    expect(claims['claims']).toEqual({ id_token: { email: null } })
    expect(claims['authorization_details']).toEqual(details)
    const one = decode(
      await buildAuthorizationUrlWithJAR(config(), { resource: 'https://a.example' }, es256.privateKey),
    )
    expect(one.claims['resource']).toBe('https://a.example')
  })

  it('a { key, kid } puts kid in the header; the configured clock skew moves iat', async () => {
    const url = await buildAuthorizationUrlWithJAR(
      config({ [clockSkew]: 1000 }),
      {},
      { key: es256.privateKey, kid: 'k1' },
    )
    const { header, claims } = decode(url)
    expect(header).toEqual({ alg: 'ES256', typ: 'oauth-authz-req+jwt', kid: 'k1' })
    expect(claims['iat']).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 999)
  })

  it('modifyAssertion changes header and claims before signing, and the signature covers the change', async () => {
    const url = await buildAuthorizationUrlWithJAR(config(), { scope: 'openid' }, es256.privateKey, {
      [modifyAssertion](header, payload) {
        header['x5t'] = 'thumb'
        payload['exp'] = (payload['iat'] as number) + 30
        delete payload['nbf']
      },
    })
    const { request, header, claims } = decode(url)
    expect(header['x5t']).toBe('thumb')
    expect(claims['exp']).toBe((claims['iat'] as number) + 30)
    expect(claims).not.toHaveProperty('nbf')
    await expect(compactVerify(request, es256.publicKey)).resolves.toBeDefined()
  })

  it('the request object carries JARM response_mode and the endpoint query; the outer URL only client_id and request', async () => {
    const c = new Configuration(
      { ...SERVER, authorization_endpoint: 'https://as.example/authorize?t=1' },
      'client-1',
    )
    useJwtResponseMode(c)
    const url = await buildAuthorizationUrlWithJAR(c, {}, es256.privateKey)
    expect([...url.searchParams]).toEqual([
      ['t', '1'],
      ['request', url.searchParams.get('request')],
      ['client_id', 'client-1'],
    ])
    expect(decode(url).claims).toMatchObject({ t: '1', response_mode: 'jwt', response_type: 'code' })
  })

  it.each([
    ['RSASSA-PKCS1-v1_5', 'SHA-256', 'RS256'],
    ['RSA-PSS', 'SHA-384', 'PS384'],
  ])('%s keys sign as %s -> %s, and verify', async (name, hash, alg) => {
    const pair = (await crypto.subtle.generateKey(
      { name, hash, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const { request, header } = decode(await buildAuthorizationUrlWithJAR(config(), {}, pair.privateKey))
    expect(header['alg']).toBe(alg)
    const publicKey = await importJWK(await exportJWK(pair.publicKey), alg)
    await expect(compactVerify(request, publicKey)).resolves.toBeDefined()
  })

  it('Ed25519 keys sign as Ed25519', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const { request, header } = decode(await buildAuthorizationUrlWithJAR(config(), {}, pair.privateKey))
    expect(header['alg']).toBe('Ed25519')
    await expect(compactVerify(request, pair.publicKey)).resolves.toBeDefined()
  })

  it('signs through the signing boundary (src/internal/jws.ts): the runtime signer gets the JWS input', async () => {
    const inputs: string[] = []
    setSigner({
      sign(_params, _key, input) {
        inputs.push(input)
        return undefined // left to WebCrypto
      },
      encode: encodeBase64url,
    })
    let url: URL
    try {
      url = await buildAuthorizationUrlWithJAR(config(), { scope: 'openid' }, es256.privateKey)
    } finally {
      // the node project runs with the Node.js signer installed (test/support/node-entry.ts)
      if (process.env['GRANTLINE_TRANSPORT'] === 'node') installNodeSigner()
      else setSigner(undefined)
    }
    expect(inputs).toHaveLength(1)
    const request = url.searchParams.get('request')!
    expect(request.startsWith(`${inputs[0]}.`)).toBe(true)
    await expect(compactVerify(request, es256.publicKey)).resolves.toBeDefined()
  })

  it('null options are no options, as in openid-client', async () => {
    const url = await buildAuthorizationUrlWithJAR(config(), {}, es256.privateKey, null as never)
    expect(decode(url).header).toEqual({ alg: 'ES256', typ: 'oauth-authz-req+jwt' })
  })

  describe('argument errors', () => {
    const cases: [string, unknown, Record<string, string>, string, string][] = [
      ['no key', undefined, {}, 'ERR_INVALID_ARG_VALUE', '"signingKey" must be provided'],
      [
        'a public key',
        es256.publicKey,
        {},
        'ERR_INVALID_ARG_VALUE',
        '"privateKey.key" must be a private CryptoKey',
      ],
      ['a JWK', { kty: 'EC' }, {}, 'ERR_INVALID_ARG_TYPE', '"privateKey.key" must be a CryptoKey'],
      [
        'an empty kid',
        { key: es256.privateKey, kid: '' },
        {},
        'ERR_INVALID_ARG_VALUE',
        '"kid" must not be empty',
      ],
      [
        'a kid number',
        { key: es256.privateKey, kid: 1 },
        {},
        'ERR_INVALID_ARG_TYPE',
        '"kid" must be a string',
      ],
      [
        'max_age text',
        es256.privateKey,
        { max_age: 'soon' },
        'ERR_INVALID_ARG_TYPE',
        '"max_age" parameter must be a number',
      ],
      [
        'max_age < 0',
        es256.privateKey,
        { max_age: '-1' },
        'ERR_INVALID_ARG_VALUE',
        '"max_age" parameter must be a non-negative number',
      ],
      [
        'claims array',
        es256.privateKey,
        { claims: '[]' },
        'ERR_INVALID_ARG_VALUE',
        '"claims" parameter must be a JSON with a top level object',
      ],
      [
        'authorization_details object',
        es256.privateKey,
        { authorization_details: '{}' },
        'ERR_INVALID_ARG_VALUE',
        '"authorization_details" parameter must be a JSON with a top level array',
      ],
    ]
    it.each(cases)('%s: TypeError', async (_name, key, params, code, message) => {
      const err = await rejection(buildAuthorizationUrlWithJAR(config(), params, key as CryptoKey))
      expect(err).toBeInstanceOf(TypeError)
      expect(err).toMatchObject({ code, message })
    })

    it.each(['claims', 'authorization_details'])(
      '%s that is not JSON: ClientError OAUTH_PARSE_ERROR',
      async (name) => {
        const err = await rejection(
          buildAuthorizationUrlWithJAR(config(), { [name]: '{nope' }, es256.privateKey),
        )
        expect(err).toBeInstanceOf(ClientError)
        expect(err).toMatchObject({ code: 'OAUTH_PARSE_ERROR', message: 'parsing error occured' })
        expect((err.cause as Error).message).toBe(`failed to parse the "${name}" parameter as JSON`)
      },
    )

    it('a private key of no signing algorithm (ECDH): ClientError OAUTH_UNSUPPORTED_OPERATION', async () => {
      const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
        'deriveBits',
      ])) as CryptoKeyPair
      const err = await rejection(buildAuthorizationUrlWithJAR(config(), {}, pair.privateKey))
      expect(err).toBeInstanceOf(ClientError)
      expect(err).toMatchObject({ code: 'OAUTH_UNSUPPORTED_OPERATION', message: 'unsupported operation' })
    })

    it('an RSA key under 2048 bits: ClientError OAUTH_UNSUPPORTED_OPERATION', async () => {
      const pair = (await crypto.subtle.generateKey(
        {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          modulusLength: 1024,
          publicExponent: new Uint8Array([1, 0, 1]),
        },
        false,
        ['sign', 'verify'],
      )) as CryptoKeyPair
      const err = await rejection(buildAuthorizationUrlWithJAR(config(), {}, pair.privateKey))
      expect(err).toBeInstanceOf(ClientError)
      expect(err).toMatchObject({ code: 'OAUTH_UNSUPPORTED_OPERATION', message: 'unsupported operation' })
    })

    it('a missing authorization_endpoint: ClientError OAUTH_MISSING_SERVER_METADATA, before the key is looked at', async () => {
      const c = new Configuration({ issuer: 'https://as.example' }, 'client-1')
      const err = await rejection(buildAuthorizationUrlWithJAR(c, {}, undefined as never))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe('OAUTH_MISSING_SERVER_METADATA')
    })

    it('not a Configuration: TypeError', async () => {
      const err = await rejection(buildAuthorizationUrlWithJAR({} as Configuration, {}, es256.privateKey))
      expect(err).toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
        message: '"config" must be an instance of Configuration',
      })
    })
  })
})

describe('buildAuthorizationUrlWithJAR: encrypted request objects (extension, D63)', () => {
  const ecdh = crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
    'deriveBits',
  ]) as Promise<CryptoKeyPair>

  async function open(url: URL, key: CryptoKey) {
    const jwe = url.searchParams.get('request')!
    expect(jwe.split('.')).toHaveLength(5)
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key)
    const jws = new TextDecoder().decode(plaintext)
    const { payload } = await compactVerify(jws, es256.publicKey)
    return {
      protectedHeader,
      claims: JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>,
    }
  }

  it('a JWK with kid: ECDH-ES + A128CBC-HS256 by default, cty JWT, the signed object inside', async () => {
    const pair = await ecdh
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'enc-1', use: 'enc' }
    const url = await buildAuthorizationUrlWithJAR(config(), { scope: 'openid' }, es256.privateKey, {
      encryption: { key: jwk },
    })
    expect([...url.searchParams.keys()]).toEqual(['request', 'client_id'])
    const { protectedHeader, claims } = await open(url, pair.privateKey)
    expect(protectedHeader).toMatchObject({ alg: 'ECDH-ES', enc: 'A128CBC-HS256', cty: 'JWT', kid: 'enc-1' })
    expect(claims).toMatchObject({ scope: 'openid', iss: 'client-1', aud: 'https://as.example' })
  })

  it('alg and enc from the client metadata, then from the options', async () => {
    const pair = await ecdh
    const c = config({
      request_object_encryption_alg: 'ECDH-ES+A128KW',
      request_object_encryption_enc: 'A256GCM',
    })
    const fromMetadata = await open(
      await buildAuthorizationUrlWithJAR(c, {}, es256.privateKey, { encryption: { key: pair.publicKey } }),
      pair.privateKey,
    )
    expect(fromMetadata.protectedHeader).toMatchObject({ alg: 'ECDH-ES+A128KW', enc: 'A256GCM' })
    expect(fromMetadata.protectedHeader).not.toHaveProperty('kid')
    const fromOptions = await open(
      await buildAuthorizationUrlWithJAR(c, {}, es256.privateKey, {
        encryption: { key: pair.publicKey, alg: 'ECDH-ES+A256KW', enc: 'A128GCM' },
      }),
      pair.privateKey,
    )
    expect(fromOptions.protectedHeader).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A128GCM' })
  })

  it('an RSA key: RSA-OAEP-256', async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ['encrypt', 'decrypt'],
    )) as CryptoKeyPair
    const { protectedHeader } = await open(
      await buildAuthorizationUrlWithJAR(config(), {}, es256.privateKey, {
        encryption: { key: await exportJWK(pair.publicKey) },
      }),
      pair.privateKey,
    )
    expect(protectedHeader.alg).toBe('RSA-OAEP-256')
  })

  it('argument errors before signing; an enc jose does not know: ClientError OAUTH_UNSUPPORTED_OPERATION', async () => {
    const pair = await ecdh
    for (const [encryption, code, message] of [
      [null, 'ERR_INVALID_ARG_TYPE', '"options.encryption" must be an object'],
      [{ key: 'k' }, 'ERR_INVALID_ARG_TYPE', '"options.encryption.key" must be a CryptoKey or a JWK'],
      [
        { key: pair.privateKey },
        'ERR_INVALID_ARG_VALUE',
        '"options.encryption.key" must be a public CryptoKey',
      ],
      [
        { key: { kty: 'oct', k: 'AAAA' } },
        'ERR_INVALID_ARG_VALUE',
        '"options.encryption.alg" must be a non-empty string',
      ],
      [
        { key: pair.publicKey, enc: '' },
        'ERR_INVALID_ARG_VALUE',
        '"options.encryption.enc" must be a non-empty string',
      ],
      [
        { key: pair.publicKey, alg: 'RSA-OAEP' },
        'ERR_INVALID_ARG_VALUE',
        '"options.encryption.key" cannot encrypt with "RSA-OAEP" / "A128CBC-HS256"',
      ],
    ] as const) {
      const err = await rejection(
        buildAuthorizationUrlWithJAR(config(), {}, es256.privateKey, { encryption: encryption as never }),
      )
      expect(err).toBeInstanceOf(TypeError)
      expect(err).toMatchObject({ code, message })
    }
    const unsupported = await rejection(
      buildAuthorizationUrlWithJAR(config(), {}, es256.privateKey, {
        encryption: { key: pair.publicKey, enc: 'A1GCM' },
      }),
    )
    expect(unsupported).toBeInstanceOf(ClientError)
    expect(unsupported.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
  })
})
