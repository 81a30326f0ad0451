import { createPrivateKey, sign as signBytes } from 'node:crypto'
import fc from 'fast-check'
import {
  CLIENT_ID,
  ISSUER,
  editsArb,
  hostileValue,
  usually,
  nowSeconds,
  serialise,
  type Edits,
} from './generators.js'

// Signed JWTs with hostile claims: a fixed ES256 key (a test key, published here on purpose), its JWKS served
// through customFetch, and headers, claims and signatures that go wrong in every way a server could get them wrong.

const PRIVATE_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: '1mrBrXfZFnoYv-UjaFlpPDJeCejl1BsLoMTTGDAR4GM',
  y: 'mxkarW68HlO32IPd-xONxuGQbUWoCDzIsxXJuPmIE8A',
  d: '2yjzeytFsF0Y5b68sXY_Vcok7fcObrYfxaEiX3R_Ics',
}
export const KID = 'fuzz-es256'
export const PUBLIC_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: PRIVATE_JWK.x,
  y: PRIVATE_JWK.y,
  kid: KID,
  alg: 'ES256',
  use: 'sig',
}
const privateKey = createPrivateKey({ key: PRIVATE_JWK, format: 'jwk' })

const b64 = (text: string) => Buffer.from(text).toString('base64url')

export type SignatureMode = 'valid' | 'flipped' | 'empty' | 'garbage' | 'missing-part' | 'extra-part'

export interface JwtSpec {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  edits: Edits
  signature: SignatureMode
}

/** The compact JWS the spec describes. Signing happens here, lazily, so that printing a case stays short. */
export function compactJwt(spec: JwtSpec): string {
  // ECDSA signatures are randomised: one case, one token, so that both libraries see the same bytes
  let token = signed.get(spec)
  if (token === undefined) signed.set(spec, (token = sign(spec)))
  return token
}
const signed = new WeakMap<JwtSpec, string>()

function sign(spec: JwtSpec): string {
  const input = `${b64(JSON.stringify(spec.header))}.${b64(serialise(spec.claims, spec.edits))}`
  const signature = signBytes('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  switch (spec.signature) {
    case 'valid':
      return `${input}.${signature.toString('base64url')}`
    case 'flipped':
      signature[5] = signature[5]! ^ 0x01
      return `${input}.${signature.toString('base64url')}`
    case 'empty':
      return `${input}.`
    case 'garbage':
      return `${input}.!!not-base64url`
    case 'missing-part':
      return input
    case 'extra-part':
      return `${input}.${signature.toString('base64url')}.x`
  }
}

export const signatureArb = fc.oneof(
  { weight: 20, arbitrary: fc.constant<SignatureMode>('valid') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<SignatureMode>('flipped', 'empty', 'garbage', 'missing-part', 'extra-part'),
  },
)

export const headerArb = (typ?: string) =>
  fc
    .record(
      {
        alg: usually('ES256', ['RS256', 'none', 'HS256', 'es256', 'ES512']),
        kid: usually(KID, ['other-kid', '', '__proto__']),
        typ: typ === undefined ? usually('JWT', ['jwt']) : usually(typ, [`application/${typ}`, 'JWT', 'jwt']),
      },
      { requiredKeys: typ === undefined ? ['alg'] : ['alg', 'typ'] },
    )
    .map((header) => header as Record<string, unknown>)

/** Claims that mostly pass, with every timestamp and identifier now and then out of line. */
export const claimsArb = (extra: Record<string, fc.Arbitrary<unknown>> = {}) => {
  const now = nowSeconds()
  return fc.record(
    {
      iss: usually(ISSUER, [`${ISSUER}/`, 'https://evil.example', '']),
      sub: usually('user', ['', '__proto__']),
      aud: usually(CLIENT_ID, [[CLIENT_ID], [CLIENT_ID, 'x'], 'someone-else', []]),
      azp: usually(CLIENT_ID, ['x']),
      iat: usually(now, [now - 10, now + 3600, now + 1e12, -1, 1e308]),
      exp: usually(now + 86_400, [now - 300, now - 1, now + 1e12, 2 ** 53, 0, 1e308]),
      nbf: usually(now - 10, [now + 3600, 1e308]),
      auth_time: usually(now, [now + 3600, -5, 0]),
      nonce: usually('n', ['']),
      ...extra,
    },
    { requiredKeys: ['iss', 'sub', 'aud', 'iat', 'exp', ...Object.keys(extra)] as never },
  )
}

export const jwtArb = (
  typ?: string,
  extra: Record<string, fc.Arbitrary<unknown>> = {},
): fc.Arbitrary<JwtSpec> =>
  fc.record({
    header: headerArb(typ),
    claims: claimsArb(extra) as fc.Arbitrary<Record<string, unknown>>,
    edits: editsArb,
    signature: signatureArb,
  })

/** A JWKS document: mostly the right key, sometimes none, several, broken ones, or not a key set at all. */
export const jwksDocumentArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 20, arbitrary: fc.constant<unknown>([PUBLIC_JWK]) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<unknown>(
          [],
          [PUBLIC_JWK, PUBLIC_JWK],
          [
            { ...PUBLIC_JWK, kid: undefined },
            { ...PUBLIC_JWK, kid: undefined },
          ],
          [{ ...PUBLIC_JWK, kid: 'other-kid' }],
          [{ ...PUBLIC_JWK, x: 'AAAA' }],
          [{ ...PUBLIC_JWK, crv: 'P-384' }],
          [{ ...PUBLIC_JWK, kty: 'RSA' }],
          [{ ...PUBLIC_JWK, use: 'enc' }],
          [{ ...PUBLIC_JWK, key_ops: ['encrypt'] }],
          [{ ...PUBLIC_JWK, alg: 'ES384' }],
          [{ ...PUBLIC_JWK, d: PRIVATE_JWK.d }],
          [null, 1, 'x', PUBLIC_JWK],
          'not a list',
          null,
          { '0': PUBLIC_JWK },
        ),
      },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.dictionary(fc.constantFrom('kty', 'crv', 'x', 'y', 'kid', 'alg', '__proto__'), hostileValue),
          { maxLength: 3 },
        ),
      },
    ),
    editsArb,
  )
  .map(([keys, edits]) => serialise({ keys }, edits))
