// What the token manager's test files share: the managers a test makes, closed after it, and the events a
// manager emits, recorded by name.

import {
  createTokenManager,
  type TokenManager,
  type TokenManagerEvents,
  type TokenManagerOptions,
} from '../../src/index.js'

/** Makes managers with a file's `defaults` (options win), and closes every one it made or tracked. */
export function managerPool(defaults: TokenManagerOptions = {}) {
  let open: TokenManager[] = []
  const track = (m: TokenManager): TokenManager => {
    open.push(m)
    return m
  }
  return {
    create: (options: TokenManagerOptions = {}) => track(createTokenManager({ ...defaults, ...options })),
    track,
    async closeAll(): Promise<void> {
      const closing = open
      open = []
      for (const m of closing) await m.close()
    },
  }
}

/** Every `name` event `m` emits from now on, in order. */
export function collect<E extends keyof TokenManagerEvents>(
  m: TokenManager,
  name: E,
): TokenManagerEvents[E][] {
  const events: TokenManagerEvents[E][] = []
  m.on(name, (e) => events.push(e))
  return events
}
