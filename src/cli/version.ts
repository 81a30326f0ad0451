// The version the bin reports: the package's, read next to the bin (dist/cli/ → package.json) when present.

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

function read(): string {
  for (const relative of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8'))
      if (pkg.name === 'grantline' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // next
    }
  }
  return 'unknown'
}

export const VERSION = read()
