// Debian's headless Chromium through playwright-core, for every test that needs a real browser (the login
// example, the CLI's login, the runtime matrix). scripts/ensure-system.mjs installs the package on a fresh machine.

import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

/**
 * Required on this machine's closed network: no first-run, component-update, sync or background traffic (each
 * would be refused, many at a time) and no QUIC; no sandbox, as tests run as root.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Starts Chromium with a fresh temporary profile (playwright-core makes one per launch). A missing binary or a
 * failed start is an Error that says which and how to fix it, so a test fails loudly instead of skipping.
 */
export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `${executablePath} is missing: install Debian's chromium package (npm test runs scripts/ensure-system.mjs, which does)`,
    )
  }
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 })
  } catch (err) {
    throw new Error(
      `Chromium (${executablePath}) could not start: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}
