import type { Values } from '../args.js'
import type { ClientContext } from '../config.js'
import type { Terminal } from '../output.js'

/** What a command receives: its parsed options (profile applied), positionals, and the client when it needs one. */
export interface Invocation {
  values: Values
  positionals: string[]
  client: ClientContext
  term: Terminal
  env: NodeJS.ProcessEnv
  cwd: string
}

/** `{ DPoP }` when the run has a DPoP handle, else nothing. */
export function dpop(client: ClientContext): { DPoP?: NonNullable<ClientContext['DPoP']> } {
  return client.DPoP ? { DPoP: client.DPoP } : {}
}
