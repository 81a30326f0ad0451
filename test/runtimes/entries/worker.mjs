// workerd: bundled the way Workers tooling bundles (esbuild with the workerd and worker conditions, so jose
// and grantline come in from node_modules). A POST with the servers' description runs the suite.
import * as client from 'grantline'
import { runSuite } from '../suite.ts'

export default {
  async fetch(request) {
    const env = await request.json()
    return Response.json(await runSuite(client, env))
  },
}
