// The two grantline paths on Node.js, measured in the same process and switched before every measured round:
//
// - node: what the `node` export condition gives (src/node/): requests on grantline's node:http transport,
//   signatures on node:crypto (installNodeSigner).
// - fetch: the portable path, as on runtimes without the node condition and whenever the application has taken
//   control of fetch: the global `fetch` and WebCrypto.
//
// The switches are process-wide, which is safe here because the bench measures one client at a time.

import { installNodeSigner, uninstallNodeSigner } from '../src/node/signer.js'

export const PATHS = ['node', 'fetch'] as const
export type GrantlinePath = (typeof PATHS)[number]

/** How the transport is forced: `setTransport` of the node entry (src/node/index.ts). */
type TransportSwitch = (path: GrantlinePath) => void

let transportSwitch: TransportSwitch | undefined
/** Why the node path could not use the node:http transport, if it could not. */
let missing: string | undefined

/**
 * Loads the node entry once, as the `node` export condition does for applications: it registers the node:http
 * transport and the node:crypto signer. The bench then forces the transport per round with its `setTransport`.
 */
export async function loadPaths(): Promise<void> {
  if (transportSwitch !== undefined || missing !== undefined) return
  try {
    const entry = (await import('../src/node/index.js')) as Record<string, unknown>
    const setTransport = entry['setTransport']
    if (typeof setTransport !== 'function') throw new Error('src/node/index.ts exports no setTransport')
    transportSwitch = (path) => (setTransport as (mode: string) => unknown)(path)
  } catch (err) {
    missing = String(err)
  }
}

/** Why grantline (node) ran on fetch, or undefined when it ran on the node transport. */
export function nodeTransportMissing(): string | undefined {
  return missing
}

/** Makes the next grantline requests take `path`. */
export function usePath(path: GrantlinePath): void {
  if (path === 'node') installNodeSigner()
  else uninstallNodeSigner()
  transportSwitch?.(path)
}
