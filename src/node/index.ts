// grantline on Node.js: the `node` export condition of `grantline` and the `grantline/node` entry point. It
// re-exports the portable core (one copy of it, shared with the portable entry) and plugs Node.js's own
// transport into it (README "Which transport runs where"). The portable entry point never imports this module.

/**
 * Everything `grantline` exports, with Node.js's own transport (node:http) and signer (node:crypto) plugged in,
 * plus mutual-TLS helpers and the transport switch. The `node` export condition of `grantline` loads it too.
 *
 * @module grantline/node
 */
import { setDefaultTransport } from '../http/send.js'
import { nodeTransport } from './native.js'
import { installNodeSigner } from './signer.js'
import { installManagerChannels } from './manager-channel.js'

setDefaultTransport(nodeTransport)
installNodeSigner()
installManagerChannels()

export * from '../index.js'
export { mtlsFetch, useClientCertificate } from './mtls-fetch.js'
export type { MtlsFetch, MtlsFetchOptions } from './mtls-fetch.js'
export { setTransport } from './select.js'
export type { TransportMode } from './select.js'
