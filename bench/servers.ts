// Starts a token endpoint in a child process and hands back a Target the clients can use.

import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Target } from './clients.js'
import type { ServedTarget } from './server-process.js'

export type ServerKind = 'minimal' | 'oidc-provider'

export interface RunningServer {
  target: Target
  pid: number
  stop(): Promise<void>
}

/** An ES256 key for the private_key_jwt client; the server only ever sees the public half. */
export async function benchClientKey(): Promise<{
  privateJwk: JsonWebKey & { kid: string }
  publicJwk: JsonWebKey
}> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const kid = 'bench-es256'
  const publicJwk = {
    ...(await crypto.subtle.exportKey('jwk', pair.publicKey)),
    kid,
    alg: 'ES256',
    use: 'sig',
  }
  const privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid }
  delete publicJwk.key_ops
  delete publicJwk.ext
  return { privateJwk, publicJwk }
}

export async function startServer(
  kind: ServerKind,
  key: { privateJwk: JsonWebKey & { kid: string }; publicJwk: JsonWebKey },
): Promise<RunningServer> {
  const entry = fileURLToPath(new URL('./server-process.ts', import.meta.url))
  const child: ChildProcess = fork(entry, [kind, JSON.stringify(key.publicJwk)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const served = await new Promise<ServedTarget>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start within 30 s`)), 30_000)
    child.once('message', (message) => {
      clearTimeout(timer)
      resolve((message as { served: ServedTarget }).served)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${kind} server exited with code ${code}`))
    })
  })
  const { jwtClientId, ...rest } = served
  return {
    target: { ...rest, jwtClient: { clientId: jwtClientId, privateJwk: key.privateJwk } },
    pid: child.pid ?? -1,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.disconnect()
      }),
  }
}
