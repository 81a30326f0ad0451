// fetchUserInfo before the network: argument checks (the same errors as openid-client 6.9.0, before any request),
// endpoint resolution (mTLS alias, HTTPS rule), and what the request carries.

import * as oc from 'openid-client'
import { describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import { rejection } from '../support/expect.js'

const ISSUER = 'https://op.example.test'
const USERINFO = `${ISSUER}/userinfo`
const TOKEN = 'at-unit-0123456789'

interface Seen {
  url: string
  method: string | undefined
  headers: Record<string, string>
}

/** A grantline Configuration whose fetch records requests and answers `{ sub: 'alice' }`. */
function glConfig(server: Record<string, unknown> = { userinfo_endpoint: USERINFO }, metadata = {}) {
  const seen: Seen[] = []
  const config = new gl.Configuration({ issuer: ISSUER, ...server }, 'client-1', metadata, gl.None())
  config[gl.customFetch] = async (url, options) => {
    seen.push({ url, method: options.method, headers: { ...(options.headers as Record<string, string>) } })
    return Response.json({ sub: 'alice' })
  }
  return { config, seen }
}

function ocConfig(server: Record<string, unknown> = { userinfo_endpoint: USERINFO }) {
  const seen: string[] = []
  const config = new oc.Configuration({ issuer: ISSUER, ...server }, 'client-1', {}, oc.None())
  config[oc.customFetch] = async (url) => {
    seen.push(url)
    return Response.json({ sub: 'alice' })
  }
  return { config, seen }
}

function shape(err: unknown) {
  const e = err as Error & { code?: unknown }
  return { class: e.constructor.name, code: e.code, message: e.message }
}

describe('argument and configuration errors, before any request', () => {
  const cases: Array<{
    name: string
    server?: Record<string, unknown>
    accessToken?: unknown
    options?: unknown
    config?: unknown
    insecure?: boolean
  }> = [
    { name: 'a numeric access token', accessToken: 42 },
    { name: 'an empty access token', accessToken: '' },
    { name: 'no access token', accessToken: undefined },
    { name: 'a DPoP option that is no handle', options: { DPoP: {} } },
    { name: 'a DPoP option that is a key pair', options: { DPoP: { privateKey: 1, publicKey: 2 } } },
    { name: 'no userinfo_endpoint', server: {} },
    { name: 'a userinfo_endpoint that is no URL', server: { userinfo_endpoint: 'not a url' } },
    { name: 'a numeric userinfo_endpoint', server: { userinfo_endpoint: 7 } },
    { name: 'an http: endpoint', server: { userinfo_endpoint: 'http://op.example.test/userinfo' } },
    {
      name: 'an ftp: endpoint with allowInsecureRequests',
      server: { userinfo_endpoint: 'ftp://op.example.test/userinfo' },
      insecure: true,
    },
    { name: 'a config that is no Configuration', config: {} },
  ]

  for (const c of cases) {
    it(`${c.name}: as openid-client, and nothing is sent`, async () => {
      const ours = glConfig(c.server)
      const theirs = ocConfig(c.server)
      const accessToken = 'accessToken' in c ? c.accessToken : TOKEN
      if (c.insecure) {
        gl.allowInsecureRequests(ours.config)
        oc.allowInsecureRequests(theirs.config)
      }
      const glErr = await rejection(
        gl.fetchUserInfo(
          (c.config ?? ours.config) as gl.Configuration,
          accessToken as string,
          'alice',
          c.options as never,
        ),
      )
      const ocErr = await rejection(
        oc.fetchUserInfo(
          (c.config ?? theirs.config) as oc.Configuration,
          accessToken as string,
          'alice',
          c.options as never,
        ),
      )
      expect(shape(glErr)).toEqual(shape(ocErr))
      expect(ours.seen).toEqual([])
      expect(theirs.seen).toEqual([])
    })
  }

  it('D26: an access token a header cannot carry is a TypeError naming the argument, never the value', async () => {
    for (const token of ['a\nb', ' leading', 'trailing ', 'tab\tinside', 'non-ascii-é', 'nul\0']) {
      const { config, seen } = glConfig()
      const err = await rejection(gl.fetchUserInfo(config, token, 'alice'))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
      expect(err.message).toMatch(/^"accessToken" must consist of visible ASCII characters/)
      expect(err.message).not.toContain(token)
      expect(seen).toEqual([])
    }
    // openid-client's own error for the same token quotes it
    const { config } = ocConfig()
    const theirs = await rejection(oc.fetchUserInfo(config, 'secret\nvalue', 'alice'))
    expect(theirs.message).toContain('secret\nvalue')
  })

  it('D80: an invalid expectedSubject is a TypeError before any request', async () => {
    for (const [subject, code, message] of [
      ['', 'ERR_INVALID_ARG_VALUE', '"expectedSubject" must not be empty'],
      [undefined, 'ERR_INVALID_ARG_TYPE', '"expectedSubject" must be a string'],
      [Symbol('other'), 'ERR_INVALID_ARG_TYPE', '"expectedSubject" must be a string'],
      [gl.skipStateCheck, 'ERR_INVALID_ARG_TYPE', '"expectedSubject" must be a string'],
    ] as const) {
      const { config, seen } = glConfig()
      const err = await rejection(gl.fetchUserInfo(config, TOKEN, subject as never))
      expect(shape(err)).toEqual({ class: 'TypeError', code, message })
      expect(seen).toEqual([])
    }
  })
})

describe('the request', () => {
  it('GETs the userinfo_endpoint with the token as Bearer, asking for JSON or a JWT', async () => {
    const { config, seen } = glConfig()
    const claims = await gl.fetchUserInfo(config, TOKEN, 'alice')
    expect(claims).toEqual({ sub: 'alice' })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      url: USERINFO,
      method: 'GET',
      headers: { accept: 'application/json, application/jwt', authorization: `Bearer ${TOKEN}` },
    })
    expect(seen[0]!.headers['user-agent']).toMatch(/^grantline\//)
  })

  it('asks for a JWT only when the client registered userinfo_signed_response_alg', async () => {
    const { config, seen } = glConfig(undefined, { userinfo_signed_response_alg: 'ES256' })
    const err = await rejection(gl.fetchUserInfo(config, TOKEN, 'alice'))
    expect(shape(err)).toEqual({
      class: 'ClientError',
      code: 'OAUTH_JWT_USERINFO_EXPECTED',
      message: 'JWT UserInfo Response expected',
    })
    expect(seen[0]!.headers['accept']).toBe('application/jwt')
  })

  it('goes to the mTLS alias when the client uses aliases, as openid-client does', async () => {
    const alias = 'https://mtls.op.example.test/userinfo'
    const server = { userinfo_endpoint: USERINFO, mtls_endpoint_aliases: { userinfo_endpoint: alias } }
    const ours = glConfig(server, { use_mtls_endpoint_aliases: true })
    await gl.fetchUserInfo(ours.config, TOKEN, 'alice')
    const theirs = new oc.Configuration({ issuer: ISSUER, ...server }, 'client-1', {
      use_mtls_endpoint_aliases: true,
    })
    const urls: string[] = []
    theirs[oc.customFetch] = async (url) => {
      urls.push(url)
      return Response.json({ sub: 'alice' })
    }
    await oc.fetchUserInfo(theirs, TOKEN, 'alice')
    expect(ours.seen.map((s) => s.url)).toEqual([alias])
    expect(urls).toEqual([alias])
  })

  it('keeps the endpoint query string', async () => {
    const { config, seen } = glConfig({ userinfo_endpoint: `${USERINFO}?schema=openid` })
    await gl.fetchUserInfo(config, TOKEN, 'alice')
    expect(seen[0]!.url).toBe(`${USERINFO}?schema=openid`)
  })

  it('resolves to the very claims object, typed as UserInfoResponse', async () => {
    const { config } = glConfig()
    const claims: gl.UserInfoResponse = await gl.fetchUserInfo(config, TOKEN, gl.skipSubjectCheck)
    const address: gl.UserInfoAddress | undefined = claims.address
    expect(address).toBeUndefined()
    expect(claims.sub).toBe('alice')
  })
})
