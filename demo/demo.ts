// `npm run demo`: two grants against a real authorization server started in this process, showing what
// grantline sends and what it hands back. Nothing leaves 127.0.0.1; no secret or full token is printed.

import {
  ClientSecretBasic,
  Configuration,
  PrivateKeyJwt,
  allowInsecureRequests,
  customFetch,
  genericGrantRequest,
  type ClientAuth,
  type CustomFetch,
  type ServerMetadata,
  type TokenEndpointResponse,
  type TokenEndpointResponseHelpers,
} from 'grantline'
import { signJwtAssertion } from './assertions.js'
import { JWT_BEARER, TOKEN_EXCHANGE, startAuthorizationServer, type AuthorizationServer } from './server.js'
import { TOKEN_TYPE } from './grants/token-exchange.js'

/** Parameters whose values are credentials: shown as a short prefix and a length, never in full. */
const SENSITIVE = new Set(['subject_token', 'actor_token', 'assertion', 'client_assertion', 'refresh_token'])
/** Parameters never shown at all. */
const SECRET = new Set(['client_secret'])

const out = (line = '') => console.log(line)
const row = (name: string, value: string) => out(`     ${name.padEnd(24)}${value}`)

function preview(value: string): string {
  return `${value.slice(0, 8)}… (${value.length} characters)`
}

/** A Configuration for one of the server's clients whose requests are printed as they leave. */
function configFor(
  server: AuthorizationServer,
  clientId: string,
  auth: ClientAuth,
  method: string,
): Configuration {
  const client = server.clients[clientId]!
  const config = new Configuration(
    server.metadata as ServerMetadata,
    clientId,
    client.clientSecret ?? {},
    auth,
  )
  // The embedded server listens on plain http://127.0.0.1; production servers must use HTTPS.
  allowInsecureRequests(config)
  const printing: CustomFetch = async (url, options) => {
    out(`   → ${options.method} ${url}`)
    const body = new URLSearchParams(options.body instanceof URLSearchParams ? options.body : undefined)
    // grant_type first: it says which grant this is.
    const names = [...new Set(body.keys())].sort(
      (a, b) => Number(b === 'grant_type') - Number(a === 'grant_type'),
    )
    for (const name of names) {
      const values = body.getAll(name)
      if (SECRET.has(name)) continue
      // A repeated parameter gets one row per value, as it goes on the wire.
      for (const value of values) row(name, SENSITIVE.has(name) ? preview(value) : value)
    }
    row('client authentication', method)
    if (options.headers['dpop']) row('DPoP proof', 'yes')
    const response = await fetch(url, options as RequestInit)
    out(`   ← HTTP ${response.status} ${response.statusText}`)
    return response
  }
  config[customFetch] = printing
  return config
}

function printResponse(response: TokenEndpointResponse & TokenEndpointResponseHelpers): void {
  out('   grantline validated the response and returned:')
  row('token_type', response.token_type)
  row('access_token', preview(response.access_token))
  if (response.expires_in !== undefined) {
    row('expires_in', `${response.expires_in} s (expiresIn() says ${response.expiresIn()} s left)`)
  }
  if (response.scope !== undefined) row('scope', response.scope || '(empty)')
  if (typeof response['issued_token_type'] === 'string')
    row('issued_token_type', response['issued_token_type'])
  if (response.refresh_token !== undefined) row('refresh_token', preview(response.refresh_token))
}

async function main(): Promise<void> {
  out('grantline demo: any grant at the token endpoint, validated')
  out()
  const server = await startAuthorizationServer()
  try {
    out(`Started a real authorization server (oidc-provider 9.13.3) at ${server.issuer}`)
    out(`Its token endpoint is ${server.metadata.token_endpoint}`)
    out()

    // 1. Token exchange (RFC 8693): an API that received a user's access token trades it for one meant for
    //    the next services it calls, here two audiences at once.
    out('1. Token exchange (RFC 8693)')
    out("   An API holding a user's access token trades it for a token meant for two other services.")
    const subjectToken = await server.issueAccessToken('basic', { accountId: 'alice', scope: 'api:read' })
    const exchange = configFor(
      server,
      'basic',
      ClientSecretBasic(),
      'client_secret_basic (client_id and secret in the Authorization header; not shown)',
    )
    const exchanged = await genericGrantRequest(exchange, TOKEN_EXCHANGE, {
      subject_token: subjectToken,
      subject_token_type: TOKEN_TYPE.accessToken,
      // An array becomes repeated parameters: audience=...&audience=...
      audience: ['https://orders.example.test', 'https://billing.example.test'],
      scope: 'api:read',
    })
    printResponse(exchanged)
    const recorded = await server.inspectAccessToken(exchanged.access_token)
    out(`   The server issued it for user "${String(recorded?.['accountId'])}" with both audiences:`)
    out(`   aud = ${JSON.stringify(recorded?.['aud'])}`)
    out()

    // 2. JWT bearer (RFC 7523 §2.1): an identity provider the server trusts vouches for "bob" with a signed
    //    JWT; the client, authenticating with its own key, trades it for an access token.
    out('2. JWT bearer (RFC 7523)')
    out(
      `   An identity provider the server trusts (${server.trustedAssertionIssuer.issuer}) vouches for user`,
    )
    out('   "bob" in a signed JWT; the client trades that assertion for an access token.')
    const assertion = await signJwtAssertion(server.trustedAssertionIssuer, {
      sub: 'bob',
      aud: server.issuer,
    })
    const clientKey = server.clients['pkjwt-es256']!.privateKey!
    const bearer = configFor(
      server,
      'pkjwt-es256',
      PrivateKeyJwt({ key: clientKey.key, kid: clientKey.kid }),
      'private_key_jwt (client_id "pkjwt-es256", an ES256-signed client_assertion)',
    )
    printResponse(await genericGrantRequest(bearer, JWT_BEARER, { assertion, scope: 'api:read api:write' }))
    out()

    out('Both grants went through genericGrantRequest(config, grantType, parameters).')
    out('Read demo/demo.ts for the calls, and README.md for the rest of the API.')
    out('To sign in with a browser (authorization code + PKCE, login and consent pages): npm run demo:login')
  } finally {
    await server.close()
  }
}

main().then(
  () => {
    process.exitCode = 0
  },
  (err: unknown) => {
    console.error('The demo failed:', err instanceof Error ? `${err.name}: ${err.message}` : err)
    process.exitCode = 1
  },
)
