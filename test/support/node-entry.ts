// Setup file of the `node` test project (vitest.config.ts): loads the Node.js entry point, as the `node`
// export condition does for applications, so that every test (which imports src/index.ts) runs on grantline's
// node:http transport and node:crypto signer. GRANTLINE_TRANSPORT=node forces the transport for every request.
import '../../src/node/index.js'
