// Building the assertions the JWT-bearer and SAML 2.0 bearer grants consume, for the demo and the tests.

import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'

/** An identity provider the embedded server trusts for JWT-bearer assertions (RFC 7523). */
export interface AssertionIssuer {
  issuer: string
  privateKey: CryptoKey
  kid: string
  alg: string
}

export interface JwtAssertionClaims {
  sub: string
  /** The authorization server: its issuer identifier or its token endpoint URL (RFC 7523 §3). */
  aud: string | string[]
  /** Lifetime in seconds, 300 by default; negative values make an expired assertion. */
  expiresIn?: number
  [claim: string]: unknown
}

/** A signed RFC 7523 §3 assertion: iss, sub, aud, exp, iat, jti. */
export async function signJwtAssertion(issuer: AssertionIssuer, claims: JwtAssertionClaims): Promise<string> {
  const { expiresIn = 300, sub, aud, ...rest } = claims
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: issuer.alg, kid: issuer.kid, typ: 'JWT' })
    .setIssuer(issuer.issuer)
    .setSubject(sub)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .setJti(randomUUID())
    .sign(issuer.privateKey)
}

export interface SamlAssertionOptions {
  subject: string
  /** The Audience, the authorization server's issuer or token endpoint URL (RFC 7522 §3). */
  audience: string
  issuer?: string
}

/** An unsigned SAML 2.0 Assertion as XML text. */
export function samlAssertionXml({
  subject,
  audience,
  issuer = 'https://idp.example.test',
}: SamlAssertionOptions) {
  const now = new Date()
  const later = new Date(now.getTime() + 300_000)
  return [
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0"`,
    ` IssueInstant="${now.toISOString()}">`,
    `<saml:Issuer>${escapeXml(issuer)}</saml:Issuer>`,
    '<saml:Subject>',
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${escapeXml(subject)}</saml:NameID>`,
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
    `<saml:SubjectConfirmationData NotOnOrAfter="${later.toISOString()}"/>`,
    '</saml:SubjectConfirmation>',
    '</saml:Subject>',
    `<saml:Conditions NotBefore="${now.toISOString()}" NotOnOrAfter="${later.toISOString()}">`,
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(audience)}</saml:Audience></saml:AudienceRestriction>`,
    '</saml:Conditions>',
    '</saml:Assertion>',
  ].join('')
}

/** RFC 7522 §2.1: the assertion parameter is base64url without padding. */
export function samlAssertion(options: SamlAssertionOptions): string {
  return Buffer.from(samlAssertionXml(options), 'utf8').toString('base64url')
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
