// The servers of `npm run test:runtimes`, started once by the runner (Node.js) on 127.0.0.1 and shared by every
// runtime: the embedded authorization server (plain, nonce-requiring, and HTTPS with client certificates) and a
// scripted server whose token endpoint answers by scenario. Both answer CORS requests, since the browser's page
// comes from another origin: the embedded server through oidc-provider's own CORS (clientBasedCORS in
// demo/provider-configuration.ts), the scripted one here.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { SignJWT, exportJWK, generateKeyPair, calculateJwkThumbprint, decodeJwt } from 'jose'
import {
  JWT_BEARER,
  TOKEN_EXCHANGE,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import type { KeyClient, SuiteEnv } from './suite.js'
import { startLoopbackServer } from '../support/loopback-server.js'

/** How many token exchanges the suite makes (each needs its own subject token). */
const SUBJECT_TOKENS = 2

export interface Servers {
  /** A fresh description of the servers for one runtime (its own subject tokens, its own scripted path). */
  envFor(runtime: string, withMtls: boolean): Promise<SuiteEnv>
  close(): Promise<void>
}

export async function startServers(): Promise<Servers> {
  const [plain, nonce, mtls, scripted] = await Promise.all([
    startAuthorizationServer(),
    startAuthorizationServer({ requireDPoPNonce: true }),
    startAuthorizationServer({ mtls: true }),
    startScripted(),
  ])
  const keyClients = await registerKeyClients(plain)
  return {
    async envFor(runtime, withMtls) {
      const subjectTokens: string[] = []
      for (let i = 0; i < SUBJECT_TOKENS; i++) {
        subjectTokens.push(await plain.issueAccessToken('basic', { scope: 'api:read', accountId: 'alice' }))
      }
      return {
        runtime,
        plain: {
          metadata: plain.metadata,
          secrets: {
            basic: plain.clients['basic']!.clientSecret!,
            post: plain.clients['post']!.clientSecret!,
            'jwt-secret': plain.clients['jwt-secret']!.clientSecret!,
          },
          keyClients,
          subjectTokens,
        },
        nonce: { metadata: nonce.metadata, secret: nonce.clients['basic']!.clientSecret! },
        ...(withMtls
          ? {
              mtls: {
                metadata: mtls.metadata,
                clients: ['mtls-self-signed', 'mtls-pki'].map((id) => {
                  const c = mtls.clients[id]!
                  return {
                    clientId: c.clientId,
                    method: c.tokenEndpointAuthMethod,
                    cert: c.certificate!,
                    key: c.certificateKey!,
                  }
                }),
                ca: mtls.mtls!.caCertificate,
              },
            }
          : {}),
        scripted: `${scripted.origin}/r/${encodeURIComponent(runtime)}`,
      }
    },
    async close() {
      await Promise.all([plain.close(), nonce.close(), mtls.close(), scripted.close()])
    },
  }
}

/**
 * Clients whose private keys the runtimes import from JWKs (the embedded server's own client keys are not
 * extractable): private_key_jwt with ES256, RS256 and Ed25519, and the ES256 one also self-asserts in the JWT
 * bearer grant (the server takes an assertion whose `iss` is the client from the client's registered keys).
 */
async function registerKeyClients(server: AuthorizationServer): Promise<KeyClient[]> {
  const out: KeyClient[] = []
  for (const alg of ['ES256', 'RS256', 'Ed25519'] as const) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const publicJwk = await exportJWK(publicKey)
    const kid = await calculateJwkThumbprint(publicJwk)
    const clientId = `runtimes-${alg.toLowerCase()}`
    const registered = await server.registerClient({
      client_id: clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials', TOKEN_EXCHANGE, JWT_BEARER],
      response_types: [],
      redirect_uris: [],
      jwks: { keys: [{ ...publicJwk, kid, alg, use: 'sig' }] },
    })
    // The JWT bearer grant of the embedded server looks a self-asserting client's keys up here.
    server.clients[clientId] = {
      ...registered,
      privateKey: { key: privateKey, kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } },
    }
    const jwk = await exportJWK(privateKey)
    out.push({ clientId, alg, kid, jwk: { ...jwk, alg: alg === 'Ed25519' ? 'EdDSA' : alg } as JsonWebKey })
  }
  return out
}

interface Scripted {
  origin: string
  close(): Promise<void>
}

/**
 * The scripted server. Under `/r/<runtime>/`: `jwks` (the key its ID Tokens are signed with) and `token`, whose
 * answer is chosen by the `scenario` form parameter: `id_token`, `id_token_wrong_aud`, `id_token_bad_signature`,
 * `dpop_nonce` (first `use_dpop_nonce` with a `DPoP-Nonce`, then a DPoP token once the proof carries it),
 * `challenge` (401 with `WWW-Authenticate`), `not_json`. Every answer carries CORS headers.
 */
async function startScripted(): Promise<Scripted> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const wrongKey = (await generateKeyPair('ES256')).privateKey
  const kid = 'scripted-1'
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const nonceAttempts = new Map<string, number>()

  const idToken = (issuer: string, aud: string, key: CryptoKey) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(issuer)
      .setSubject('alice')
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key)

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const origin = req.headers.origin
    const cors: Record<string, string> = {
      'access-control-allow-origin': origin ?? '*',
      'access-control-expose-headers': 'DPoP-Nonce, WWW-Authenticate',
      vary: 'Origin',
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
        'access-control-max-age': '600',
      })
      res.end()
      return
    }
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        ...cors,
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...headers,
      })
      res.end(JSON.stringify(value))
    }
    const match = /^\/r\/([^/]+)\/(jwks|token)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)
    if (!match) return json(404, { error: 'not_found' })
    const [, run, route] = match as unknown as [string, string, string]
    const issuer = `http://${req.headers.host}/r/${run}`
    if (route === 'jwks') return json(200, { keys: [publicJwk] })

    const scenario = new URLSearchParams(body).get('scenario')
    const token = {
      access_token: `at-${Math.random().toString(36).slice(2)}`,
      token_type: 'Bearer',
      expires_in: 300,
    }
    switch (scenario) {
      case 'id_token':
        return json(200, { ...token, id_token: await idToken(issuer, 'scripted-client', privateKey) })
      case 'id_token_wrong_aud':
        return json(200, { ...token, id_token: await idToken(issuer, 'someone-else', privateKey) })
      case 'id_token_bad_signature':
        return json(200, { ...token, id_token: await idToken(issuer, 'scripted-client', wrongKey) })
      case 'dpop_nonce': {
        const attempts = (nonceAttempts.get(run) ?? 0) + 1
        nonceAttempts.set(run, attempts)
        const proof = req.headers['dpop']
        const nonce = `nonce-${run}`
        const sent = typeof proof === 'string' ? decodeJwt(proof)['nonce'] : undefined
        if (sent !== nonce) {
          return json(
            400,
            { error: 'use_dpop_nonce', error_description: 'a nonce is required' },
            { 'dpop-nonce': nonce },
          )
        }
        nonceAttempts.delete(run)
        return json(200, { ...token, token_type: 'DPoP', attempts }, { 'dpop-nonce': nonce })
      }
      case 'challenge':
        res.writeHead(401, {
          ...cors,
          'www-authenticate': 'Bearer error="invalid_token", error_description="expired"',
        })
        res.end()
        return
      case 'not_json':
        res.writeHead(200, { ...cors, 'content-type': 'text/html' })
        res.end('<html>not json</html>')
        return
      default:
        return json(400, {
          error: 'invalid_request',
          error_description: `unknown scenario ${String(scenario)}`,
        })
    }
  }

  return startLoopbackServer(handle)
}
