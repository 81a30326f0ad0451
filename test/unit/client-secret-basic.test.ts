import { describe, expect, it } from 'vitest'
import { ClientSecretBasic, formUrlEncode } from '../../src/client-auth/client-secret-basic.js'
import type { ClientMetadata, ServerMetadata } from '../../src/index.js'

const as: ServerMetadata = { issuer: 'https://as.example' }

async function apply(auth: ReturnType<typeof ClientSecretBasic>, client: ClientMetadata) {
  const body = new URLSearchParams({ grant_type: 'x' })
  const headers = new Headers()
  await auth(as, client, body, headers)
  return { body, headers }
}

const decode = (header: string | null) => atob(header!.replace(/^Basic /, ''))

describe('client_secret_basic (contract §2.3.5, RFC 6749 §2.3.1)', () => {
  it("form-urlencodes, including - _ . ! ~ * ' ( ), and turns spaces into +", () => {
    expect(formUrlEncode("client %&+-_.!~*'()")).toBe('client+%25%26%2B%2D%5F%2E%21%7E%2A%27%28%29')
  })

  it('encodes ":" and non-ASCII characters', () => {
    expect(formUrlEncode('a:b')).toBe('a%3Ab')
    expect(formUrlEncode('é€')).toBe('%C3%A9%E2%82%AC')
  })

  it('foo / bar is `Basic Zm9vOmJhcg==`', async () => {
    const { headers } = await apply(ClientSecretBasic('bar'), { client_id: 'foo' })
    expect(headers.get('authorization')).toBe('Basic Zm9vOmJhcg==')
  })

  it('encodes both the client_id and the secret before base64', async () => {
    const { headers } = await apply(ClientSecretBasic("p %&+-_.!~*'()"), { client_id: "client %&+-_.!~*'()" })
    expect(decode(headers.get('authorization'))).toBe(
      'client+%25%26%2B%2D%5F%2E%21%7E%2A%27%28%29:p+%25%26%2B%2D%5F%2E%21%7E%2A%27%28%29',
    )
  })

  it('a secret with ":" and non-ASCII characters survives', async () => {
    const { headers } = await apply(ClientSecretBasic('pa:ss é'), { client_id: 'id' })
    expect(decode(headers.get('authorization'))).toBe('id:pa%3Ass+%C3%A9')
  })

  it('adds nothing to the body and leaves a caller-supplied client_id alone', async () => {
    const body = new URLSearchParams({ grant_type: 'x', client_id: 'caller' })
    await ClientSecretBasic('s')(as, { client_id: 'foo' }, body, new Headers())
    expect([...body]).toEqual([
      ['grant_type', 'x'],
      ['client_id', 'caller'],
    ])
  })

  it('reads the secret from the metadata at request time when none was given', async () => {
    const { headers } = await apply(ClientSecretBasic(), { client_id: 'foo', client_secret: 'bar' })
    expect(headers.get('authorization')).toBe('Basic Zm9vOmJhcg==')
  })

  it('without a secret anywhere the request is refused with a TypeError', async () => {
    const missing = await apply(ClientSecretBasic(), { client_id: 'foo' }).catch((err: unknown) => err)
    expect(missing).toBeInstanceOf(TypeError)
    expect((missing as { code?: string }).code).toBe('ERR_INVALID_ARG_TYPE')
    expect((missing as Error).message).toBe('"metadata.client_secret" must be a string')
    const empty = await apply(ClientSecretBasic(), { client_id: 'foo', client_secret: '' }).catch(
      (err: unknown) => err,
    )
    expect((empty as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE')
    expect((empty as Error).message).toBe('"metadata.client_secret" must not be empty')
  })

  it('a factory argument that is not a non-empty string is a TypeError at once', () => {
    expect(() => ClientSecretBasic(42 as unknown as string)).toThrow(TypeError)
    expect(() => ClientSecretBasic('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
  })
})
