// The package as a user installs it (issue 14 item 1): `npm pack` installed into a fresh folder (every runtime
// of the suite loads grantline from there), and `npm i git+file://<this clone>`, which clones the committed
// HEAD, installs its devDependencies and runs `prepare` (the build) the way a git dependency does.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const NPM_ENV = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
}

export function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = NPM_ENV,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })
}

function freshApp(prefix: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), 'app')
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  return dir
}

/** `npm pack` of the built package, installed into a fresh folder; returns that folder. */
export async function installPacked(root: string): Promise<string> {
  const app = freshApp('grantline-runtimes-')
  const packed = JSON.parse(
    await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', app], root),
  ) as {
    filename: string
  }[]
  await run('npm', ['install', '--prefer-offline', '--no-package-lock', join(app, packed[0]!.filename)], app)
  return app
}

/**
 * Installs grantline from a git URL of this clone into a fresh folder, then imports it as ESM and with
 * `require()` on the Node.js running this script. Returns the checks made, each with its outcome.
 */
export async function checkGitInstall(
  root: string,
): Promise<{ name: string; ok: boolean; error?: string }[]> {
  const app = freshApp('grantline-git-')
  const url = `git+${pathToFileURL(root).href}`
  try {
    await run('npm', ['install', '--prefer-offline', '--no-package-lock', url], app)
  } catch (err) {
    return [{ name: `npm install ${url}`, ok: false, error: (err as Error).message.slice(-4000) }]
  }
  const checks = [
    {
      name: 'import grantline (ESM) after a git install',
      args: [
        '--input-type=module',
        '-e',
        "import * as g from 'grantline'; import { useClientCertificate } from 'grantline/node'; if (typeof g.genericGrantRequest !== 'function' || typeof useClientCertificate !== 'function') process.exit(1)",
      ],
    },
    {
      name: "require('grantline') after a git install",
      args: [
        '-e',
        "const g = require('grantline'); if (typeof g.createTokenManager !== 'function') process.exit(1)",
      ],
    },
  ]
  const out: { name: string; ok: boolean; error?: string }[] = [{ name: `npm install ${url}`, ok: true }]
  for (const check of checks) {
    try {
      await run(process.execPath, check.args, app, process.env)
      out.push({ name: check.name, ok: true })
    } catch (err) {
      out.push({ name: check.name, ok: false, error: (err as Error).message })
    }
  }
  return out
}
