// The token manager against a real oidc-provider (demo/server.ts): client credentials, token exchange, JWT
// bearer with a cacheKey and an assertion signed only when a request is sent, and a refresh-token session. The
// server's own request log proves how many token requests went out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ClientSecretBasic,
  TokenType,
  createTokenManager,
  memoryTokenStore,
  tokenExchangeGrant,
  tokenIntrospection,
  type Configuration,
  type TokenManager,
} from '../../src/index.js'
import {
  JWT_BEARER,
  TOKEN_EXCHANGE,
  configFor,
  signJwtAssertion,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'

let server: AuthorizationServer
let basic: Configuration
let post: Configuration
let manager: TokenManager

const tokenRequests = () => server.requests.filter((r) => r.path === '/token').length

beforeAll(async () => {
  server = await startAuthorizationServer()
  basic = configFor(server, 'basic', ClientSecretBasic())
  post = configFor(server, 'post')
  manager = createTokenManager()
})
afterAll(async () => {
  await manager?.close()
  await server?.close()
})

describe('the token manager against oidc-provider', () => {
  it('client credentials: 50 concurrent callers and 10 later ones, one token request', async () => {
    const before = tokenRequests()
    const all = await Promise.all(
      Array.from({ length: 50 }, () => manager.get(basic, 'client_credentials', { scope: 'api:read' })),
    )
    for (let i = 0; i < 10; i++) await manager.get(basic, 'client_credentials', { scope: 'api:read' })
    expect(new Set(all.map((t) => t.access_token)).size).toBe(1)
    expect(tokenRequests() - before).toBe(1)
    expect((await tokenIntrospection(basic, all[0]!.access_token)).active).toBe(true)
    expect(all[0]!.expiresIn()).toBeGreaterThan(0)
  })

  it('token exchange: one request per subject token, shared by its callers', async () => {
    const alice = await server.issueAccessToken('post', { scope: 'api:read', accountId: 'alice' })
    const bob = await server.issueAccessToken('post', { scope: 'api:read', accountId: 'bob' })
    const before = tokenRequests()
    const exchange = (subject_token: string) =>
      manager.get(post, TOKEN_EXCHANGE, {
        subject_token,
        subject_token_type: TokenType.AccessToken,
        scope: 'api:read',
      })
    const results = await Promise.all([...Array(20)].map((_, i) => exchange(i % 2 === 0 ? alice : bob)))
    expect(tokenRequests() - before).toBe(2)
    const forAlice = results.filter((_, i) => i % 2 === 0)
    expect(new Set(forAlice.map((t) => t.access_token)).size).toBe(1)
    expect(forAlice[0]!.issued_token_type).toBe(TokenType.AccessToken)
    expect((await tokenIntrospection(post, forAlice[0]!.access_token)).sub).toBe('alice')
    expect((await tokenIntrospection(post, results[1]!.access_token)).sub).toBe('bob')
  })

  it('JWT bearer with a cacheKey: the assertion is signed only when a request goes out', async () => {
    let signed = 0
    const parameters = async () => {
      signed++
      return {
        assertion: await signJwtAssertion(server.trustedAssertionIssuer, {
          sub: 'workload-1',
          aud: server.issuer,
        }),
        scope: 'api:read',
      }
    }
    const before = tokenRequests()
    const all = await Promise.all(
      Array.from({ length: 20 }, () => manager.get(post, JWT_BEARER, parameters, { cacheKey: 'workload-1' })),
    )
    await manager.get(post, JWT_BEARER, parameters, { cacheKey: 'workload-1' })
    expect(signed).toBe(1)
    expect(tokenRequests() - before).toBe(1)
    expect(new Set(all.map((t) => t.access_token)).size).toBe(1)
    expect((await tokenIntrospection(post, all[0]!.access_token)).sub).toBe('workload-1')
    // A fresh token on demand signs a fresh assertion (a new jti).
    await manager.get(post, JWT_BEARER, parameters, { cacheKey: 'workload-1', forceRefresh: true })
    expect(signed).toBe(2)
    expect(tokenRequests() - before).toBe(2)
  })

  it('a refresh-token session: rotated refresh tokens are used, announced and shared through a store', async () => {
    // A public client: oidc-provider rotates its refresh tokens on every use.
    const pub = configFor(server, 'public')
    const granted = await tokenExchangeGrant(pub, {
      subject_token: await server.issueAccessToken('public', {
        scope: 'openid offline_access',
        accountId: 'alice',
      }),
      subject_token_type: TokenType.AccessToken,
      scope: ['openid', 'offline_access'],
    })
    const initial = granted.refresh_token!
    expect(initial).toEqual(expect.any(String))
    const store = memoryTokenStore()
    const a = createTokenManager({ store })
    const b = createTokenManager({ store })
    const announced: string[] = []
    const session = { refresh_token: initial }
    const onRefreshToken = (rt: string) => void announced.push(rt)
    try {
      const before = tokenRequests()
      const first = await Promise.all(
        Array.from({ length: 10 }, () => a.get(pub, 'refresh_token', session, { onRefreshToken })),
      )
      expect(new Set(first.map((t) => t.access_token)).size).toBe(1)
      expect(tokenRequests() - before).toBe(1)
      // Three forced refreshes, alternating instances, all with the refresh token the application started with:
      // each succeeds only if the newest refresh token (rotated or not) is presented.
      for (const m of [b, a, b]) {
        const refreshed = await m.get(pub, 'refresh_token', session, { onRefreshToken, forceRefresh: true })
        expect((await tokenIntrospection(post, refreshed.access_token)).sub).toBe('alice')
      }
      expect(tokenRequests() - before).toBe(4)
      // Four rotations, each announced once, and the last one is the one the store keeps.
      expect(announced).toHaveLength(4)
      expect(new Set([initial, ...announced]).size).toBe(5)
      const last = await b.get(pub, 'refresh_token', session)
      expect(last.refresh_token).toBe(announced.at(-1))
    } finally {
      await a.close()
      await b.close()
    }
  })
})
