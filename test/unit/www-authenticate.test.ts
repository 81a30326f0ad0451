import { describe, expect, it } from 'vitest'
import { parseWWWAuthenticate } from '../../src/http/www-authenticate.js'

const parse = parseWWWAuthenticate

describe('parseWWWAuthenticate (contract §2.9)', () => {
  it('no header is no challenge', () => {
    expect(parse(null)).toBeUndefined()
    expect(parse(undefined)).toBeUndefined()
    expect(parse('')).toBeUndefined()
  })

  it('a header of separators only is no challenge', () => {
    expect(parse(' , ,')).toBeUndefined()
  })

  it('lower-cases the scheme and parameter names, keeps values as sent', () => {
    expect(parse('BeArEr Realm="Example", ERROR="Invalid_Token"')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'Example', error: 'Invalid_Token' } },
    ])
  })

  it('accepts leading commas and white space', () => {
    expect(parse(' ,, \tBearer realm="x"')).toEqual([{ scheme: 'bearer', parameters: { realm: 'x' } }])
  })

  it('a bare scheme is a challenge without parameters', () => {
    expect(parse('Bearer')).toEqual([{ scheme: 'bearer', parameters: {} }])
    expect(parse('Scheme, DPoP')).toEqual([
      { scheme: 'scheme', parameters: {} },
      { scheme: 'dpop', parameters: {} },
    ])
  })

  it('a scheme must be followed by white space, a comma or the end', () => {
    expect(parse('Bearer"realm"')).toBeUndefined()
    expect(parse('Bearer;realm="x"')).toBeUndefined()
  })

  it('reads quoted and token values, with white space around "="', () => {
    expect(parse('DPoP algs = "ES256 PS256" , error = use_dpop_nonce')).toEqual([
      { scheme: 'dpop', parameters: { algs: 'ES256 PS256', error: 'use_dpop_nonce' } },
    ])
  })

  it('a backslash quotes the next character (RFC 9110 §5.6.4 quoted-pair, as openid-client 6.8.9 reads it)', () => {
    expect(parse('Bearer error_description="a\\nb \\u0041"')).toEqual([
      { scheme: 'bearer', parameters: { error_description: 'anb u0041' } },
    ])
  })

  it('resolves backslash escapes in quoted values', () => {
    expect(parse('Bearer error_description="say \\"hi\\" \\\\ bye"')).toEqual([
      { scheme: 'bearer', parameters: { error_description: 'say "hi" \\ bye' } },
    ])
  })

  it('accepts an empty quoted value and commas inside quotes', () => {
    expect(parse('Bearer realm="", scope="a,b"')).toEqual([
      { scheme: 'bearer', parameters: { realm: '', scope: 'a,b' } },
    ])
  })

  it('skips empty list items', () => {
    expect(parse('Bearer realm="x",, ,error="y",')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'x', error: 'y' } },
    ])
  })

  it('keeps the last of duplicate parameter names, case-insensitively', () => {
    expect(parse('Bearer realm="a", REALM="b"')).toEqual([{ scheme: 'bearer', parameters: { realm: 'b' } }])
  })

  it('parses several challenges in one header value', () => {
    expect(parse('Basic realm="as", DPoP algs="ES256", Bearer error="invalid_token"')).toEqual([
      { scheme: 'basic', parameters: { realm: 'as' } },
      { scheme: 'dpop', parameters: { algs: 'ES256' } },
      { scheme: 'bearer', parameters: { error: 'invalid_token' } },
    ])
  })

  it('recognises a token68 directly after the scheme', () => {
    expect(parse('Negotiate abc==')).toEqual([{ scheme: 'negotiate', parameters: {}, token68: 'abc==' }])
  })

  it('a token68 may be followed by a new challenge only', () => {
    expect(parse('Negotiate abc==, Basic realm="x"')).toEqual([
      { scheme: 'negotiate', parameters: {}, token68: 'abc==' },
      { scheme: 'basic', parameters: { realm: 'x' } },
    ])
    expect(parse('Negotiate abc==, realm="x"')).toBeUndefined()
  })

  it('reads `Bearer error=` as the token68 `error=`', () => {
    expect(parse('Bearer error=')).toEqual([{ scheme: 'bearer', parameters: {}, token68: 'error=' }])
  })

  it('a comma directly after the scheme ends the challenge: `Scheme, realm="foo"` is invalid', () => {
    expect(parse('Scheme, realm="foo"')).toBeUndefined()
  })

  it('white space before the comma keeps the parameters: `Scheme , realm="foo"` is valid', () => {
    expect(parse('Scheme , realm="foo"')).toEqual([{ scheme: 'scheme', parameters: { realm: 'foo' } }])
  })

  it('an unterminated quote is unparseable', () => {
    expect(parse('Bearer realm="x')).toBeUndefined()
    expect(parse('Bearer realm="x\\"')).toBeUndefined()
    expect(parse('Bearer realm="x\\')).toBeUndefined()
  })

  it('a missing "=" is unparseable', () => {
    expect(parse('Bearer realm "x"')).toBeUndefined()
  })

  it('trailing junk that is not a token is unparseable', () => {
    expect(parse('Bearer realm="x", "junk"')).toBeUndefined()
    expect(parse('Bearer realm="x" =')).toBeUndefined()
    expect(parse('Bearer realm=x"junk"')).toBeUndefined()
  })

  it('a token after the parameters starts the next challenge, with or without a comma (as openid-client reads it)', () => {
    expect(parse('Bearer realm="x" junk')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'x' } },
      { scheme: 'junk', parameters: {} },
    ])
    expect(parse('Bearer realm="x"junk')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'x' } },
      { scheme: 'junk', parameters: {} },
    ])
  })

  it('parameters may be separated by white space alone', () => {
    expect(parse('Bearer realm="x" error="y"  scope=z')).toEqual([
      { scheme: 'bearer', parameters: { realm: 'x', error: 'y', scope: 'z' } },
    ])
  })

  it('a comma after a bare scheme must be followed by another challenge', () => {
    expect(parse('Bearer,')).toBeUndefined()
    expect(parse('Bearer, ,')).toBeUndefined()
    expect(parse('Bearer realm="x",')).toEqual([{ scheme: 'bearer', parameters: { realm: 'x' } }])
  })

  it('a token68 has at most two "=" and is followed by the end, a comma or white space', () => {
    expect(parse('Negotiate abc===')).toBeUndefined()
    expect(parse('Negotiate abc==x')).toBeUndefined()
    expect(parse('Negotiate abc def')).toEqual([
      { scheme: 'negotiate', parameters: {}, token68: 'abc' },
      { scheme: 'def', parameters: {} },
    ])
  })

  it('a parameter without a value is unparseable', () => {
    expect(parse('Bearer realm=, error="x"')).toBeUndefined()
  })

  it('a header that does not start with a token is unparseable', () => {
    expect(parse('"Bearer"')).toBeUndefined()
    expect(parse('=')).toBeUndefined()
  })

  it('a parameter named __proto__ is ignored; other Object.prototype names are plain data', () => {
    const [challenge] = parse('Bearer __proto__="x", constructor="y", toString=z')!
    expect(Object.getPrototypeOf(challenge!.parameters)).toBe(Object.prototype)
    expect(Object.getOwnPropertyNames(challenge!.parameters)).toEqual(['constructor', 'tostring'])
    expect(challenge!.parameters['constructor']).toBe('y')
    expect(({} as Record<string, unknown>)['x']).toBeUndefined()
  })

  it('the DPoP nonce challenge of RFC 9449 §9', () => {
    expect(
      parse('DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'),
    ).toEqual([
      {
        scheme: 'dpop',
        parameters: {
          error: 'use_dpop_nonce',
          error_description: 'Resource server requires nonce in DPoP proof',
        },
      },
    ])
  })
})
