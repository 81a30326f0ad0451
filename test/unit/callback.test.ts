import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as gl from '../../src/index.js'
import { idTokenHash } from '../../src/authorization/hybrid.js'
import { redirectUriOf, responseModeOf, redactedParams } from '../../src/authorization/callback.js'
import { stateOf } from '../../src/configuration.js'
import { clientEncryptionKey, issuerKeys, signJwt } from '../hostile/callback-support.js'
import { rejection } from '../support/expect.js'
import { craftJwt } from '../hostile/support.js'

/**
 * The callback's unit-level contract: argument checks before any I/O (D72), the caller's checks never changed
 * (D6), the toggles and their conflicts, redirect_uri derivation, the OIDC hash, and getDecryptedResponses on
 * every decrypting path (token endpoint grants and JWT introspection), all without a server: a customFetch
 * answers, or fails the test when a request was not expected.
 */

const ISSUER = 'https://op.example.com'
const CALLBACK = 'https://rp.example.com/cb'

function config(metadata: Partial<gl.ClientMetadata> = {}, fetch?: gl.CustomFetch): gl.Configuration {
  const c = new gl.Configuration(
    {
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/token`,
      introspection_endpoint: `${ISSUER}/introspect`,
      authorization_endpoint: `${ISSUER}/authorize`,
    },
    'client-1',
    { client_secret: 'secret-1', ...metadata },
  )
  let requests = 0
  c[gl.customFetch] =
    fetch ??
    (async () => {
      requests++
      throw new Error(`no request expected, got ${requests}`)
    })
  return c
}

const callback = (params: Record<string, string>) => {
  const url = new URL(CALLBACK)
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v)
  return url
}

async function typeError(promise: Promise<unknown>, code: string, message: string) {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(TypeError)
  expect(err.code).toBe(code)
  expect(err.message).toBe(message)
}

describe('arguments are checked before any request (D72)', () => {
  const url = callback({ code: 'c' })
  const cases: Array<[string, unknown, string, string]> = [
    ['checks as a string', 'abc', 'ERR_INVALID_ARG_TYPE', '"checks" must be an object'],
    [
      'a numeric nonce',
      { expectedNonce: 1 },
      'ERR_INVALID_ARG_TYPE',
      '"expectedNonce" argument must be a string',
    ],
    [
      'an empty nonce',
      { expectedNonce: '' },
      'ERR_INVALID_ARG_VALUE',
      '"expectedNonce" argument must not be empty',
    ],
    [
      'a numeric state',
      { expectedState: 1 },
      'ERR_INVALID_ARG_TYPE',
      '"expectedState" argument must be a string',
    ],
    [
      'an empty state',
      { expectedState: '' },
      'ERR_INVALID_ARG_VALUE',
      '"expectedState" argument must not be empty',
    ],
    [
      'a negative maxAge',
      { maxAge: -1 },
      'ERR_INVALID_ARG_VALUE',
      '"maxAge" argument must be a non-negative number',
    ],
    ['a string maxAge', { maxAge: '60' }, 'ERR_INVALID_ARG_TYPE', '"maxAge" argument must be a number'],
    ['a NaN maxAge', { maxAge: NaN }, 'ERR_INVALID_ARG_TYPE', '"maxAge" argument must be a number'],
    [
      'a numeric verifier',
      { pkceCodeVerifier: 5 },
      'ERR_INVALID_ARG_TYPE',
      '"codeVerifier" must be a string',
    ],
  ]
  for (const [name, checks, code, message] of cases) {
    it(name, async () => {
      await typeError(gl.authorizationCodeGrant(config(), url, checks as never), code, message)
    })
  }

  it('a malformed default_max_age, a string URL, a foreign config, a bad DPoP handle, numeric parameters', async () => {
    await typeError(
      gl.authorizationCodeGrant(config({ default_max_age: -5 }), url),
      'ERR_INVALID_ARG_VALUE',
      '"client.default_max_age" must be a non-negative number',
    )
    await typeError(
      gl.authorizationCodeGrant(config(), CALLBACK as never),
      'ERR_INVALID_ARG_TYPE',
      '"currentUrl" must be an instance of URL, or Request',
    )
    await typeError(
      gl.authorizationCodeGrant({} as never, url),
      'ERR_INVALID_ARG_TYPE',
      '"config" must be an instance of Configuration',
    )
    await typeError(
      gl.authorizationCodeGrant(config(), url, undefined, undefined, { DPoP: {} as never }),
      'ERR_INVALID_ARG_VALUE',
      '"options.DPoP" is not a valid DPoPHandle',
    )
    await typeError(
      gl.authorizationCodeGrant(config(), url, undefined, 42 as never),
      'ERR_INVALID_ARG_TYPE',
      '"tokenEndpointParameters" must be an object or URLSearchParams',
    )
  })

  it('form_post: a Request whose body was read, another method, another media type', async () => {
    const used = new Request(CALLBACK, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=c',
    })
    await used.text()
    await typeError(
      gl.authorizationCodeGrant(config(), used),
      'ERR_INVALID_ARG_VALUE',
      'form_post Request instances must contain a readable body',
    )
    await typeError(
      gl.authorizationCodeGrant(config(), new Request(CALLBACK, { method: 'DELETE' })),
      'ERR_INVALID_ARG_VALUE',
      'unexpected Request HTTP method',
    )
    await typeError(
      gl.authorizationCodeGrant(config(), new Request(CALLBACK, { method: 'POST', body: '{}' })),
      'ERR_INVALID_ARG_VALUE',
      'form_post responses are expected to use the application/x-www-form-urlencoded content-type',
    )
  })

  it('implicitAuthentication: a numeric nonce, a configuration without the implicit type', async () => {
    const c = config()
    await typeError(
      gl.implicitAuthentication(c, new URL(CALLBACK), 5 as never),
      'ERR_INVALID_ARG_TYPE',
      '"expectedNonce" must be a string',
    )
    await typeError(
      gl.implicitAuthentication(c, new URL(CALLBACK), 'n'),
      'ERR_INVALID_ARG_VALUE',
      'implicitAuthentication() cannot be used by clients using flows other than response_type=id_token',
    )
  })
})

describe('the caller’s checks are never changed (D6)', () => {
  it('a frozen checks object works, and a plain one keeps its members (openid-client sets idTokenExpected)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const idToken = craftJwt(
      { alg: 'RS256' },
      { iss: ISSUER, sub: 's', aud: 'client-1', iat: now, exp: now + 60, nonce: 'n-1' },
    )
    const c = config({}, async () =>
      Response.json({ access_token: 'at', token_type: 'Bearer', id_token: idToken }),
    )
    const frozen = Object.freeze({ pkceCodeVerifier: 'v'.repeat(43), expectedNonce: 'n-1' })
    const tokens = await gl.authorizationCodeGrant(c, callback({ code: 'c' }), frozen)
    expect(tokens.claims()?.nonce).toBe('n-1')
    const checks: gl.AuthorizationCodeGrantChecks = { pkceCodeVerifier: 'v'.repeat(43), expectedNonce: 'n-1' }
    await gl.authorizationCodeGrant(c, callback({ code: 'c' }), checks)
    expect(checks).toStrictEqual({ pkceCodeVerifier: 'v'.repeat(43), expectedNonce: 'n-1' })
  })
})

describe('at_hash (D74)', () => {
  const now = Math.floor(Date.now() / 1000)
  const grant = (alg: string, atHash: string) => {
    const idToken = craftJwt(
      { alg },
      { iss: ISSUER, sub: 's', aud: 'client-1', iat: now, exp: now + 60, at_hash: atHash },
    )
    const c = config({ id_token_signed_response_alg: alg }, async () =>
      Response.json({ access_token: 'at-1', token_type: 'Bearer', id_token: idToken }),
    )
    return gl.authorizationCodeGrant(c, callback({ code: 'c' }))
  }
  const half = (hash: string) => {
    const digest = createHash(hash).update('at-1').digest()
    return digest.subarray(0, digest.length / 2).toString('base64url')
  }

  it('HS* use the SHA-2 of their size', async () => {
    await expect(grant('HS384', half('sha384'))).resolves.toMatchObject({ access_token: 'at-1' })
    const err = await rejection(grant('HS256', half('sha384')))
    expect(err.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED')
  })

  it('an alg whose hash the runtime cannot compute leaves at_hash unchecked, as openid-client does', async () => {
    await expect(grant('ES256K', 'anything')).resolves.toMatchObject({ access_token: 'at-1' })
  })
})

describe('toggles', () => {
  it('set the response mode the URL builders and the callback read', () => {
    const c = config()
    expect(responseModeOf(stateOf(c))).toEqual({
      jarm: false,
      hybrid: false,
      detached: false,
      implicit: false,
    })
    gl.useCodeIdTokenResponseType(c)
    gl.enableDetachedSignatureResponseChecks(c)
    expect(responseModeOf(stateOf(c))).toMatchObject({ hybrid: true, detached: true })
    // Applying the hybrid type again goes back to plain hybrid checks, as in openid-client.
    gl.useCodeIdTokenResponseType(c)
    expect(responseModeOf(stateOf(c))).toMatchObject({ hybrid: true, detached: false })
    expect(gl.buildAuthorizationUrl(c, { redirect_uri: CALLBACK }).searchParams.get('response_type')).toBe(
      'code id_token',
    )
  })

  it('conflicts are ClientErrors with OAUTH_UNSUPPORTED_OPERATION', () => {
    const c = config()
    gl.useJwtResponseMode(c)
    for (const apply of [
      gl.useCodeIdTokenResponseType,
      gl.useIdTokenResponseType,
      gl.enableDetachedSignatureResponseChecks,
    ]) {
      try {
        apply(c)
        expect.unreachable()
      } catch (err) {
        expect(err).toBeInstanceOf(gl.ClientError)
        expect((err as gl.ClientError).code).toBe('OAUTH_UNSUPPORTED_OPERATION')
      }
    }
    expect(() => gl.useJwtResponseMode({} as never)).toThrow(TypeError)
  })
})

describe('discovery(..., { execute }) applies the toggles in order', () => {
  const metadata = async () =>
    Response.json({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
    })

  it('hybrid with detached checks, implicit, JARM', async () => {
    const discover = (execute: Array<(c: gl.Configuration) => void>) =>
      gl.discovery(new URL(ISSUER), 'client-1', 'secret-1', undefined, {
        [gl.customFetch]: metadata,
        execute,
      })
    const hybrid = await discover([gl.useCodeIdTokenResponseType, gl.enableDetachedSignatureResponseChecks])
    expect(responseModeOf(stateOf(hybrid))).toEqual({
      jarm: false,
      hybrid: true,
      detached: true,
      implicit: false,
    })
    const implicit = await discover([gl.useIdTokenResponseType, gl.enableNonRepudiationChecks])
    expect(responseModeOf(stateOf(implicit)).implicit).toBe(true)
    const jarm = await discover([gl.useJwtResponseMode])
    expect(gl.buildAuthorizationUrl(jarm, { redirect_uri: CALLBACK }).searchParams.get('response_mode')).toBe(
      'jwt',
    )

    const conflict = await rejection(discover([gl.useJwtResponseMode, gl.useIdTokenResponseType]))
    expect(conflict).toBeInstanceOf(gl.ClientError)
    expect(conflict.code).toBe('OAUTH_UNSUPPORTED_OPERATION')
    expect(conflict.message).toBe(
      '"id_token" response type cannot be combined with JARM or hybrid response type',
    )
    const early = await rejection(discover([gl.enableDetachedSignatureResponseChecks]))
    expect(early.message).toBe('"code id_token" response type must be configured to be used first')
  })
})

describe('helpers', () => {
  it('redirect_uri is the callback without query and fragment', () => {
    expect(redirectUriOf(new URL('https://rp.example.com/a/cb?code=1&x=2#frag'))).toBe(
      'https://rp.example.com/a/cb',
    )
    expect(redirectUriOf(new URL('http://127.0.0.1:8080/cb?'))).toBe('http://127.0.0.1:8080/cb')
  })

  it('the OIDC hash is the left half of the digest of the algorithm (OIDC Core §3.3.2.11)', async () => {
    const half = (hash: string, value: string) => {
      const digest = createHash(hash).update(value).digest()
      return digest.subarray(0, digest.length / 2).toString('base64url')
    }
    expect(await idTokenHash('abc', 'ES256', 'c_hash')).toBe(half('sha256', 'abc'))
    expect(await idTokenHash('abc', 'RS384', 'c_hash')).toBe(half('sha384', 'abc'))
    expect(await idTokenHash('abc', 'EdDSA', 'c_hash')).toBe(half('sha512', 'abc'))
    await expect(idTokenHash('abc', 'HS256', 'c_hash')).rejects.toThrow(
      'unsupported JWS algorithm for c_hash calculation',
    )
  })

  it('credentials in callback parameters are redacted for error causes', () => {
    const copy = redactedParams(new URLSearchParams({ code: 'abcd', state: 's', response: 'x.y.z' }))
    expect([...copy]).toEqual([
      ['code', '[redacted: 4 characters]'],
      ['state', 's'],
      ['response', '[redacted: 5 characters]'],
    ])
  })
})

describe('getDecryptedResponses', () => {
  it('undefined for anything that was not processed', () => {
    expect(gl.getDecryptedResponses({} as never)).toBeUndefined()
    expect(gl.getDecryptedResponses(null as never)).toBeUndefined()
    expect(gl.getDecryptedResponses('x' as never)).toBeUndefined()
  })

  it('genericGrantRequest and JWT introspection record the JWS inside their JWE', async () => {
    const keys = issuerKeys()
    const enc = await clientEncryptionKey()
    const now = Math.floor(Date.now() / 1000)
    const idJws = signJwt(
      keys.privateKey,
      { iss: ISSUER, sub: 's', aud: 'client-1', iat: now, exp: now + 60 },
      { alg: 'RS256' },
    )
    const idJwe = await enc.encrypt(idJws)
    const introspectionJws = signJwt(
      keys.privateKey,
      { iss: ISSUER, aud: 'client-1', iat: now, token_introspection: { active: true, sub: 's' } },
      { alg: 'RS256', typ: 'token-introspection+jwt' },
    )
    const introspectionJwe = await enc.encrypt(introspectionJws)
    const c = config({ introspection_signed_response_alg: 'RS256' }, async (url) =>
      url.endsWith('/introspect')
        ? new Response(introspectionJwe, {
            headers: { 'content-type': 'application/token-introspection+jwt' },
          })
        : Response.json({ access_token: 'at', token_type: 'Bearer', id_token: idJwe }),
    )
    gl.enableDecryptingResponses(c, undefined, enc.privateKey)
    const tokens = await gl.genericGrantRequest(c, 'urn:example:grant', {})
    expect(gl.getDecryptedResponses(tokens)).toBe(idJws)
    const introspection = await gl.tokenIntrospection(c, 'at')
    expect(introspection.active).toBe(true)
    expect(gl.getDecryptedResponses(introspection)).toBe(introspectionJws)
  })
})
