// A setup step of `npm test` (and so of .ci/run): the system programs real-part tests need. redis-server backs
// the token manager's fleet tests (issue 11); Debian's chromium drives the browser login (issue 12) and the CLI's
// `login` (issue 13). Missing ones are installed with apt-get (CI and these machines run as root); if that is not
// possible the step fails loudly, so no test is ever skipped for want of them.
import { execFileSync, execSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

// Each program with the exact command that installs it on Debian.
const NEEDS = [
  {
    pkg: 'redis-server',
    install: 'apt-get install -y redis-server',
    present: () => spawnSync('redis-server', ['--version']).status === 0,
  },
  {
    pkg: 'chromium',
    install: 'apt-get install -y chromium',
    present: () => existsSync('/usr/bin/chromium'),
  },
]

const missingNeeds = NEEDS.filter((need) => !need.present())
const missing = missingNeeds.map((need) => need.pkg)
if (missing.length === 0) process.exit(0)

console.log(`ensure-system: installing ${missing.join(', ')} with apt-get`)
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  console.error(
    `ensure-system: ${missing.join(', ')} missing and not running as root; install them with apt-get`,
  )
  process.exit(1)
}
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  for (const need of missingNeeds) execSync(need.install, { stdio: 'inherit', env })
} catch (err) {
  console.error(`ensure-system: apt-get failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
const still = NEEDS.filter((need) => !need.present()).map((need) => need.pkg)
if (still.length > 0) {
  console.error(`ensure-system: still missing after apt-get: ${still.join(', ')}`)
  process.exit(1)
}
console.log('ensure-system: done')
