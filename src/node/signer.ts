// The node:crypto signer: DPoP proofs, client assertions (private_key_jwt, client_secret_jwt) and
// signJwtBearerAssertion sign synchronously on the calling thread instead of WebCrypto's round trip through
// libuv's thread pool. It plugs into the one signing boundary, src/internal/jws.ts, and changes only how the
// signature bytes are computed: header and payload are encoded by jws.ts exactly as on the portable path.

import { constants, createHmac, KeyObject, sign, type SignKeyObjectInput } from 'node:crypto'
import { setSigner, type JwsSigner, type SignParams } from '../internal/jws.js'

/** How one CryptoKey signs on node:crypto, prepared on its first signature. */
interface Prepared {
  /** The CryptoKey's own KeyObject: node:crypto's handle on the same key material, never copied out. */
  key: KeyObject
  /** The CryptoKey's WebCrypto algorithm name (`ECDSA`, `RSA-PSS`, ...). */
  name: string
  /** The hash bound to the key (RSA, HMAC), in node:crypto's spelling. */
  keyHash: string | undefined
  /** The key with its signature options: IEEE P1363 (r || s) ECDSA as JWS wants (RFC 7518 §3.4), RSA padding. */
  options: SignKeyObjectInput
}

/**
 * One entry per CryptoKey; `null` marks a key node:crypto does not sign with (left to WebCrypto for good). The
 * KeyObjects never leave this module: `KeyObject.from()` also accepts non-extractable keys (see SignerPolicy),
 * and a KeyObject's `export()` ignores `extractable`, so handing one out would make such a key exportable.
 */
const prepared = new WeakMap<CryptoKey, Prepared | null>()

/** WebCrypto hash names in node:crypto's spelling. */
const HASHES: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }

/** WebCrypto algorithms this signer handles, with the node:crypto key type their KeyObject must have. */
const KEY_TYPES: Record<string, string> = {
  ECDSA: 'ec',
  'RSA-PSS': 'rsa',
  'RSASSA-PKCS1-v1_5': 'rsa',
  Ed25519: 'ed25519',
  HMAC: 'secret',
}

/** The runtime, as far as the signer's choices go. */
export interface RuntimeFacts {
  /** `process.versions.node`: the Node.js version, or the one Bun and Deno report for their compatibility. */
  node: string | undefined
  bun: boolean
  deno: boolean
}

/** What the signer does on a runtime. */
export interface SignerPolicy {
  /**
   * Whether a non-extractable CryptoKey may become a KeyObject. `KeyObject.from()` accepts one on Node.js 20 to
   * 25 without a word (DEP0204 is documentation-only from 24), prints a DeprecationWarning from 26 and throws
   * from 27; Bun prints the warning too; Deno accepts it silently. Where it would warn, such keys stay on
   * WebCrypto: a library must not print into its users' logs. Extractable keys are not deprecated anywhere.
   */
  convertsNonExtractable: boolean
  /**
   * WebCrypto algorithms this runtime signs faster on WebCrypto than through node:crypto (measured with
   * src/internal/jws.ts signJws, CPU per signature). Deno 2.9: ES256 370 µs on WebCrypto against 475 through its
   * node:crypto, RS256 1,100 against 1,200; PS256, Ed25519 and HS256 are faster through node:crypto there.
   */
  webCryptoFaster: ReadonlySet<string>
}

export function signerPolicy(runtime: RuntimeFacts): SignerPolicy {
  const major = Number(runtime.node?.split('.')[0])
  return {
    convertsNonExtractable: runtime.deno || (!runtime.bun && major >= 20 && major < 26),
    webCryptoFaster: new Set(runtime.deno ? ['ECDSA', 'RSASSA-PKCS1-v1_5'] : []),
  }
}

const versions = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process
  ?.versions
const POLICY = signerPolicy({
  node: versions?.['node'],
  bun: typeof versions?.['bun'] === 'string',
  deno: typeof (globalThis as { Deno?: unknown }).Deno === 'object',
})

const OPTIONS: Record<string, Omit<SignKeyObjectInput, 'key'>> = {
  ECDSA: { dsaEncoding: 'ieee-p1363' },
  'RSA-PSS': { padding: constants.RSA_PKCS1_PSS_PADDING },
  'RSASSA-PKCS1-v1_5': { padding: constants.RSA_PKCS1_PADDING },
}

function hashName(value: unknown): string | undefined {
  const name = typeof value === 'string' ? value : (value as { name?: unknown } | undefined)?.name
  return typeof name === 'string' ? HASHES[name.toUpperCase()] : undefined
}

function prepare(cryptoKey: CryptoKey): Prepared | null {
  const name = cryptoKey.algorithm.name
  const expected = KEY_TYPES[name]
  // WebCrypto refuses a key without the "sign" usage; leaving such a key to it keeps its error.
  if (expected === undefined || !cryptoKey.usages.includes('sign')) return null
  if (POLICY.webCryptoFaster.has(name)) return null
  if (!cryptoKey.extractable && !POLICY.convertsNonExtractable) return null
  let key: KeyObject
  try {
    key = KeyObject.from(cryptoKey)
  } catch {
    // Not a key of this runtime's WebCrypto, or a Node.js that refuses the conversion: WebCrypto signs.
    return null
  }
  const type = key.type === 'secret' ? 'secret' : key.asymmetricKeyType
  // RSA-PSS CryptoKeys are plain "rsa" KeyObjects on Node.js 20; accept "rsa-pss" too should that change.
  if (type !== expected && !(expected === 'rsa' && type === 'rsa-pss')) return null
  const keyHash = hashName((cryptoKey.algorithm as RsaHashedKeyAlgorithm).hash)
  if ((name.startsWith('RSA') || name === 'HMAC') && keyHash === undefined) return null
  return { key, name, keyHash, options: { key, ...OPTIONS[name] } }
}

/** The base64url signature over `input`, with the parameters WebCrypto would get; undefined if not handled. */
function signWith(entry: Prepared, params: SignParams, input: string): string | undefined {
  const paramsName = typeof params === 'string' ? params : params.name
  // WebCrypto refuses parameters of another algorithm than the key's; so does this signer, by not signing.
  if (paramsName !== entry.name) return undefined
  const { key, keyHash, options } = entry
  // The signing input is base64url text, so its latin1 bytes are its UTF-8 bytes.
  if (entry.name === 'HMAC') return createHmac(keyHash!, key).update(input, 'latin1').digest('base64url')
  const data = Buffer.from(input, 'latin1')
  switch (entry.name) {
    case 'Ed25519':
      return sign(null, data, options).toString('base64url')
    case 'ECDSA': {
      const hash = hashName((params as EcdsaParams).hash)
      return hash === undefined ? undefined : sign(hash, data, options).toString('base64url')
    }
    case 'RSA-PSS': {
      const saltLength = (params as RsaPssParams).saltLength
      if (typeof saltLength !== 'number') return undefined
      return sign(keyHash!, data, { ...options, saltLength }).toString('base64url')
    }
    case 'RSASSA-PKCS1-v1_5':
      return sign(keyHash!, data, options).toString('base64url')
  }
  return undefined
}

/** `crypto.subtle.sign` when the signer was installed: the runtime's own, unless the application replaced it first. */
let runtimeSubtleSign: unknown

/** The current `crypto.subtle.sign`, or undefined where there is none. */
function currentSubtleSign(): unknown {
  return (globalThis.crypto as Crypto | undefined)?.subtle?.sign
}

function nodeSigner(params: SignParams, cryptoKey: CryptoKey, input: string): string | undefined {
  // An application that wraps or replaces crypto.subtle.sign after grantline loaded (a test double, an audit
  // hook) has taken control of signing: every signature then goes through it, as on the portable path.
  if (currentSubtleSign() !== runtimeSubtleSign) return undefined
  let entry = prepared.get(cryptoKey)
  if (entry === null) return undefined
  try {
    if (entry === undefined) {
      entry = prepare(cryptoKey)
      prepared.set(cryptoKey, entry)
      if (entry === null) return undefined
    }
    return signWith(entry, params, input)
  } catch {
    // node:crypto refused (parameters WebCrypto may reject too) or the key is not what it claims: WebCrypto
    // signs, or throws its own error, and keeps this key from now on so a failing key costs one try.
    prepared.set(cryptoKey, null)
    return undefined
  }
}

/** base64url of UTF-8, as the portable encoder (lone surrogates become U+FFFD in both). */
const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64url')

const NODE_SIGNER: JwsSigner = Object.freeze({ sign: nodeSigner, encode })

/**
 * Makes grantline sign DPoP proofs, client assertions and JWT bearer assertions with node:crypto on this thread
 * (ECDSA, RSA-PSS, RSASSA-PKCS1-v1_5, Ed25519, HMAC). Header and payload bytes are those of the portable signer;
 * RS*, Ed25519 and HS* signatures are the same bytes, ES* and PS* are randomized and verify alike. Keys or
 * algorithms node:crypto cannot sign with (ML-DSA on Node.js 20, keys of another WebCrypto implementation),
 * non-extractable keys where converting them would print a deprecation warning (Node.js 26 and later, Bun) and
 * algorithms WebCrypto signs faster on this runtime (ES* and RS* on Deno) keep signing on WebCrypto, and so does
 * every key once the application replaces `crypto.subtle.sign` (after this call). Idempotent.
 */
export function installNodeSigner(): void {
  runtimeSubtleSign = currentSubtleSign()
  setSigner(NODE_SIGNER)
}

/** Goes back to WebCrypto alone (the portable signer). Prepared keys stay cached for a later install. */
export function uninstallNodeSigner(): void {
  setSigner(undefined)
}
