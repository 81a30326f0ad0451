// The one module that imports `jose` (JWS/JWE/JWK). Everything else goes through here, so the dependency can be
// swapped, trimmed or specialised per runtime at one place. Signing and verification run on WebCrypto directly
// (src/internal/jws.ts, src/id-token/signature.ts); only JWE decryption needs jose. Importing the two subpaths
// instead of the package barrel halves the cost of loading jose at start-up (BENCHMARKS.md, cold import).
export { compactDecrypt } from 'jose/jwe/compact/decrypt'
export * as joseErrors from 'jose/errors'
