// Client credentials with DPoP (RFC 6749 §4.4 + RFC 9449): the access token is bound to a key pair that never
// leaves this process, then used at a resource server with a fresh proof. Run:
// npx tsx examples/client-credentials-dpop.ts
//
// The embedded authorization server (demo/server.ts) is started requiring DPoP nonces, so the first token
// request is answered with `use_dpop_nonce` and grantline retries once with the nonce, on its own.

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startAuthorizationServer } from '../demo/server.js'
import {
  allowInsecureRequests,
  clientCredentialsGrant,
  discovery,
  fetchProtectedResource,
  getDPoPHandle,
  randomDPoPKeyPair,
} from 'grantline'

const preview = (token: string) => `${token.slice(0, 8)}… (${token.length} characters)`

const server = await startAuthorizationServer({ requireDPoPNonce: true })
// A stand-in resource server that shows what it received (a real one would verify the proof).
const api = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      authorization: req.headers.authorization?.split(' ')[0],
      dpop: Boolean(req.headers.dpop),
    }),
  )
})
await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
try {
  const { clientId, clientSecret } = server.clients['post']!
  const config = await discovery(new URL(server.issuer), clientId, clientSecret, undefined, {
    execute: [allowInsecureRequests],
  })

  const DPoP = getDPoPHandle(config, await randomDPoPKeyPair('ES256'))
  server.requests.length = 0
  const tokens = await clientCredentialsGrant(config, { scope: 'api:read' }, { DPoP })
  const attempts = server.requests.filter((request) => request.path === '/token').length

  console.log('client credentials with DPoP (RFC 9449)')
  console.log('  access token       ', preview(tokens.access_token))
  console.log('  token_type         ', tokens.token_type)
  console.log('  key thumbprint     ', await DPoP.calculateThumbprint())
  console.log('  token requests     ', attempts, '(the first one was answered use_dpop_nonce)')

  const url = new URL(`http://127.0.0.1:${(api.address() as AddressInfo).port}/things`)
  const response = await fetchProtectedResource(
    config,
    tokens.access_token,
    url,
    'GET',
    undefined,
    undefined,
    {
      DPoP,
    },
  )
  console.log('  resource server saw', await response.json())
} finally {
  api.closeAllConnections()
  api.close()
  await server.close()
}
