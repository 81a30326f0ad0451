// The one module that imports `jose` (JWS/JWE/JWK). Everything else goes through here, so the dependency can be
// swapped, trimmed or specialised per runtime at one place.
export {
  calculateJwkThumbprint,
  compactDecrypt,
  compactVerify,
  exportJWK,
  importJWK,
  errors as joseErrors,
} from 'jose'
export type { JWK as JoseJWK } from 'jose'
