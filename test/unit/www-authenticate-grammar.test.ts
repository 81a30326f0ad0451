// WWW-Authenticate grammar edges (RFC 9110 §11.6.1) that decide between "a challenge" and "no usable header":
// a token68 or a parameter broken by a character that cannot follow it spoils the whole header.
import { describe, expect, it } from 'vitest'
import { parseWWWAuthenticate as parse } from '../../src/http/www-authenticate.js'

describe('parseWWWAuthenticate: what spoils a header', () => {
  it('a token68 followed by a character that is not a separator', () => {
    expect(parse('Basic abc"def')).toBeUndefined()
    expect(parse('Basic abc==="')).toBeUndefined()
  })

  it('a quoted string where a token68 or a parameter was due', () => {
    expect(parse('Bearer "quoted"')).toBeUndefined()
  })

  it('a parameter without a name', () => {
    expect(parse('Bearer =x')).toBeUndefined()
    expect(parse('Bearer realm="r", =x')).toBeUndefined()
  })

  it('a token68 is read from where the parameters start, never further on', () => {
    expect(parse('Basic #, ab')).toBeUndefined()
    expect(parse('Basic !, ab==')).toBeUndefined()
  })

  it('a token68 then a separator ends the challenge; the next word is a scheme', () => {
    expect(parse('Basic abc=, Bearer')).toEqual([
      { scheme: 'basic', parameters: {}, token68: 'abc=' },
      { scheme: 'bearer', parameters: {} },
    ])
    expect(parse('Basic abc')).toEqual([{ scheme: 'basic', parameters: {}, token68: 'abc' }])
  })
})
