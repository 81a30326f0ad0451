// JWT bearer grant (RFC 7523 §2.1): a workload signs an assertion with a key the authorization server trusts and
// trades it for an access token. Run: npx tsx examples/jwt-bearer.ts
//
// The embedded authorization server (demo/server.ts) trusts one assertion issuer, whose ES256 key it hands us
// here; in production the key would live in your KMS or workload identity provider.

import { startAuthorizationServer } from '../demo/server.js'
import {
  allowInsecureRequests,
  discovery,
  jwtBearerGrant,
  signJwtBearerAssertion,
  tokenIntrospection,
} from 'grantline'

const preview = (token: string) => `${token.slice(0, 8)}… (${token.length} characters)`

const server = await startAuthorizationServer()
try {
  const { clientId, clientSecret } = server.clients['post']!
  const config = await discovery(new URL(server.issuer), clientId, clientSecret, undefined, {
    execute: [allowInsecureRequests],
  })
  const { privateKey, kid, issuer } = server.trustedAssertionIssuer

  // One call builds the assertion (iss, sub, aud = the server's issuer, exp = now + 60, iat, jti) and sends it.
  const tokens = await jwtBearerGrant(
    config,
    { privateKey: { key: privateKey, kid }, claims: { iss: issuer, sub: 'inventory-service' } },
    { scope: 'api:read' },
  )
  console.log('JWT bearer grant (RFC 7523), assertion built by grantline')
  console.log('  access token       ', preview(tokens.access_token))
  console.log('  token_type         ', tokens.token_type)
  console.log('  scope              ', tokens.scope)
  console.log('  subject            ', (await tokenIntrospection(config, tokens.access_token)).sub)

  // Or sign the assertion yourself (e.g. to cache it), with the token endpoint as its audience.
  const assertion = await signJwtBearerAssertion(
    config,
    { key: privateKey, kid },
    { iss: issuer, sub: 'billing-service' },
    { audience: 'token_endpoint' },
  )
  const [, payload] = assertion.split('.')
  console.log('  a signed assertion ', JSON.parse(Buffer.from(payload!, 'base64url').toString()))
  const second = await jwtBearerGrant(config, assertion)
  console.log('  its access token   ', preview(second.access_token))
} finally {
  await server.close()
}
