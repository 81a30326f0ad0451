// grantline/node: Node.js-only helpers. The portable entry point never imports this module.
export { mtlsFetch } from './mtls-fetch.js'
export type { MtlsFetch, MtlsFetchOptions } from './mtls-fetch.js'
