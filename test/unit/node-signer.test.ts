import { inspect } from 'node:util'
import { KeyObject } from 'node:crypto'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeProtectedHeader, jwtVerify } from 'jose'
import {
  ClientSecretJwt,
  Configuration,
  PrivateKeyJwt,
  getDPoPHandle,
  modifyAssertion,
  randomDPoPKeyPair,
  signJwtBearerAssertion,
  type ClientMetadata,
  type ServerMetadata,
} from '../../src/index.js'
import { setSigner, signEncodedHeader, signJws, signParams } from '../../src/internal/jws.js'
import * as signerModule from '../../src/node/signer.js'
import { installNodeSigner, signerPolicy, uninstallNodeSigner } from '../../src/node/signer.js'
import type { DPoPProofHandle } from '../../src/types.js'

const AS: ServerMetadata = { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' }
const CLIENT = { client_id: 'client-1' } as ClientMetadata
const SECRET = 'a-client-secret-of-sufficient-length-for-hs512-0123456789abcdef0123456789'
const encoder = new TextEncoder()

/** Which algorithm, for what key, imported how; every key is imported from the same PKCS #8 (or raw) bytes. */
interface Case {
  alg: string
  deterministic: boolean
  generate: () => Promise<{
    material: ArrayBuffer
    format: 'pkcs8' | 'raw'
    publicKey: CryptoKey | undefined
  }>
  importParams: RsaHashedImportParams | EcKeyImportParams | HmacImportParams | Algorithm
  verifyParams: AlgorithmIdentifier | RsaPssParams | EcdsaParams
}

async function asymmetric(params: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm) {
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair
  return {
    material: await crypto.subtle.exportKey('pkcs8', pair.privateKey),
    format: 'pkcs8' as const,
    publicKey: pair.publicKey,
  }
}

const RSA_GEN = { modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }
/** One RSA key per hash, shared by the RSA-PSS and RSASSA-PKCS1-v1_5 cases (generation is slow). */
const rsaKeys = new Map<string, ReturnType<typeof asymmetric>>()
const rsa = (hash: string) => async () => {
  if (!rsaKeys.has(hash)) rsaKeys.set(hash, asymmetric({ name: 'RSA-PSS', hash, ...RSA_GEN }))
  const { material } = await rsaKeys.get(hash)!
  return { material, format: 'pkcs8' as const, publicKey: undefined }
}

const CASES: Case[] = [
  ...(['256', '384', '512'] as const).flatMap((bits): Case[] => {
    const curve = bits === '512' ? 'P-521' : `P-${bits}`
    const hash = `SHA-${bits}`
    return [
      {
        alg: `ES${bits}`,
        deterministic: false,
        generate: () => asymmetric({ name: 'ECDSA', namedCurve: curve }),
        importParams: { name: 'ECDSA', namedCurve: curve },
        verifyParams: { name: 'ECDSA', hash },
      },
      {
        alg: `PS${bits}`,
        deterministic: false,
        generate: rsa(hash),
        importParams: { name: 'RSA-PSS', hash },
        verifyParams: { name: 'RSA-PSS', saltLength: Number(bits) / 8 },
      },
      {
        alg: `RS${bits}`,
        deterministic: true,
        generate: rsa(hash),
        importParams: { name: 'RSASSA-PKCS1-v1_5', hash },
        verifyParams: { name: 'RSASSA-PKCS1-v1_5' },
      },
      {
        alg: `HS${bits}`,
        deterministic: true,
        generate: async () => ({
          material: encoder.encode(`${SECRET}-${bits}`).buffer as ArrayBuffer,
          format: 'raw' as const,
          publicKey: undefined,
        }),
        importParams: { name: 'HMAC', hash },
        verifyParams: { name: 'HMAC' },
      },
    ]
  }),
  {
    alg: 'Ed25519',
    deterministic: true,
    generate: () => asymmetric({ name: 'Ed25519' }),
    importParams: { name: 'Ed25519' },
    verifyParams: { name: 'Ed25519' },
  },
]

/** The private (or secret) key, extractable or not, and a key that verifies its signatures. */
async function keysFor(c: Case, extractable: boolean) {
  const { material, format, publicKey } = await c.generate()
  const usages: KeyUsage[] = format === 'raw' ? ['sign', 'verify'] : ['sign']
  const key = await crypto.subtle.importKey(format, material, c.importParams, extractable, usages)
  let verifier = publicKey ?? key
  if (format === 'pkcs8' && (publicKey === undefined || publicKey.algorithm.name !== key.algorithm.name)) {
    // The public half of an RSA key, as a key of this case's algorithm.
    const exported = await crypto.subtle.exportKey(
      'jwk',
      await crypto.subtle.importKey(format, material, c.importParams, true, ['sign']),
    )
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, key_ops: _ops, ...pub } = exported
    verifier = await crypto.subtle.importKey('jwk', pub, c.importParams, true, ['verify'])
  }
  return { key, verifier }
}

function parts(jws: string) {
  const [header, payload, signature] = jws.split('.')
  return { header: header!, payload: payload!, signature: signature!, input: `${header}.${payload}` }
}

const HEADER_OF = (alg: string) => ({ alg, kid: 'clé-✓-1', typ: 'JWT' })
// Non-ASCII text, and a lone surrogate that both encoders must turn into U+FFFD alike.
const PAYLOAD = {
  iss: 'client-1',
  sub: 'client-1',
  aud: 'https://as.example',
  n: 1,
  s: 'é ✓ 𝄞 \ud800 <>?~',
  a: [1, 'x'],
}

/** ML-DSA where WebCrypto has it (not Node.js 20): node:crypto is not asked, WebCrypto signs. */
const mlDsa = await crypto.subtle
  .generateKey({ name: 'ML-DSA-44' } as Algorithm, false, ['sign', 'verify'])
  .then((pair) => pair as CryptoKeyPair)
  .catch(() => undefined)

let subtleSign: ReturnType<typeof vi.spyOn>

// Every test starts on the portable signer, whichever project runs this file (the node project's setup file
// installs the node signer), and the file leaves the signer as that project expects it.
beforeEach(() => {
  uninstallNodeSigner()
  subtleSign = vi.spyOn(crypto.subtle, 'sign')
})

afterEach(() => {
  uninstallNodeSigner()
  vi.restoreAllMocks()
})

afterAll(() => {
  if (process.env['GRANTLINE_TRANSPORT'] === 'node') installNodeSigner()
})

describe('node:crypto signer: the same JWS as WebCrypto, for every algorithm', () => {
  describe.each(CASES)('$alg', (c) => {
    it.each([true, false])(
      'extractable %s: same header and payload bytes, a signature WebCrypto accepts',
      async (extractable) => {
        const { key, verifier } = await keysFor(c, extractable)
        expect(key.extractable).toBe(extractable)

        const portable = await signJws(HEADER_OF(c.alg), PAYLOAD, key)
        expect(subtleSign).toHaveBeenCalledTimes(1)

        installNodeSigner()
        const node = await signJws(HEADER_OF(c.alg), PAYLOAD, key)
        // node:crypto signed: WebCrypto was not asked again.
        expect(subtleSign).toHaveBeenCalledTimes(1)

        const [a, b] = [parts(portable), parts(node)]
        expect(b.header).toBe(a.header)
        expect(b.payload).toBe(a.payload)
        if (c.deterministic) expect(node).toBe(portable)
        else expect(b.signature).not.toBe(a.signature)
        for (const jws of [portable, node]) {
          const { input, signature } = parts(jws)
          const valid = await crypto.subtle.verify(
            c.verifyParams,
            verifier,
            Buffer.from(signature, 'base64url'),
            encoder.encode(input),
          )
          expect(valid).toBe(true)
        }
      },
    )
  })

  it('signs with the alg in the header, not the one the key suggests (a modifyAssertion hook may change it)', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    installNodeSigner()
    const jws = await signJws({ alg: 'ES384' }, PAYLOAD, pair.privateKey)
    expect(subtleSign).not.toHaveBeenCalled()
    const { input, signature } = parts(jws)
    const verify = (hash: string) =>
      crypto.subtle.verify(
        { name: 'ECDSA', hash },
        pair.publicKey,
        Buffer.from(signature, 'base64url'),
        encoder.encode(input),
      )
    expect(await verify('SHA-384')).toBe(true)
    expect(await verify('SHA-256')).toBe(false)
  })

  it('converts each CryptoKey once, whatever the number of signatures', async () => {
    const from = vi.spyOn(KeyObject, 'from')
    const { privateKey } = await randomDPoPKeyPair('ES256')
    const other = await randomDPoPKeyPair('ES256')
    installNodeSigner()
    for (let i = 0; i < 3; i++) {
      await signJws({ alg: 'ES256' }, PAYLOAD, privateKey)
      await signJws({ alg: 'ES256' }, PAYLOAD, other.privateKey)
    }
    expect(from).toHaveBeenCalledTimes(2)
    expect(subtleSign).not.toHaveBeenCalled()
  })

  it('once the application replaces crypto.subtle.sign, every signature goes through its function', async () => {
    const { privateKey } = await randomDPoPKeyPair('ES256')
    installNodeSigner()
    await signJws({ alg: 'ES256' }, PAYLOAD, privateKey)
    expect(subtleSign).not.toHaveBeenCalled()
    // An audit hook or a test double, put in place after grantline loaded.
    const original = crypto.subtle.sign
    const seen: string[] = []
    crypto.subtle.sign = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto['sign']>) {
      seen.push((args[0] as Algorithm).name)
      return original.apply(this, args)
    } as SubtleCrypto['sign']
    try {
      const jws = await signJws({ alg: 'ES256' }, PAYLOAD, privateKey)
      expect(seen).toEqual(['ECDSA'])
      expect(jws.split('.')).toHaveLength(3)
    } finally {
      crypto.subtle.sign = original
    }
    // Back to the runtime's own function: node:crypto signs again.
    await signJws({ alg: 'ES256' }, PAYLOAD, privateKey)
    expect(seen).toHaveLength(1)
  })

  it('uninstallNodeSigner (and setSigner(undefined)) go back to WebCrypto', async () => {
    const { privateKey } = await randomDPoPKeyPair('ES256')
    installNodeSigner()
    installNodeSigner()
    await signJws({ alg: 'ES256' }, PAYLOAD, privateKey)
    expect(subtleSign).toHaveBeenCalledTimes(0)
    uninstallNodeSigner()
    await signJws({ alg: 'ES256' }, PAYLOAD, privateKey)
    expect(subtleSign).toHaveBeenCalledTimes(1)
    installNodeSigner()
    setSigner(undefined)
    await signJws({ alg: 'ES256' }, PAYLOAD, privateKey)
    expect(subtleSign).toHaveBeenCalledTimes(2)
  })
})

describe('node:crypto signer: what it leaves to WebCrypto', () => {
  /** The same call without and with the signer: the same outcome, and WebCrypto decided both times. */
  async function sameFailure(run: () => Promise<unknown>) {
    const portable = await run().then(
      () => undefined,
      (err: unknown) => err,
    )
    installNodeSigner()
    const node = await run().then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(portable).toBeInstanceOf(Error)
    expect(node).toBeInstanceOf(Error)
    expect((node as Error).name).toBe((portable as Error).name)
    expect((node as Error).message).toBe((portable as Error).message)
    expect(subtleSign).toHaveBeenCalledTimes(2)
  }

  it('a key without the "sign" usage: WebCrypto refuses it, with its own error', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ])) as CryptoKey
    await sameFailure(() => signJws({ alg: 'HS256' }, PAYLOAD, pair))
  })

  it('parameters node:crypto refuses (an RSA-PSS salt longer than the key allows): WebCrypto decides', async () => {
    const { privateKey } = await randomDPoPKeyPair('PS256')
    await sameFailure(() =>
      signEncodedHeader('eyJhbGciOiJQUzI1NiJ9', PAYLOAD, privateKey, { name: 'RSA-PSS', saltLength: 4096 }),
    )
  })

  it('parameters of another algorithm than the key: WebCrypto decides', async () => {
    const { privateKey } = await randomDPoPKeyPair('ES256')
    await sameFailure(() =>
      signEncodedHeader('eyJhbGciOiJFUzI1NiJ9', PAYLOAD, privateKey, { name: 'RSASSA-PKCS1-v1_5' }),
    )
  })

  it('an object that only claims to be a CryptoKey: WebCrypto decides', async () => {
    const fake = Object.create(CryptoKey.prototype) as CryptoKey
    Object.defineProperties(fake, {
      algorithm: { value: { name: 'ECDSA', namedCurve: 'P-256' } },
      usages: { value: ['sign'] },
      type: { value: 'private' },
    })
    await sameFailure(() =>
      signEncodedHeader('eyJhbGciOiJFUzI1NiJ9', PAYLOAD, fake, { name: 'ECDSA', hash: 'SHA-256' }),
    )
  })

  it('an object whose CryptoKey getters throw: WebCrypto decides, with its own error', async () => {
    const hollow = Object.create(CryptoKey.prototype) as CryptoKey
    await sameFailure(() =>
      signEncodedHeader('eyJhbGciOiJFUzI1NiJ9', PAYLOAD, hollow, { name: 'ECDSA', hash: 'SHA-256' }),
    )
  })

  it.skipIf(mlDsa === undefined)('ML-DSA-44 (when WebCrypto has it) still signs, and verifies', async () => {
    installNodeSigner()
    const jws = await signJws({ alg: 'ML-DSA-44' }, PAYLOAD, mlDsa!.privateKey)
    const { input, signature } = parts(jws)
    expect(
      await crypto.subtle.verify(
        { name: 'ML-DSA-44' },
        mlDsa!.publicKey,
        Buffer.from(signature, 'base64url'),
        encoder.encode(input),
      ),
    ).toBe(true)
  })
})

describe('node:crypto signer: the policy per runtime', () => {
  const facts = (node: string | undefined, runtime: 'node' | 'bun' | 'deno' = 'node') => ({
    node,
    bun: runtime === 'bun',
    deno: runtime === 'deno',
  })

  it.each([
    ['20.0.0', true],
    ['20.20.2', true],
    ['22.12.0', true],
    // DEP0204 is documentation-only on 24 and 25: converting stays silent.
    ['24.0.0', true],
    ['25.9.1', true],
    // A DeprecationWarning from 26, an error from 27: such keys stay on WebCrypto.
    ['26.0.0', false],
    ['27.1.0', false],
    ['19.9.0', false],
    [undefined, false],
  ] as const)('Node.js %s converts non-extractable keys: %s', (version, expected) => {
    expect(signerPolicy(facts(version)).convertsNonExtractable).toBe(expected)
    expect([...signerPolicy(facts(version)).webCryptoFaster]).toEqual([])
  })

  it('Bun warns on converting a non-extractable key, whatever Node.js version it reports; Deno does not', () => {
    expect(signerPolicy(facts('24.3.0', 'bun')).convertsNonExtractable).toBe(false)
    expect(signerPolicy(facts('22.0.0', 'deno')).convertsNonExtractable).toBe(true)
    expect(signerPolicy(facts(undefined, 'deno')).convertsNonExtractable).toBe(true)
  })

  it('Deno keeps ECDSA and RSASSA-PKCS1-v1_5 on WebCrypto (faster there), the rest on node:crypto', () => {
    expect([...signerPolicy(facts('22.0.0', 'deno')).webCryptoFaster].sort()).toEqual([
      'ECDSA',
      'RSASSA-PKCS1-v1_5',
    ])
    expect([...signerPolicy(facts('24.3.0', 'bun')).webCryptoFaster]).toEqual([])
  })
})

describe('node:crypto signer: what a real verifier accepts (jose jwtVerify)', () => {
  const config = new Configuration(AS, CLIENT.client_id)

  it.each([true, false])('a DPoP proof (ES256, extractable %s)', async (extractable) => {
    const keyPair = await randomDPoPKeyPair('ES256', { extractable })
    installNodeSigner()
    const handle = getDPoPHandle(config, keyPair) as DPoPProofHandle
    const headers = new Headers()
    await handle.addProof(new URL('https://rs.example/api?q=1'), headers, 'GET', 'an-access-token')
    expect(subtleSign).not.toHaveBeenCalled()
    const { payload, protectedHeader } = await jwtVerify(headers.get('dpop')!, keyPair.publicKey, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
    })
    expect(protectedHeader.jwk).toMatchObject({ kty: 'EC', crv: 'P-256' })
    expect(payload).toMatchObject({ htm: 'GET', htu: 'https://rs.example/api' })
    expect(payload.ath).toBe(
      Buffer.from(await crypto.subtle.digest('SHA-256', encoder.encode('an-access-token'))).toString(
        'base64url',
      ),
    )
  })

  it('a DPoP proof whose header a modifyAssertion hook changed', async () => {
    const keyPair = await randomDPoPKeyPair('Ed25519')
    installNodeSigner()
    const handle = getDPoPHandle(config, keyPair, {
      [modifyAssertion]: (header) => {
        header['kid'] = 'extra'
      },
    }) as DPoPProofHandle
    const headers = new Headers()
    await handle.addProof(new URL('https://as.example/token'), headers, 'POST')
    expect(subtleSign).not.toHaveBeenCalled()
    const { protectedHeader } = await jwtVerify(headers.get('dpop')!, keyPair.publicKey, { typ: 'dpop+jwt' })
    expect(protectedHeader).toMatchObject({ alg: 'Ed25519', kid: 'extra' })
  })

  it.each([
    ['ES256', true],
    ['ES256', false],
    ['PS256', false],
    ['RS256', false],
    ['Ed25519', false],
  ] as const)('a private_key_jwt assertion (%s, extractable %s)', async (alg, extractable) => {
    const { privateKey, publicKey } = await randomDPoPKeyPair(alg, { extractable })
    installNodeSigner()
    const body = new URLSearchParams()
    await PrivateKeyJwt({ key: privateKey, kid: 'k-1' })(AS, CLIENT, body, new Headers())
    expect(subtleSign).not.toHaveBeenCalled()
    const { payload, protectedHeader } = await jwtVerify(body.get('client_assertion')!, publicKey, {
      issuer: CLIENT.client_id,
      subject: CLIENT.client_id,
      audience: AS.issuer,
      algorithms: [alg],
    })
    expect(protectedHeader).toEqual({ alg, kid: 'k-1' })
    expect(payload.jti).toEqual(expect.any(String))
  })

  it('a client_secret_jwt assertion (HS256, from a non-extractable HMAC key)', async () => {
    installNodeSigner()
    const body = new URLSearchParams()
    await ClientSecretJwt(SECRET)(AS, CLIENT, body, new Headers())
    expect(subtleSign).not.toHaveBeenCalled()
    const { protectedHeader } = await jwtVerify(body.get('client_assertion')!, encoder.encode(SECRET), {
      issuer: CLIENT.client_id,
      audience: AS.issuer,
      algorithms: ['HS256'],
    })
    expect(protectedHeader).toEqual({ alg: 'HS256' })
  })

  it('a JWT bearer assertion (signJwtBearerAssertion, ES384)', async () => {
    const { privateKey, publicKey } = await randomDPoPKeyPair('ES384')
    installNodeSigner()
    const jwt = await signJwtBearerAssertion(config, { key: privateKey, kid: 'wk' }, { sub: 'service-42' })
    expect(subtleSign).not.toHaveBeenCalled()
    const { payload } = await jwtVerify(jwt, publicKey, { audience: AS.issuer, subject: 'service-42' })
    expect(payload.iss).toBe(CLIENT.client_id)
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES384', kid: 'wk' })
  })
})

describe('node:crypto signer: no key material reachable', () => {
  it('nothing it hands out prints the key, not even after signing', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const { d } = await crypto.subtle.exportKey('jwk', pair.privateKey)
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', pair.privateKey))
    const returned = installNodeSigner()
    const config = new Configuration(AS, CLIENT.client_id)
    const handle = getDPoPHandle(config, pair) as DPoPProofHandle
    const auth = PrivateKeyJwt({ key: pair.privateKey })
    await handle.addProof(new URL('https://as.example/token'), new Headers(), 'POST')
    await auth(AS, CLIENT, new URLSearchParams(), new Headers())
    expect(subtleSign).not.toHaveBeenCalled()
    const printed = [returned, signerModule, installNodeSigner, handle, auth, config].map((value) =>
      inspect(value, { showHidden: true, depth: Infinity, getters: true }),
    )
    expect(returned).toBeUndefined()
    expect(Object.keys(signerModule).sort()).toEqual([
      'installNodeSigner',
      'signerPolicy',
      'uninstallNodeSigner',
    ])
    for (const text of printed) {
      expect(text).not.toContain(d!)
      expect(text).not.toContain(pkcs8.toString('base64'))
      expect(text).not.toContain(pkcs8.toString('hex'))
      expect(text).not.toMatch(/KeyObject/)
    }
  })

  it('signEncodedHeader, the DPoP path, signs on node:crypto too: the same RS384 bytes as WebCrypto', async () => {
    const { privateKey } = await randomDPoPKeyPair('RS384')
    installNodeSigner()
    const header = Buffer.from(JSON.stringify({ alg: 'RS384' })).toString('base64url')
    const jws = await signEncodedHeader(header, PAYLOAD, privateKey, signParams('RS384', privateKey))
    expect(subtleSign).not.toHaveBeenCalled()
    uninstallNodeSigner()
    expect(await signEncodedHeader(header, PAYLOAD, privateKey, signParams('RS384', privateKey))).toBe(jws)
  })
})
