// A real Redis for the token store and fleet tests (issue 11): Debian's `redis-server`, started on 127.0.0.1 with
// a random free port, no persistence, its working directory a fresh temporary one. A missing binary is a loud
// failure, never a skip (`npm test` installs it first: scripts/ensure-system.mjs).

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** The server's process id (changes on restart). */
  readonly pid: number | undefined
  /** Shuts the server down (SIGTERM) and waits for the process to exit. The port stays reserved for restart(). */
  stop(): Promise<void>
  /** Kills the server at once (SIGKILL), as a crash would, and waits for the process to exit. */
  kill(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered; a Redis that is slow. */
  pause(): void
  /** Lets a paused server go on (SIGCONT). */
  resume(): void
  /** Starts the server again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>
  /** Stops the server and removes its directory. */
  close(): Promise<void>
}

const READY = /Ready to accept connections/

/** Starts a fresh redis-server; resolves once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'grantline-redis-'))
  let port = 0
  let child: ChildProcess | undefined
  // Another process may take the free port between our probe and redis-server's bind: try a few ports.
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    try {
      child = await launch(port, dir)
      break
    } catch (err) {
      if (attempt >= 4 || !(err instanceof PortInUse)) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
    }
  }

  const exit = async (signal: NodeJS.Signals) => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill(signal)
      running.kill('SIGCONT') // a paused server must wake up to act on the signal
    })
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid
    },
    stop: () => exit('SIGTERM'),
    kill: () => exit('SIGKILL'),
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async restart() {
      await exit('SIGTERM')
      child = await launch(port, dir)
    },
    async close() {
      await exit('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

class PortInUse extends Error {}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'notice',
  ]
  return new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    // A test process that dies must not leave its Redis behind.
    const reap = () => child.kill('SIGKILL')
    process.once('exit', reap)
    child.once('exit', () => process.off('exit', reap))
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not start within 10 s:\n${output}`))
    }, 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (READY.test(output)) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        // Keep draining the pipes so the server never blocks on a full one.
        child.stdout?.resume()
        child.stderr?.resume()
        resolve(child)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(
        err.code === 'ENOENT'
          ? new Error(
              'redis-server is not installed: the Redis tests need it (apt-get install redis-server, or run `npm test`, whose first step installs it)',
            )
          : err,
      )
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (READY.test(output)) return
      if (/Address already in use/i.test(output)) reject(new PortInUse(output))
      else reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`))
    })
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}
