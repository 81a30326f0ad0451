// oidc-provider 9 prints "Unsupported runtime. Use Node.js v22.x LTS" when loaded on Node.js 20, although every
// flow the embedded server uses works there (NOTES.md). demo/server.ts imports this module before anything that
// loads oidc-provider, and calls `restoreConsoleWarn()` once its imports have run: only that one line, printed
// while the module loads, is dropped.

const UNSUPPORTED_RUNTIME = 'oidc-provider WARNING: Unsupported runtime.'

const original = console.warn

console.warn = function filtered(...args: unknown[]) {
  const [first] = args
  // The line is wrapped in ANSI colour codes when stderr is a terminal, hence `includes`.
  if (typeof first === 'string' && first.includes(UNSUPPORTED_RUNTIME)) return
  original.apply(console, args)
}

export function restoreConsoleWarn(): void {
  console.warn = original
}
