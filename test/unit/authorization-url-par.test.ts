import { describe, expect, it } from 'vitest'
import { compactVerify, decodeProtectedHeader } from 'jose'
import {
  ClientError,
  ClientSecretBasic,
  Configuration,
  buildAuthorizationUrlWithPAR,
  customFetch,
  getDPoPHandle,
  randomDPoPKeyPair,
  useCodeIdTokenResponseType,
  type CustomFetchOptions,
} from '../../src/index.js'
import type { ClientMetadata } from '../../src/index.js'
import { rejection } from '../support/expect.js'

const SERVER = {
  issuer: 'https://as.example',
  authorization_endpoint: 'https://as.example/authorize',
  pushed_authorization_request_endpoint: 'https://as.example/par',
}

interface Sent {
  url: string
  method: string
  headers: Record<string, string>
  body: URLSearchParams
}

/** A Configuration whose requests never leave the process: each is recorded and answered by `answer`. */
function stubbed(
  answer: (sent: Sent) => Response = () =>
    Response.json({ request_uri: 'urn:par:1', expires_in: 60 }, { status: 201 }),
  server: Record<string, unknown> = SERVER,
  metadata: Record<string, unknown> = { client_secret: 'shh' },
  auth?: ReturnType<typeof ClientSecretBasic>,
) {
  const sent: Sent[] = []
  const config = new Configuration(
    server as typeof SERVER,
    'client-1',
    metadata as Partial<ClientMetadata>,
    auth,
  )
  config[customFetch] = async (url: string, options: CustomFetchOptions) => {
    const record = {
      url,
      method: options.method,
      headers: options.headers as Record<string, string>,
      body: new URLSearchParams(String(options.body)),
    }
    sent.push(record)
    return answer(record)
  }
  return { config, sent }
}

describe('buildAuthorizationUrlWithPAR', () => {
  it('POSTs the completed parameters with client authentication and returns client_id + request_uri', async () => {
    const { config, sent } = stubbed()
    const url = await buildAuthorizationUrlWithPAR(config, {
      redirect_uri: 'https://rp.example/cb',
      scope: 'openid',
      resource: ['https://a.example', 'https://b.example'],
    })
    expect(url.origin + url.pathname).toBe('https://as.example/authorize')
    expect([...url.searchParams]).toEqual([
      ['request_uri', 'urn:par:1'],
      ['client_id', 'client-1'],
    ])
    expect(sent).toHaveLength(1)
    const [request] = sent
    expect(request!.url).toBe('https://as.example/par')
    expect(request!.method).toBe('POST')
    expect(request!.headers['accept']).toBe('application/json')
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect([...request!.body]).toEqual([
      ['redirect_uri', 'https://rp.example/cb'],
      ['scope', 'openid'],
      ['resource', 'https://a.example'],
      ['resource', 'https://b.example'],
      ['client_id', 'client-1'],
      ['response_type', 'code'],
      // ClientSecretPost, the default with a client_secret
      ['client_secret', 'shh'],
    ])
  })

  it('client_secret_basic: credentials in the authorization header, client_id still in the body', async () => {
    const { config, sent } = stubbed(undefined, SERVER, {}, ClientSecretBasic('shh'))
    await buildAuthorizationUrlWithPAR(config, { scope: 'openid' })
    expect(sent[0]!.headers['authorization']).toBe(
      `Basic ${Buffer.from('client%2D1:shh').toString('base64')}`,
    )
    expect(sent[0]!.body.get('client_id')).toBe('client-1')
    expect(sent[0]!.body.has('client_secret')).toBe(false)
  })

  it('pushes the response type of the configuration; the endpoint query goes into the body', async () => {
    const { config, sent } = stubbed(undefined, {
      ...SERVER,
      authorization_endpoint: 'https://as.example/authorize?tenant=t',
    })
    useCodeIdTokenResponseType(config)
    const url = await buildAuthorizationUrlWithPAR(config, { nonce: 'n' })
    expect(sent[0]!.body.get('response_type')).toBe('code id_token')
    expect(sent[0]!.body.get('tenant')).toBe('t')
    expect([...url.searchParams]).toEqual([
      ['tenant', 't'],
      ['request_uri', 'urn:par:1'],
      ['client_id', 'client-1'],
    ])
  })

  it('uses the mTLS alias of the PAR endpoint when the client asks for aliases', async () => {
    const { config, sent } = stubbed(
      undefined,
      {
        ...SERVER,
        mtls_endpoint_aliases: { pushed_authorization_request_endpoint: 'https://mtls.as.example/par' },
      },
      { use_mtls_endpoint_aliases: true },
    )
    const url = await buildAuthorizationUrlWithPAR(config, {})
    expect(sent[0]!.url).toBe('https://mtls.as.example/par')
    // the authorization endpoint has no alias
    expect(url.host).toBe('as.example')
  })

  it('with DPoP: a proof for POST to the PAR endpoint, no dpop_jkt added, one retry on use_dpop_nonce', async () => {
    const keyPair = await randomDPoPKeyPair('ES256')
    let calls = 0
    const { config, sent } = stubbed(() =>
      ++calls === 1
        ? Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'n-1' } })
        : Response.json({ request_uri: 'urn:par:2', expires_in: 60 }, { status: 201 }),
    )
    const DPoP = getDPoPHandle(config, keyPair)
    const url = await buildAuthorizationUrlWithPAR(config, { scope: 'openid' }, { DPoP })
    expect(url.searchParams.get('request_uri')).toBe('urn:par:2')
    expect(sent).toHaveLength(2)
    const proofs = sent.map((s) => s.headers['dpop']!)
    for (const proof of proofs) {
      expect(decodeProtectedHeader(proof)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
      const { payload } = await compactVerify(proof, keyPair.publicKey)
      expect(JSON.parse(Buffer.from(payload).toString())).toMatchObject({
        htm: 'POST',
        htu: 'https://as.example/par',
      })
    }
    expect(JSON.parse(Buffer.from(proofs[0]!.split('.')[1]!, 'base64url').toString())).not.toHaveProperty(
      'nonce',
    )
    expect(JSON.parse(Buffer.from(proofs[1]!.split('.')[1]!, 'base64url').toString()).nonce).toBe('n-1')
    expect(sent[0]!.body.has('dpop_jkt')).toBe(false)
  })

  it('a second use_dpop_nonce is the ResponseBodyError; without DPoP there is no retry', async () => {
    const nonce = () =>
      Response.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'n' } })
    const withHandle = stubbed(nonce)
    const DPoP = getDPoPHandle(withHandle.config, await randomDPoPKeyPair())
    const err = await rejection(buildAuthorizationUrlWithPAR(withHandle.config, {}, { DPoP }))
    expect(err.name).toBe('ResponseBodyError')
    expect(withHandle.sent).toHaveLength(2)
    const without = stubbed(nonce)
    await rejection(buildAuthorizationUrlWithPAR(without.config, {}))
    expect(without.sent).toHaveLength(1)
  })

  describe('errors before any request', () => {
    it.each([
      [
        'authorization_endpoint',
        { ...SERVER, authorization_endpoint: undefined },
        'OAUTH_MISSING_SERVER_METADATA',
      ],
      [
        'missing pushed_authorization_request_endpoint',
        { ...SERVER, pushed_authorization_request_endpoint: undefined },
        'OAUTH_MISSING_SERVER_METADATA',
      ],
      [
        'http pushed_authorization_request_endpoint',
        { ...SERVER, pushed_authorization_request_endpoint: 'http://as.example/par' },
        'OAUTH_HTTP_REQUEST_FORBIDDEN',
      ],
      [
        'invalid pushed_authorization_request_endpoint',
        { ...SERVER, pushed_authorization_request_endpoint: '::' },
        'OAUTH_INVALID_SERVER_METADATA',
      ],
    ])('%s: ClientError', async (_name, server, code) => {
      const { config, sent } = stubbed(undefined, server)
      const err = await rejection(buildAuthorizationUrlWithPAR(config, {}))
      expect(err).toBeInstanceOf(ClientError)
      expect(err.code).toBe(code)
      expect(sent).toHaveLength(0)
    })

    it('argument errors are TypeErrors', async () => {
      const { config, sent } = stubbed()
      const notConfig = await rejection(buildAuthorizationUrlWithPAR({} as Configuration, {}))
      expect(notConfig).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' })
      const dpop = await rejection(buildAuthorizationUrlWithPAR(config, {}, { DPoP: {} as never }))
      expect(dpop).toBeInstanceOf(TypeError)
      expect(dpop).toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: '"options.DPoP" is not a valid DPoPHandle',
      })
      const params = await rejection(buildAuthorizationUrlWithPAR(config, 7 as never))
      expect(params).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' })
      expect(sent).toHaveLength(0)
    })
  })
})
