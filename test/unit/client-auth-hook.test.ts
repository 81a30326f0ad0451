// What the modifyAssertion hook of private_key_jwt is handed (contract §2.3.5): a header with `alg`, and `kid`
// only when the key came with one, so that the hook sees exactly the members that will be signed.
import { describe, expect, it } from 'vitest'
import { PrivateKeyJwt, modifyAssertion, randomDPoPKeyPair } from '../../src/index.js'
import type { ClientMetadata } from '../../src/index.js'

describe('private_key_jwt: the header the hook sees', () => {
  it('alg alone for a bare key or a { key } without kid; alg and kid for a { key, kid }', async () => {
    const { privateKey } = await randomDPoPKeyPair()
    const seen: string[][] = []
    const hook = {
      [modifyAssertion]: (header: Record<string, unknown>) => void seen.push(Object.keys(header)),
    }
    for (const auth of [
      PrivateKeyJwt(privateKey, hook),
      PrivateKeyJwt({ key: privateKey }, hook),
      PrivateKeyJwt({ key: privateKey, kid: 'k1' }, hook),
    ]) {
      await auth(
        { issuer: 'https://as.example.test' },
        { client_id: 'c' } as ClientMetadata,
        new URLSearchParams(),
        new Headers(),
      )
    }
    expect(seen).toEqual([['alg'], ['alg'], ['alg', 'kid']])
  })
})
