// What `grantline demo` adds to the embedded authorization server so that every command can be tried against it
// from a terminal: files holding the client secrets, a key pair in JWK and PEM form registered for
// private_key_jwt (and trusted for self-issued JWT bearer assertions), the mTLS certificates, a SAML assertion,
// and a profiles file. Also used by the CLI tests, so that they run the same setup as a person does.

import { webcrypto } from 'node:crypto'
import { createPrivateKey } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The parts of demo/server.ts's AuthorizationServer this setup uses (kept structural: demo/ is dev-only). */
export interface DemoServer {
  issuer: string
  provider: {
    Client: {
      find(id: string): Promise<{ metadata(): Record<string, unknown> } | undefined>
      adapter: { upsert(id: string, payload: Record<string, unknown>): Promise<void> }
    }
  }
  clients: Record<string, Record<string, unknown>>
  mtls:
    | {
        caCertificate: string
        selfSigned: { certificate: string; privateKey: string }
        pki: { certificate: string; privateKey: string }
      }
    | undefined
}

export interface DemoFiles {
  dir: string
  /** The profiles file: `--config <file> --profile <client>`. */
  configFile: string
  secretFiles: Record<string, string>
  /** The private key of client `cli-pkjwt`, as a JWK and as a PKCS#8 PEM (the same key). */
  jwkFile: string
  pemFile: string
  kid: string
  samlFile: string
  mtls?: { ca: string; certs: Record<string, { cert: string; key: string }> }
}

export const PKJWT_CLIENT = 'cli-pkjwt'

export async function prepareDemo(server: DemoServer, dir: string, samlXml: string): Promise<DemoFiles> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const write = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text, { mode: 0o600 })
    return path
  }

  const secretFiles: Record<string, string> = {}
  for (const [id, client] of Object.entries(server.clients)) {
    if (typeof client['clientSecret'] === 'string')
      secretFiles[id] = write(`${id}.secret`, `${client['clientSecret']}\n`)
  }

  // A key pair the person holds in a file: registered for private_key_jwt on a client of its own.
  const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const privateJwk = (await webcrypto.subtle.exportKey('jwk', pair.privateKey)) as Record<string, unknown>
  const publicJwk = (await webcrypto.subtle.exportKey('jwk', pair.publicKey)) as Record<string, unknown>
  const kid = await thumbprint(publicJwk)
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: privateJwk['x'],
    y: privateJwk['y'],
    d: privateJwk['d'],
    kid,
    alg: 'ES256',
  }
  const jwkFile = write(`${PKJWT_CLIENT}.jwk`, `${JSON.stringify(jwk, null, 2)}\n`)
  const pem = createPrivateKey({ key: jwk as never, format: 'jwk' }).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string
  const pemFile = write(`${PKJWT_CLIENT}.pem`, pem)
  const registeredJwk = {
    kty: 'EC',
    crv: 'P-256',
    x: publicJwk['x'],
    y: publicJwk['y'],
    kid,
    alg: 'ES256',
    use: 'sig',
  }

  const template = (await server.provider.Client.find('basic'))?.metadata() ?? {}
  const { client_secret: _s, client_secret_expires_at: _e, client_id_issued_at: _i, ...rest } = template
  await server.provider.Client.adapter.upsert(PKJWT_CLIENT, {
    ...rest,
    client_id: PKJWT_CLIENT,
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [registeredJwk] },
    // `grantline login` too: a native app's loopback redirect (any port, RFC 8252 §7.3), request objects
    // signed with the same key (--jar).
    application_type: 'native',
    grant_types: [
      ...new Set([...((rest['grant_types'] as string[] | undefined) ?? []), 'authorization_code']),
    ],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
  })
  // The JWT bearer grant of the embedded server trusts a client's registered keys for assertions it issues itself.
  server.clients[PKJWT_CLIENT] = {
    clientId: PKJWT_CLIENT,
    tokenEndpointAuthMethod: 'private_key_jwt',
    privateKey: { key: pair.privateKey, kid, alg: 'ES256', publicJwk: registeredJwk },
  }

  const samlFile = write('assertion.saml.xml', samlXml)

  let mtls: DemoFiles['mtls']
  if (server.mtls) {
    mtls = {
      ca: write('ca.pem', server.mtls.caCertificate),
      certs: {
        'mtls-pki': {
          cert: write('mtls-pki.crt', server.mtls.pki.certificate),
          key: write('mtls-pki.key', server.mtls.pki.privateKey),
        },
        'mtls-self-signed': {
          cert: write('mtls-self-signed.crt', server.mtls.selfSigned.certificate),
          key: write('mtls-self-signed.key', server.mtls.selfSigned.privateKey),
        },
      },
    }
  }

  // Profiles: paths relative to the file, so the folder can be moved as a whole.
  const base = { issuer: server.issuer, ...(server.mtls ? {} : { insecure: true }) }
  const profiles: Record<string, Record<string, unknown>> = {}
  for (const [id, client] of Object.entries(server.clients)) {
    const method = String(client['tokenEndpointAuthMethod'])
    if (id === PKJWT_CLIENT) continue
    if (secretFiles[id]) {
      profiles[id] = { ...base, 'client-id': id, auth: method, 'client-secret-file': `${id}.secret` }
    } else if (method === 'none') {
      profiles[id] = { ...base, 'client-id': id, auth: 'none' }
    } else if (mtls?.certs[id]) {
      profiles[id] = {
        ...base,
        'client-id': id,
        auth: method,
        cert: `${id}.crt`,
        key: `${id}.key`,
        ca: 'ca.pem',
      }
    }
  }
  profiles[PKJWT_CLIENT] = {
    ...base,
    'client-id': PKJWT_CLIENT,
    auth: 'private_key_jwt',
    'private-key': `${PKJWT_CLIENT}.jwk`,
  }
  profiles['default'] = profiles['basic'] ?? profiles[PKJWT_CLIENT]!
  const configFile = write('grantline.json', `${JSON.stringify({ profiles }, null, 2)}\n`)

  return { dir, configFile, secretFiles, jwkFile, pemFile, kid, samlFile, ...(mtls ? { mtls } : {}) }
}

/** RFC 7638 thumbprint of an EC public key. */
async function thumbprint(jwk: Record<string, unknown>): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk['crv'], kty: jwk['kty'], x: jwk['x'], y: jwk['y'] })
  const digest = await webcrypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))
  return Buffer.from(digest).toString('base64url')
}
