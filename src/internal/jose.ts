// The one module that imports `jose` (JWS/JWE/JWK). Everything else goes through here, so the dependency can be
// swapped, trimmed or specialised per runtime at one place. Signing and verification run on WebCrypto directly
// (src/internal/jws.ts, src/id-token/signature.ts); only JWE decryption and request object encryption need jose.
// Importing subpaths instead of the package barrel halves the cost of loading jose at start-up (BENCHMARKS.md,
// cold import).
export { compactDecrypt } from 'jose/jwe/compact/decrypt'
export * as joseErrors from 'jose/errors'

/**
 * JWE encryption of request objects (RFC 9101 §6.1, an extension: src/authorization/jar.ts), loaded on first use:
 * a program that never encrypts does not load it at start-up (about 8 ms, measured beside the decrypt module).
 */
export async function compactEncrypt(
  plaintext: Uint8Array,
  header: { alg: string; enc: string; cty?: string; kid?: string },
  key: CryptoKey | JsonWebKey,
): Promise<string> {
  const { CompactEncrypt } = await import('jose/jwe/compact/encrypt')
  return new CompactEncrypt(plaintext).setProtectedHeader(header).encrypt(key as CryptoKey)
}
