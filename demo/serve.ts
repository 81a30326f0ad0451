// `npm run server`: the embedded authorization server (demo/server.ts, a real oidc-provider) on its own, for
// developing an application against it. It prints the issuer and every test client with what a developer needs
// to act as it (client_id, authentication method, secret, a private key as a JWK), the accounts of its login
// page, a subject token for token exchange, and a few lines of grantline to start from; then it stays up until
// Ctrl-C. Every start has a new port, new keys and new secrets. Development only: never expose it.
//
//   npm run server -- [--mtls] [--require-dpop-nonce] [--redirect-uri <uri> ...]
//
// --redirect-uri registers your application's callback (e.g. http://localhost:3000/callback) for every login
// client. Type `approve <user code> [account]` or `deny <user code>` to answer a device flow.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { GRANT_TYPES } from './clients.js'
import { ACCOUNTS, SCOPES, startAuthorizationServer } from './server.js'

/** A private_key_jwt client whose key this script makes and prints (the server's own keys stay in-process). */
const PKJWT_CLIENT = 'dev-pkjwt'

const { values } = parseArgs({
  options: {
    mtls: { type: 'boolean', default: false },
    'require-dpop-nonce': { type: 'boolean', default: false },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (values.help) {
  console.log('npm run server -- [--mtls] [--require-dpop-nonce] [--redirect-uri <uri> ...]')
  process.exit(0)
}

const server = await startAuthorizationServer({
  mtls: values.mtls,
  requireDPoPNonce: values['require-dpop-nonce'],
  redirectUris: values['redirect-uri'],
})

// One more client, with a key made here so that its private half can be printed.
const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
const publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }
const kid = await calculateJwkThumbprint(publicJwk)
await server.registerClient({
  client_id: PKJWT_CLIENT,
  token_endpoint_auth_method: 'private_key_jwt',
  grant_types: GRANT_TYPES,
  response_types: [],
  redirect_uris: [],
  backchannel_token_delivery_mode: 'poll',
  jwks: { keys: [{ ...publicJwk, kid }] },
})
const privateJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', kid }

// mTLS: the CA and the client certificates as files, as a TLS client wants them.
let folder: string | undefined
if (server.mtls) {
  folder = mkdtempSync(join(tmpdir(), 'grantline-server-'))
  const write = (name: string, text: string) => {
    const path = join(folder!, name)
    writeFileSync(path, text, { mode: 0o600 })
    return path
  }
  write('ca.pem', server.mtls.caCertificate)
  write('mtls-self-signed.cert.pem', server.mtls.selfSigned.certificate)
  write('mtls-self-signed.key.pem', server.mtls.selfSigned.privateKey)
  write('mtls-pki.cert.pem', server.mtls.pki.certificate)
  write('mtls-pki.key.pem', server.mtls.pki.privateKey)
}

const subjectToken = await server.issueAccessToken('basic', { scope: 'api:read' })
const issuer = server.issuer
const out = (line = '') => console.log(line)

out(`grantline's embedded authorization server (oidc-provider), for development only`)
out()
out(`issuer      ${issuer}`)
out(`discovery   ${issuer}/.well-known/openid-configuration`)
out(`scopes      ${SCOPES.join(' ')}`)
if (server.mtls) out(`mTLS files  ${folder} (ca.pem, and a certificate and key per mtls-* client)`)
out()
out(
  'Clients (grant types: client credentials, refresh, token exchange, JWT bearer, SAML 2.0 bearer, device, CIBA):',
)
const loginClients: string[] = []
for (const client of Object.values(server.clients)) {
  if (client.redirectUris?.length) {
    loginClients.push(client.clientId)
    continue
  }
  const credential = client.clientSecret
    ? `client_secret ${client.clientSecret}`
    : client.clientId === PKJWT_CLIENT
      ? 'private key below'
      : client.privateKey
        ? 'key held by the server process (tests only)'
        : client.certificate
          ? `certificate ${folder}/${client.clientId}.cert.pem`
          : 'no credential'
  out(`  ${client.clientId.padEnd(17)}${client.tokenEndpointAuthMethod.padEnd(28)}${credential}`)
}
out()
out('Login clients (authorization code with PKCE; redirect URIs as listed):')
for (const id of loginClients) {
  const client = server.clients[id]!
  const credential = client.clientSecret
    ? `client_secret ${client.clientSecret}`
    : client.privateKey
      ? 'key held by the server process (tests only)'
      : 'public (no secret)'
  out(`  ${id.padEnd(17)}${client.tokenEndpointAuthMethod.padEnd(28)}${credential}`)
  out(`  ${''.padEnd(17)}redirect_uris ${client.redirectUris!.join(' ')}`)
}
out()
out(
  `Accounts of the login page: ${Object.values(ACCOUNTS)
    .map((a) => `${a.accountId} / ${a.password}`)
    .join(', ')}`,
)
out()
out(`${PKJWT_CLIENT}'s private key (a JWK for client.PrivateKeyJwt after importJWK):`)
out(`  ${JSON.stringify(privateJwk)}`)
out()
out('A subject token for token exchange (an access token of client "basic", valid 10 minutes):')
out(`  ${subjectToken}`)
out()
const post = server.clients['post']!
out('Try it (a secret without a method means client_secret_post, as in openid-client):')
out(`  import * as client from 'grantline'`)
out(
  `  const config = await client.discovery(new URL('${issuer}'), 'post', '${post.clientSecret}', undefined, {`,
)
out(
  server.mtls
    ? '    // https with a private CA: NODE_EXTRA_CA_CERTS=ca.pem'
    : '    execute: [client.allowInsecureRequests], // http:// on 127.0.0.1 only',
)
out('  })')
out(`  const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' })`)
out()
out(
  'Type "approve <user code> [account]" or "deny <user code>" to answer a device flow; Ctrl-C stops the server.',
)

const rl = createInterface({ input: process.stdin, terminal: false })
rl.on('line', (line) => {
  const [verb, code, account = 'alice'] = line.trim().split(/\s+/)
  if (!verb) return
  const act =
    verb === 'approve' && code
      ? server.approveDeviceFlow(code, account).then(() => `approved ${code} as ${account}`)
      : verb === 'deny' && code
        ? server.denyDeviceFlow(code).then(() => `denied ${code}`)
        : Promise.resolve(`unknown command: approve <user code> [account] | deny <user code>`)
  act.then(
    (message) => console.error(message),
    (err: Error) => console.error(`${verb} failed: ${err.message}`),
  )
})

await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve)
  process.once('SIGTERM', resolve)
})
rl.close()
await server.close()
if (folder) rmSync(folder, { recursive: true, force: true })
console.error('stopped')
