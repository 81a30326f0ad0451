// SAML 2.0 Profile for OAuth 2.0 Authorization Grants (RFC 7522 §2.1) as an oidc-provider extension grant. The
// assertion travels base64url-encoded without padding; anything else is refused. The XML signature is NOT checked
// (this is a test server): the Subject's NameID becomes the token's subject.

import type { KoaContext, Provider } from 'oidc-provider'
import { senderConstraint } from '../oidc-internals.js'
import { invalidGrant, issueAccessToken, one, required } from './issue.js'

export const SAML2_BEARER_PARAMETERS = ['assertion', 'scope']

const BASE64URL = /^[A-Za-z0-9_-]+$/
const MAX_ASSERTION = 64 * 1024
// A NameID element, with any (or no) namespace prefix, whose text is the subject.
const NAME_ID = /<(?:[A-Za-z_][\w.-]*:)?NameID(?:\s[^>]*)?>([^<]+)<\/(?:[A-Za-z_][\w.-]*:)?NameID\s*>/
const AUDIENCE = /<(?:[A-Za-z_][\w.-]*:)?Audience(?:\s[^>]*)?>([^<]+)<\/(?:[A-Za-z_][\w.-]*:)?Audience\s*>/g
const ASSERTION = /<(?:[A-Za-z_][\w.-]*:)?Assertion[\s>]/

export function saml2BearerHandler(provider: Provider) {
  return async (ctx: KoaContext): Promise<void> => {
    const constraint = await senderConstraint(provider, ctx)
    const encoded = required(ctx, 'assertion')
    // RFC 7522 §2.1: base64url (RFC 4648 §5) with no line wrapping and no padding.
    if (encoded.length > MAX_ASSERTION || !BASE64URL.test(encoded)) {
      throw invalidGrant('assertion must be base64url-encoded without padding')
    }
    const xml = Buffer.from(encoded, 'base64url').toString('utf8')
    if (!ASSERTION.test(xml)) throw invalidGrant('assertion is not a SAML 2.0 Assertion')

    // RFC 7522 §3 item 2: an Audience must identify the authorization server (issuer or token endpoint).
    const audiences = [...xml.matchAll(AUDIENCE)].map((match) => unescapeXml(match[1]!.trim()))
    const accepted = new Set([provider.issuer, ctx.oidc.urlFor('token')])
    if (!audiences.some((audience) => accepted.has(audience))) {
      throw invalidGrant('assertion Audience does not identify this authorization server')
    }

    const subject = NAME_ID.exec(xml)?.[1]?.trim()
    if (!subject) throw invalidGrant('assertion has no Subject NameID')

    await issueAccessToken(provider, ctx, constraint, {
      accountId: unescapeXml(subject),
      gty: 'saml2_bearer',
      scope: one(ctx, 'scope'),
    })
  }
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}
