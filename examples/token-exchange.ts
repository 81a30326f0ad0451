// Token exchange (RFC 8693): a service holding a user's access token trades it for a token meant for two
// downstream services. Run: npx tsx examples/token-exchange.ts
//
// The embedded authorization server (demo/server.ts) runs in this process on 127.0.0.1; nothing leaves the
// machine. Tokens are printed as short previews only.

import { startAuthorizationServer } from '../demo/server.js'
import {
  ClientSecretBasic,
  TokenType,
  allowInsecureRequests,
  discovery,
  tokenExchangeGrant,
  tokenIntrospection,
} from 'grantline'

const preview = (token: string) => `${token.slice(0, 8)}… (${token.length} characters)`

const server = await startAuthorizationServer()
try {
  const { clientId, clientSecret } = server.clients['basic']!
  // allowInsecureRequests: the embedded server speaks plain http on 127.0.0.1. Never in production.
  const config = await discovery(new URL(server.issuer), clientId, clientSecret, ClientSecretBasic(), {
    execute: [allowInsecureRequests],
  })

  // In a real service this is the access token the caller presented to us.
  const incoming = await server.issueAccessToken(clientId, { scope: 'api:read', accountId: 'alice' })

  const exchanged = await tokenExchangeGrant(config, {
    subject_token: incoming,
    subject_token_type: TokenType.AccessToken,
    requested_token_type: TokenType.AccessToken,
    audience: ['billing', 'ledger'],
    scope: 'api:read',
  })

  console.log('token exchange (RFC 8693)')
  console.log('  subject token      ', preview(incoming))
  console.log('  issued token       ', preview(exchanged.access_token))
  console.log('  issued_token_type  ', exchanged.issued_token_type)
  console.log('  token_type         ', exchanged.token_type)
  console.log('  scope              ', exchanged.scope)
  console.log('  expires in (s)     ', exchanged.expiresIn())

  const introspection = await tokenIntrospection(config, exchanged.access_token)
  console.log('  introspection      ', {
    active: introspection.active,
    sub: introspection.sub,
    requested_audience: introspection['requested_audience'],
  })
} finally {
  await server.close()
}
