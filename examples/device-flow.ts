// Device authorization grant (RFC 8628): a device without a browser shows a code, the user approves elsewhere,
// and the device polls for tokens. Run: npx tsx examples/device-flow.ts
//
// The embedded authorization server (demo/server.ts) plays the user too: two seconds after the code is shown,
// it approves it as "alice". It sends no `interval`, so grantline polls every 5 seconds (RFC 8628 §3.2).

import { startAuthorizationServer } from '../demo/server.js'
import {
  allowInsecureRequests,
  discovery,
  initiateDeviceAuthorization,
  pollDeviceAuthorizationGrant,
  refreshTokenGrant,
  tokenRevocation,
} from 'grantline'

const preview = (token: string) => `${token.slice(0, 8)}… (${token.length} characters)`

const server = await startAuthorizationServer()
try {
  // A public client: a device cannot keep a secret.
  const config = await discovery(new URL(server.issuer), 'public', undefined, undefined, {
    execute: [allowInsecureRequests],
  })

  const authorization = await initiateDeviceAuthorization(config, { scope: 'openid offline_access' })
  console.log('device authorization grant (RFC 8628)')
  console.log(`  visit ${authorization.verification_uri} and enter ${authorization.user_code}`)
  console.log(`  (code valid for ${authorization.expires_in} s)`)

  setTimeout(() => {
    console.log('  ... the user approves on their phone')
    server.approveDeviceFlow(authorization.user_code, 'alice').catch(console.error)
  }, 2000)

  const tokens = await pollDeviceAuthorizationGrant(config, authorization, undefined, {
    signal: AbortSignal.timeout(60_000),
  })
  console.log('  access token       ', preview(tokens.access_token))
  console.log('  ID Token subject   ', tokens.claims()?.sub)
  console.log('  refresh token      ', tokens.refresh_token ? preview(tokens.refresh_token) : 'none')

  const refreshed = await refreshTokenGrant(config, tokens.refresh_token!)
  console.log('  refreshed token    ', preview(refreshed.access_token))
  await tokenRevocation(config, refreshed.refresh_token ?? tokens.refresh_token!, {
    token_type_hint: 'refresh_token',
  })
  console.log('  refresh token revoked')
} finally {
  await server.close()
}
