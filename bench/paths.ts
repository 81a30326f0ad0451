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

/** How the transport is forced, once the node transport exists (src/node/transport.ts, helper E's switch). */
type TransportSwitch = (path: GrantlinePath) => void

let transportSwitch: TransportSwitch | undefined
/** Why the node path could not use the node:http transport, if it could not. */
let missing: string | undefined

/** Loads the node entry's switch once; the node path then runs on it. */
export async function loadPaths(): Promise<void> {
  if (transportSwitch !== undefined || missing !== undefined) return
  try {
    const transport = (await import('../src/node/transport.js' as string)) as Record<string, unknown>
    const force = transport['setTransport'] ?? transport['useTransport'] ?? transport['forceTransport']
    if (typeof force !== 'function') throw new Error('src/node/transport.ts exports no transport switch')
    transportSwitch = (path) => (force as (path: string) => void)(path)
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
