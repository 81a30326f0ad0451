// The device authorization grant (RFC 8628): the user code and verification URI go to stderr for the person,
// a countdown runs on a terminal, and the tokens go to stdout once the user approved.

import { initiateDeviceAuthorization, pollDeviceAuthorizationGrant } from '../../node/index.js'
import { flag } from '../args.js'
import { grantParameters, noPositionals } from './grants.js'
import { dpop, type Invocation } from './types.js'

export async function device({ values, positionals, client, term }: Invocation) {
  noPositionals(positionals)
  const params = grantParameters(values)
  const started = await initiateDeviceAuthorization(client.config, params)
  term.err(`To sign in, open ${started.verification_uri} and enter the code ${started.user_code}`)
  if (started.verification_uri_complete) term.err(`or open ${started.verification_uri_complete}`)
  const expiresAt = Date.now() + started.expires_in * 1000
  const interval = started.interval ?? 5
  term.err(`Waiting for approval (the code expires in ${started.expires_in} s; polling every ${interval} s)`)
  if (flag(values, 'open') && started.verification_uri_complete)
    void openBrowser(started.verification_uri_complete)

  const tick = () => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000))
    const mm = String(Math.floor(left / 60)).padStart(2, '0')
    const ss = String(left % 60).padStart(2, '0')
    term.status(`waiting for approval of ${started.user_code}: ${mm}:${ss} left`)
  }
  tick()
  const timer = term.stderrIsTTY ? setInterval(tick, 1000) : undefined
  try {
    // The DPoP handle, when given, binds the tokens issued at the end (RFC 9449).
    return await pollDeviceAuthorizationGrant(client.config, started, {}, dpop(client))
  } finally {
    if (timer) clearInterval(timer)
    term.status('')
  }
}

/** Best effort: `open` on macOS, `xdg-open` elsewhere; failures are ignored. */
export async function openBrowser(url: string): Promise<boolean> {
  const { spawn } = await import('node:child_process')
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer.exe' : 'xdg-open'
  return new Promise((resolve) => {
    try {
      const child = spawn(command, [url], { stdio: 'ignore', detached: true })
      child.once('error', () => resolve(false))
      child.once('spawn', () => {
        child.unref()
        resolve(true)
      })
    } catch {
      resolve(false)
    }
  })
}
