// The one module that imports `jose` (JWS/JWE/JWK). Everything else goes through here, so the dependency can be
// swapped, trimmed or specialised per runtime at one place. Signing and verification run on WebCrypto directly
// (src/internal/jws.ts, src/id-token/signature.ts); only JWE decryption and request object encryption need jose.
// Importing subpaths instead of the package barrel halves the cost of loading jose at start-up (BENCHMARKS.md,
// cold import).
export { compactDecrypt } from 'jose/jwe/compact/decrypt'
export * as joseErrors from 'jose/errors'
// JWE encryption of request objects (RFC 9101 §6.1, an extension: src/authorization/jar.ts).
export { CompactEncrypt } from 'jose/jwe/compact/encrypt'
