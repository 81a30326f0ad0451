// Node.js, Deno and Bun: the suite with `grantline` as this runtime resolves it from node_modules (node, deno and
// bun export conditions), plus grantline/node's client certificates. The runner passes the servers' description
// as a base64url JSON argument and reads the line starting with @@RESULTS.
import * as client from 'grantline'
import { runSuite } from '../suite.ts'

const env = JSON.parse(
  new TextDecoder().decode(Uint8Array.from(atob(process.argv[2]), (c) => c.charCodeAt(0))),
)
const extras = {}
if (env.mtls) extras.useClientCertificate = (await import('grantline/node')).useClientCertificate
const results = await runSuite(client, env, extras)
console.log(`@@RESULTS ${JSON.stringify(results)}`)
process.exit(0)
