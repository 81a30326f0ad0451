// `npm run examples`: runs every example in its own process, in order, and fails if any does.

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const EXAMPLES = [
  'token-exchange.ts',
  'jwt-bearer.ts',
  'client-credentials-dpop.ts',
  'device-flow.ts',
  'fleet.ts',
]

for (const name of EXAMPLES) {
  const file = fileURLToPath(new URL(name, import.meta.url))
  console.log(`\n$ npx tsx examples/${name}`)
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' })
  if (status !== 0) {
    console.error(`examples/${name} failed with exit code ${status}`)
    process.exit(1)
  }
}
