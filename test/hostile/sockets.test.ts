import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ServerResponse } from 'node:http'
import {
  ClientError,
  WWWAuthenticateChallengeError,
  allowInsecureRequests,
  clientCredentialsGrant,
  discovery,
  dynamicClientRegistration,
  enableNonRepudiationChecks,
  fetchProtectedResource,
  genericGrantRequest,
  getDPoPHandle,
  randomDPoPKeyPair,
} from '../../src/index.js'
import {
  configurationFor,
  json,
  startScriptedServer,
  type ScriptedServer,
} from '../support/scripted-server.js'
import { craftJwt, goodClaims, rejection } from './support.js'

/**
 * Issue 9, defect 8: a response body the pipeline does not read is cancelled at once, so the connection is
 * released instead of being held until the deadline (60 s here) or garbage collection. Each scripted response
 * sends its headers and the start of a body, then keeps the body open; the server must see the request closed.
 */

/** Far beyond the bound below: a connection released only at the deadline fails the test. */
const DEADLINE = 60
/** How long the server waits for the client to let go. A bound, not a speed measurement. */
const BOUND_MS = 5_000

let server: ScriptedServer
/** The `close` events of the held responses, in order. */
let held: Array<Promise<void>>

beforeAll(async () => {
  server = await startScriptedServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.requests.length = 0
  held = []
})

/** Headers and a first chunk, then nothing: the body stays open until the client goes away. */
function hold(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  held.push(new Promise<void>((resolve) => res.once('close', () => resolve())))
  res.writeHead(status, { 'content-type': 'text/html', ...headers })
  res.write('<html><body>still coming')
}

async function expectReleased(index = 0): Promise<void> {
  expect(held.length).toBeGreaterThan(index)
  let timer: NodeJS.Timeout | undefined
  const released = await Promise.race([
    held[index]!.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), BOUND_MS)
    }),
  ])
  clearTimeout(timer)
  expect(released, 'the server still holds the request open').toBe(true)
}

const insecure = { execute: [allowInsecureRequests], timeout: DEADLINE }

describe('unread bodies are released', () => {
  it('discovery: a non-200 metadata response', async () => {
    server.script((_req, res) => hold(res, 500))
    const err = await rejection(discovery(new URL(server.origin), 'client', undefined, undefined, insecure))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    await expectReleased()
  })

  it('JWKS: a non-200 key set response during a non-repudiation check', async () => {
    server.script((req, res) => {
      if (req.url === '/jwks') return hold(res, 503)
      json(res, 200, {
        access_token: 'at',
        token_type: 'bearer',
        id_token: craftJwt({ alg: 'RS256', kid: 'k' }, goodClaims(server.origin)),
      })
    })
    const config = configurationFor(server, {
      server: { jwks_uri: `${server.origin}/jwks` },
      timeout: DEADLINE,
    })
    enableNonRepudiationChecks(config)
    // Not client credentials: its ID Tokens are never signature-checked.
    const err = await rejection(genericGrantRequest(config, 'urn:example:grant', {}))
    expect(err).toBeInstanceOf(ClientError)
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    await expectReleased()
  })

  it('token endpoint: a 502 with an HTML body (OAUTH_RESPONSE_IS_NOT_CONFORM)', async () => {
    server.script((_req, res) => hold(res, 502))
    const err = await rejection(clientCredentialsGrant(configurationFor(server, { timeout: DEADLINE })))
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    await expectReleased()
  })

  it('token endpoint: a 400 that is not JSON (OAUTH_RESPONSE_IS_NOT_JSON)', async () => {
    server.script((_req, res) => hold(res, 400))
    const err = await rejection(clientCredentialsGrant(configurationFor(server, { timeout: DEADLINE })))
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_JSON')
    await expectReleased()
  })

  it('registration: a non-201 response', async () => {
    server.script((req, res) => {
      if (req.url?.startsWith('/.well-known/')) {
        return json(res, 200, { issuer: `${server.origin}/`, registration_endpoint: `${server.origin}/reg` })
      }
      hold(res, 500)
    })
    const err = await rejection(
      dynamicClientRegistration(new URL(`${server.origin}/`), {}, undefined, insecure),
    )
    expect(err.code).toBe('OAUTH_RESPONSE_IS_NOT_CONFORM')
    await expectReleased()
  })

  it('protected resource: the DPoP nonce challenge answered by the retry', async () => {
    server.script((_req, res, recorded) => {
      if (server.requests.indexOf(recorded) === 0) {
        return hold(res, 401, {
          'www-authenticate': 'DPoP error="use_dpop_nonce"',
          'dpop-nonce': 'n-1',
        })
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
    const config = configurationFor(server, { timeout: DEADLINE })
    const DPoP = getDPoPHandle(config, await randomDPoPKeyPair())
    const response = await fetchProtectedResource(
      config,
      'token',
      new URL(`${server.origin}/api`),
      'GET',
      undefined,
      undefined,
      { DPoP },
    )
    expect(await response.text()).toBe('ok')
    expect(server.requests).toHaveLength(2)
    await expectReleased()
  })

  it('protected resource: a challenge handed to the caller keeps its body readable (contract)', async () => {
    server.script((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end('denied')
    })
    const err = await rejection(
      fetchProtectedResource(configurationFor(server), 'token', new URL(`${server.origin}/api`), 'GET'),
    )
    expect(err).toBeInstanceOf(WWWAuthenticateChallengeError)
    expect(await (err as WWWAuthenticateChallengeError).response.text()).toBe('denied')
  })
})
