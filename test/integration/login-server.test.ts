// The embedded server's login wing (demo/interactions.ts, demo/clients.ts' login clients) and the HTTP login
// driver (test/support/login.ts), checked with plain HTTP and jose, independently of grantline's own
// authorization-code functions: what the library tests rely on must hold by itself.

import { createHash, randomBytes } from 'node:crypto'
import {
  SignJWT,
  calculateJwkThumbprint,
  compactDecrypt,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEMO_ACCOUNT,
  DEMO_PASSWORD,
  DENIED_DESCRIPTION,
  LOOPBACK_REDIRECT_URI,
  POST_LOGOUT_REDIRECT_URI,
  REDIRECT_URI,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/provider.js'
import { startLoginApp, type LoginApp } from '../../examples/login-app.js'
import {
  CookieJar,
  LoginDriverError,
  LoginSession,
  completeEndSession,
  completeLogin,
  loginForCallbackUrl,
  loginForFormPost,
  type Prompt,
} from '../support/login.js'

let server: AuthorizationServer
let jwks: ReturnType<typeof createLocalJWKSet>

beforeAll(async () => {
  server = await startAuthorizationServer()
  const keys = (await (await fetch(server.metadata['jwks_uri'] as string)).json()) as JSONWebKeySet
  jwks = createLocalJWKSet(keys)
})
afterAll(() => server?.close())

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

function authorizationUrl(parameters: Record<string, string>): URL {
  const url = new URL(server.metadata['authorization_endpoint'] as string)
  for (const [name, value] of Object.entries({
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    ...parameters,
  })) {
    url.searchParams.set(name, value)
  }
  return url
}

function basic(clientId: string): string {
  const secret = server.clients[clientId]!.clientSecret!
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

async function tokenRequest(body: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(server.metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

/** Signs alice in for a confidential client and exchanges the code with client_secret_basic. */
async function signInAndExchange(clientId: string) {
  const callback = await loginForCallbackUrl(authorizationUrl({ client_id: clientId, response_type: 'code' }))
  return tokenRequest(
    {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
    },
    { authorization: basic(clientId) },
  )
}

describe('code flow with PKCE (public client "spa")', () => {
  it('logs alice in, asks for consent, redirects with code, state and iss; the code buys tokens about alice', async () => {
    const { verifier, challenge } = pkce()
    const prompts: Prompt[] = []
    const callback = await loginForCallbackUrl(
      authorizationUrl({
        client_id: 'spa',
        response_type: 'code',
        state: 'state-1',
        nonce: 'nonce-1',
        max_age: '300',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      { prompts },
    )
    expect(prompts).toEqual(['login', 'consent'])
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI)
    expect(callback.searchParams.get('state')).toBe('state-1')
    expect(callback.searchParams.get('iss')).toBe(server.issuer)
    const code = callback.searchParams.get('code')!
    expect(code).toBeTruthy()

    const tokens = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: 'spa',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    })
    expect(tokens.status).toBe(200)
    const { payload } = await jwtVerify(tokens.body['id_token']!, jwks, {
      issuer: server.issuer,
      audience: 'spa',
    })
    expect(payload).toMatchObject({ sub: DEMO_ACCOUNT, nonce: 'nonce-1' })
    expect(typeof payload['auth_time']).toBe('number')

    const userinfo = await fetch(server.metadata['userinfo_endpoint'] as string, {
      headers: { authorization: `Bearer ${tokens.body['access_token']}` },
    })
    expect(await userinfo.json()).toEqual({
      sub: 'alice',
      email: 'alice@example.test',
      email_verified: true,
    })
  })

  it('refuses a public client without PKCE (error callback invalid_request)', async () => {
    const callback = await loginForCallbackUrl(
      authorizationUrl({ client_id: 'spa', response_type: 'code', state: 's' }),
    )
    expect(callback.searchParams.get('error')).toBe('invalid_request')
    expect(callback.searchParams.get('code')).toBeNull()
  })

  it('a wrong password shows the login form again: the driver fails with the page, not the password', async () => {
    const { challenge } = pkce()
    const url = authorizationUrl({
      client_id: 'spa',
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    const err = await completeLogin(url, { password: 'not-the-password' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LoginDriverError)
    expect((err as LoginDriverError).status).toBe(401)
    expect((err as Error).message).toContain('Unknown account or wrong password.')
    expect((err as Error).message).not.toContain('not-the-password')
    // Nor does an unknown account get in with alice's password.
    await expect(completeLogin(url, { account: 'mallory', password: DEMO_PASSWORD })).rejects.toThrow(
      LoginDriverError,
    )
  })

  it('Deny on the consent page is an access_denied error callback with state and iss', async () => {
    const { challenge } = pkce()
    const callback = await loginForCallbackUrl(
      authorizationUrl({
        client_id: 'spa',
        response_type: 'code',
        state: 'denied-state',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      { consent: 'deny' },
    )
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: 'access_denied',
      error_description: DENIED_DESCRIPTION,
      state: 'denied-state',
      iss: server.issuer,
    })
  })

  it('a native client may use its loopback redirect URI with any port (RFC 8252 §7.3)', async () => {
    const { challenge } = pkce()
    const redirect = LOOPBACK_REDIRECT_URI.replace('127.0.0.1', '127.0.0.1:53682')
    const callback = await loginForCallbackUrl(
      authorizationUrl({
        client_id: 'native',
        redirect_uri: redirect,
        response_type: 'code',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    )
    expect(callback.origin + callback.pathname).toBe(redirect)
    expect(callback.searchParams.get('code')).toBeTruthy()
  })
})

describe('sessions', () => {
  it('single sign-on: the second login with the same cookies shows no page; end session signs alice out', async () => {
    const session = new LoginSession()
    const url = authorizationUrl({ client_id: 'web', response_type: 'code', state: 'a' })
    const first = await session.login(url)
    expect(session.lastPrompts).toEqual(['login', 'consent'])
    expect((first as URL).searchParams.get('code')).toBeTruthy()

    const second = await session.login(url)
    expect(session.lastPrompts).toEqual([])
    expect((second as URL).searchParams.get('code')).toBeTruthy()

    // A fresh user agent has no session.
    const other = new LoginSession()
    await other.login(url)
    expect(other.lastPrompts).toEqual(['login', 'consent'])

    const code = (second as URL).searchParams.get('code')!
    const tokens = await tokenRequest(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: basic('web') },
    )
    expect(tokens.status).toBe(200)
    const end = new URL(server.metadata['end_session_endpoint'] as string)
    end.searchParams.set('id_token_hint', tokens.body['id_token']!)
    end.searchParams.set('post_logout_redirect_uri', POST_LOGOUT_REDIRECT_URI)
    end.searchParams.set('state', 'bye')
    const landed = await session.endSession(end)
    expect(landed.origin + landed.pathname).toBe(POST_LOGOUT_REDIRECT_URI)
    expect(landed.searchParams.get('state')).toBe('bye')

    await session.login(url)
    expect(session.lastPrompts[0]).toBe('login')
  })

  it('end session without a post_logout_redirect_uri ends at the server\'s "signed out" page', async () => {
    const jar = new CookieJar()
    await completeLogin(authorizationUrl({ client_id: 'web', response_type: 'code' }), { cookieJar: jar })
    const landed = await completeEndSession(server.metadata['end_session_endpoint'] as string, {
      cookieJar: jar,
    })
    expect(landed.origin).toBe(server.issuer)
    expect(landed.pathname).toBe('/session/end/success')
  })
})

describe('response modes and types', () => {
  it('form_post: the driver returns the POST the browser would send to the redirect URI', async () => {
    const request = await loginForFormPost(
      authorizationUrl({ client_id: 'web', response_type: 'code', response_mode: 'form_post', state: 'fp' }),
    )
    expect(request.method).toBe('POST')
    expect(request.url).toBe(REDIRECT_URI)
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    const form = new URLSearchParams(await request.text())
    expect(form.get('state')).toBe('fp')
    expect(form.get('iss')).toBe(server.issuer)
    expect(form.get('code')).toBeTruthy()
  })

  it('JARM (client "jarm"): response=<JWT> signed ES256 by the server, for the client, carrying code and state', async () => {
    const callback = await loginForCallbackUrl(
      authorizationUrl({ client_id: 'jarm', response_type: 'code', response_mode: 'jwt', state: 'j' }),
    )
    const response = callback.searchParams.get('response')!
    expect(decodeProtectedHeader(response).alg).toBe('ES256')
    const { payload } = await jwtVerify(response, jwks, { issuer: server.issuer, audience: 'jarm' })
    expect(payload['state']).toBe('j')
    expect(payload['code']).toBeTruthy()
  })

  it('hybrid (client "hybrid"): code and id_token in the fragment; the ID Token has c_hash', async () => {
    const callback = await loginForCallbackUrl(
      authorizationUrl({ client_id: 'hybrid', response_type: 'code id_token', nonce: 'n-h', state: 'h' }),
    )
    const fragment = new URLSearchParams(callback.hash.slice(1))
    expect(fragment.get('code')).toBeTruthy()
    const { payload } = await jwtVerify(fragment.get('id_token')!, jwks, { audience: 'hybrid' })
    expect(payload).toMatchObject({ nonce: 'n-h', sub: 'alice' })
    expect(typeof payload['c_hash']).toBe('string')
  })

  it('implicit (client "implicit"): an ID Token in the fragment with the claims of alice', async () => {
    const callback = await loginForCallbackUrl(
      authorizationUrl({ client_id: 'implicit', response_type: 'id_token', nonce: 'n-i' }),
    )
    const idToken = new URLSearchParams(callback.hash.slice(1)).get('id_token')!
    const { payload } = await jwtVerify(idToken, jwks, { audience: 'implicit' })
    expect(payload).toMatchObject({ nonce: 'n-i', sub: 'alice', email: 'alice@example.test' })
  })
})

describe('request objects and pushed requests', () => {
  it('PAR (client "web"): the request_uri URL logs in like the full one', async () => {
    const response = await fetch(server.metadata['pushed_authorization_request_endpoint'] as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('web') },
      body: new URLSearchParams({
        client_id: 'web',
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        state: 'par',
      }),
    })
    expect(response.status).toBe(201)
    const { request_uri } = (await response.json()) as { request_uri: string }
    const url = new URL(server.metadata['authorization_endpoint'] as string)
    url.searchParams.set('client_id', 'web')
    url.searchParams.set('request_uri', request_uri)
    const callback = await loginForCallbackUrl(url)
    expect(callback.searchParams.get('state')).toBe('par')
    expect(callback.searchParams.get('code')).toBeTruthy()
  })

  it('JAR (client "jar"): a request object signed with its key logs in; a plain request is refused', async () => {
    const client = server.clients['jar']!
    const key = client.requestObjectKey!
    const requestObject = await new SignJWT({
      client_id: 'jar',
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      state: 'jar',
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'oauth-authz-req+jwt' })
      .setIssuer('jar')
      .setAudience(server.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(key.key)
    const url = new URL(server.metadata['authorization_endpoint'] as string)
    url.searchParams.set('client_id', 'jar')
    url.searchParams.set('request', requestObject)
    const callback = await loginForCallbackUrl(url)
    expect(callback.searchParams.get('state')).toBe('jar')
    expect(callback.searchParams.get('code')).toBeTruthy()

    const plain = await loginForCallbackUrl(authorizationUrl({ client_id: 'jar', response_type: 'code' }))
    expect(plain.searchParams.get('error')).toBe('invalid_request')
  })
})

describe('encrypted responses and DPoP', () => {
  it('client "encrypted": its ID Token is a JWE (ECDH-ES, A256GCM) its decryption key opens', async () => {
    const client = server.clients['encrypted']!
    const tokens = await signInAndExchange('encrypted')
    const jwe = tokens.body['id_token']!
    expect(jwe.split('.')).toHaveLength(5)
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: 'ECDH-ES', enc: 'A256GCM' })
    const { plaintext } = await compactDecrypt(jwe, client.decryptionKey!.key)
    const { payload } = await jwtVerify(new TextDecoder().decode(plaintext), jwks, { audience: 'encrypted' })
    expect(payload['sub']).toBe('alice')

    const userinfo = await fetch(server.metadata['userinfo_endpoint'] as string, {
      headers: { authorization: `Bearer ${tokens.body['access_token']}` },
    })
    expect(userinfo.headers.get('content-type')).toMatch(/^application\/jwt/)
    const inner = await compactDecrypt(await userinfo.text(), client.decryptionKey!.key)
    expect(decodeJwt(new TextDecoder().decode(inner.plaintext))).toMatchObject({ sub: 'alice' })
  })

  it('client "userinfo-jwt": UserInfo is a JWT signed ES256 by the server, for the client', async () => {
    const tokens = await signInAndExchange('userinfo-jwt')
    const userinfo = await fetch(server.metadata['userinfo_endpoint'] as string, {
      headers: { authorization: `Bearer ${tokens.body['access_token']}` },
    })
    expect(userinfo.headers.get('content-type')).toMatch(/^application\/jwt/)
    const jwt = await userinfo.text()
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256')
    const { payload } = await jwtVerify(jwt, jwks, { issuer: server.issuer, audience: 'userinfo-jwt' })
    expect(payload).toMatchObject({ sub: 'alice', email: 'alice@example.test' })
  })

  it('dpop_jkt binds the code: only a proof with that key redeems it (RFC 9449 §10)', async () => {
    const bound = await generateKeyPair('ES256')
    const other = await generateKeyPair('ES256')
    const publicJwk = await exportJWK(bound.publicKey)
    const { verifier, challenge } = pkce()
    const login = async () =>
      (
        await loginForCallbackUrl(
          authorizationUrl({
            client_id: 'dpop',
            response_type: 'code',
            code_challenge: challenge,
            code_challenge_method: 'S256',
            dpop_jkt: await calculateJwkThumbprint(publicJwk),
          }),
        )
      ).searchParams.get('code')!
    const proof = async (pair: CryptoKeyPair) =>
      new SignJWT({
        htm: 'POST',
        htu: server.metadata.token_endpoint,
        jti: randomBytes(16).toString('base64url'),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(pair.publicKey) })
        .setIssuedAt()
        .sign(pair.privateKey)
    const exchange = async (code: string, pair: CryptoKeyPair) =>
      tokenRequest(
        {
          grant_type: 'authorization_code',
          client_id: 'dpop',
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        },
        { dpop: await proof(pair) },
      )

    const refused = await exchange(await login(), other)
    expect(refused.status).toBe(400)
    expect(refused.body['error']).toBe('invalid_grant')

    const accepted = await exchange(await login(), bound)
    expect(accepted.status).toBe(200)
    expect(accepted.body['token_type']).toBe('DPoP')
  })
})

describe('registerClient', () => {
  it('adds a web client whose callback is known only at run time', async () => {
    const client = await server.registerClient({
      client_id: 'late-app',
      redirect_uris: ['http://127.0.0.1:40123/callback'],
    })
    expect(client.clientSecret).toMatch(/^[\w-]{43}$/)
    expect(server.clients['late-app']).toBe(client)
    const callback = await loginForCallbackUrl(
      authorizationUrl({
        client_id: 'late-app',
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:40123/callback',
      }),
    )
    expect(callback.host).toBe('127.0.0.1:40123')
    const tokens = await tokenRequest(
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: 'http://127.0.0.1:40123/callback',
      },
      { authorization: basic('late-app') },
    )
    expect(tokens.status).toBe(200)
    await expect(server.registerClient({ client_id: 'bad', redirect_uris: ['not a url'] })).rejects.toThrow()
  })
})

describe('the login example app (examples/login-app.ts) by HTTP', () => {
  let app: LoginApp
  beforeAll(async () => {
    app = await startLoginApp({
      issuer: server.issuer,
      client: async ({ redirectUri, postLogoutRedirectUri }) => {
        const client = await server.registerClient({
          client_id: 'example-app',
          redirect_uris: [redirectUri],
          post_logout_redirect_uris: [postLogoutRedirectUri],
        })
        return { clientId: client.clientId, clientSecret: client.clientSecret! }
      },
    })
  })
  afterAll(() => app?.close())

  /** GET as a browser would, without following redirects. */
  async function get(jar: CookieJar, url: string | URL) {
    const target = new URL(url, app.origin)
    const response = await fetch(target, { redirect: 'manual', headers: { cookie: jar.header(target) } })
    jar.store(target, response.headers.getSetCookie())
    return {
      status: response.status,
      location: response.headers.get('location'),
      text: await response.text(),
    }
  }
  const tokenRequests = () => server.requests.filter((request) => request.path === '/token').length

  it('signs alice in with PKCE, state and nonce; the callback works once, in the browser that started it', async () => {
    const jar = new CookieJar()
    const start = await get(jar, '/login')
    expect(start.status).toBe(303)
    const authorization = new URL(start.location!)
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorization.searchParams.get('state')).toBeTruthy()
    expect(authorization.searchParams.get('nonce')).toBeTruthy()
    const callback = await loginForCallbackUrl(authorization, { cookieJar: jar })
    expect(callback.origin).toBe(app.origin)

    const appSession = () => /(?:^|; )login_app_session=([^;]+)/.exec(jar.header(new URL(app.origin)))?.[1]
    const sessionBefore = appSession()
    expect(sessionBefore).toBeTruthy()
    const before = tokenRequests()
    expect(await get(jar, callback)).toMatchObject({ status: 303, location: '/' })
    expect(tokenRequests()).toBe(before + 1)
    // Signed in under a new session id (no session fixation).
    expect(appSession()).not.toBe(sessionBefore)
    const home = await get(jar, '/')
    expect(home.text).toContain('<td id="claim-sub">alice</td>')
    expect(home.text).toContain('<td id="claim-email">alice@example.test</td>')

    // The same callback again, here or in another browser: refused before any token request.
    for (const browser of [jar, new CookieJar()]) {
      expect(await get(browser, callback)).toMatchObject({ status: 303, location: '/' })
      expect((await get(browser, '/')).text).toContain('<code id="error-code">no_sign_in</code>')
    }
    expect(tokenRequests()).toBe(before + 1)
  })

  it('a form_post sign-in takes its response by POST only: the same response as a GET is refused', async () => {
    const jar = new CookieJar()
    const start = await get(jar, '/login?response_mode=form_post')
    const authorization = new URL(start.location!)
    expect(authorization.searchParams.get('response_mode')).toBe('form_post')
    const posted = await loginForFormPost(authorization, { cookieJar: jar })
    const asQuery = new URL(posted.url)
    asQuery.search = await posted.text()
    const before = tokenRequests()
    expect(await get(jar, asQuery)).toMatchObject({ status: 303, location: '/' })
    expect((await get(jar, '/')).text).toContain('<code id="error-code">unexpected_response_mode</code>')
    expect(tokenRequests()).toBe(before)
  })
})
