import { Agent, type AgentOptions } from 'node:https'
import { createSecureContext } from 'node:tls'
import { customFetch } from '../symbols.js'
import { Configuration } from '../configuration.js'
import { argError } from '../internal/assert.js'
import type { CustomFetch, CustomFetchOptions } from '../types.js'
import { AGENT_OPTIONS, exchange } from './transport.js'

/**
 * TLS and connection options of {@link mtlsFetch}: every `node:https` Agent option, with the client certificate
 * chain and its private key required (PEM; RFC 8705 §2). `ca` adds trust anchors for the server certificate.
 */
export interface MtlsFetchOptions extends Omit<AgentOptions, 'cert' | 'key'> {
  /** The client certificate (chain), PEM. */
  cert: string | Buffer | Array<string | Buffer>
  /** The certificate's private key, PEM (use `passphrase` for an encrypted one). */
  key: string | Buffer | Array<string | Buffer | { pem: string | Buffer; passphrase?: string }>
}

/** A `customFetch` that presents a client certificate, plus its connection pool. */
export interface MtlsFetch extends CustomFetch {
  /**
   * The keep-alive agent holding the TLS connections (a non-enumerable getter). It holds a TLS secure context
   * made from the key, never the key or its passphrase themselves.
   */
  readonly agent: Agent
  /** Closes the pooled connections (e.g. at shutdown, so the process can exit). */
  close(): void
}

/** The agent of each certificate-presenting fetch, so that grantline's pipeline sends on it directly. */
const certificateAgents = new WeakMap<CustomFetch, Agent>()

/** The agent behind `fetch` when it is one made by {@link mtlsFetch} or {@link useClientCertificate}. */
export function certificateAgentOf(fetch: CustomFetch): Agent | undefined {
  return certificateAgents.get(fetch)
}

/**
 * A `customFetch` for mutual TLS (RFC 8705) on grantline's Node.js transport, with a keep-alive agent of its own:
 * the certificate is presented on every connection, and connections are reused. Set as a Configuration's
 * `customFetch`, grantline sends on its agent directly (the fast path, as {@link useClientCertificate} does);
 * called as a plain fetch, it speaks just what grantline asks of one: redirects are never followed (a 3xx comes
 * back as is), the abort signal is honoured until the response body has been read, and the result is a real
 * `Response`. Only `https:` URLs are accepted. It asks for uncompressed responses (DECISIONS D30).
 *
 * @example
 * ```ts
 * import * as client from 'grantline'
 * import { mtlsFetch } from 'grantline/node'
 * import { readFileSync } from 'node:fs'
 *
 * let server!: client.ServerMetadata
 *
 * const config = new client.Configuration(
 *   server,
 *   'my-client',
 *   { use_mtls_endpoint_aliases: true, tls_client_certificate_bound_access_tokens: true },
 *   client.TlsClientAuth(),
 * )
 * config[client.customFetch] = mtlsFetch({ cert: readFileSync('client.crt'), key: readFileSync('client.key') })
 * const tokens = await client.genericGrantRequest(config, 'client_credentials', {})
 * ```
 *
 * @param options - The client certificate and key (`cert`, `key`, `passphrase` or `pfx`), and TLS options.
 * @returns A `fetch` for `config[customFetch]` that presents the certificate; `close()` ends its connections.
 * @see [RFC 8705](https://www.rfc-editor.org/rfc/rfc8705.html)
 * @see [D28: key material is never printed](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d28)
 * @see [D30: uncompressed responses](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d30)
 */
export function mtlsFetch(options: MtlsFetchOptions): MtlsFetch {
  const agent = certificateAgent(options)
  const impl = (url: string, init: CustomFetchOptions) => fetchOn(agent, url, init)
  Object.defineProperty(impl, 'agent', { get: () => agent, enumerable: false })
  Object.defineProperty(impl, 'close', { value: () => agent.destroy(), enumerable: false })
  certificateAgents.set(impl, agent)
  return impl as MtlsFetch
}

/**
 * Presents a client certificate (RFC 8705 mutual TLS) on every request `config` makes: set once, sent by
 * grantline's Node.js transport on a keep-alive agent of this certificate's own, whatever the transport mode
 * (the certificate cannot be presented by the global `fetch`). It takes the place of the Configuration's
 * `customFetch` (it is an {@link mtlsFetch}); the key, its passphrase and a PFX are turned into a TLS secure
 * context at once and kept nowhere else (DECISIONS D28).
 *
 * @example
 * ```ts
 * import * as client from 'grantline'
 * import { useClientCertificate } from 'grantline/node'
 * import { readFileSync } from 'node:fs'
 *
 * let config!: client.Configuration
 *
 * useClientCertificate(config, { cert: readFileSync('client.crt'), key: readFileSync('client.key') })
 * ```
 *
 * @param config - The configuration whose requests present the certificate.
 * @param options - The client certificate and key, as for {@link mtlsFetch}.
 * @see [D28: key material is never printed](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d28)
 */
export function useClientCertificate(config: Configuration, options: MtlsFetchOptions): void {
  if (!(config instanceof Configuration)) throw argError('"config" must be an instance of Configuration')
  const current = config[customFetch]
  config[customFetch] = mtlsFetch(options)
  // A certificate replaced on the same Configuration: its pooled connections are closed.
  if (current !== undefined) certificateAgents.get(current)?.destroy()
}

function certificateAgent(options: MtlsFetchOptions): Agent {
  if (typeof options !== 'object' || options === null) throw argError('"options" must be an object')
  if (options.cert === undefined || options.cert === null) throw argError('"options.cert" is required')
  if (options.key === undefined || options.key === null) throw argError('"options.key" is required')
  // DECISIONS D28: the key, its passphrase and a PFX go into a native secure context at once and are kept
  // nowhere else, so that neither `console.log(config[customFetch])` nor an inspected agent shows them.
  const { key: _key, passphrase: _passphrase, pfx: _pfx, ...connection } = options
  const secureContext = createSecureContext(options)
  return new Agent({ ...AGENT_OPTIONS, ...connection, secureContext })
}

/** mtlsFetch called as a fetch: the same exchange as grantline's own requests, on the certificate's agent. */
async function fetchOn(agent: Agent, href: string, init: CustomFetchOptions): Promise<Response> {
  init.signal?.throwIfAborted()
  if (!URL.canParse(href)) throw new TypeError('invalid URL')
  const url = new URL(href)
  if (url.protocol !== 'https:') throw new TypeError('mtlsFetch only makes requests to https: URLs')
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value
  return exchange({
    url,
    method: init.method.toUpperCase(),
    headers,
    body: init.body,
    signal: init.signal,
    tlsAgent: agent,
    redirectError: init.redirect === ('error' as string),
  })
}
