import { stateOf, type Configuration } from '../configuration.js'
import { argError, assertString } from '../internal/assert.js'
import { encodeBase64url } from '../internal/base64url.js'
import { toPublicError } from '../internal/errors.js'
import { tokenGrant } from '../token-endpoint/grant.js'
import { checkDPoP, toSearchParams } from '../token-endpoint/request.js'
import type {
  DPoPOptions,
  GrantParameters,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'

export const SAML2_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer'

export interface Saml2BearerGrantOptions extends DPoPOptions {
  /**
   * Set when `assertion` is already base64url-encoded (without padding, RFC 7522 §2.1). By default it is the
   * assertion's XML text, which this function encodes.
   */
  encoded?: boolean
}

/**
 * The SAML 2.0 bearer grant (RFC 7522 §2.1): trades a SAML 2.0 assertion for an access token. The assertion's
 * XML is base64url-encoded without padding, as the RFC requires; pass `{ encoded: true }` for one that already
 * is.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let assertionXml!: string // the SAML 2.0 assertion, as issued
 *
 * const tokens = await client.saml2BearerGrant(config, assertionXml, { scope: 'api:read' })
 * ```
 *
 * @param config - The client's configuration.
 * @param assertion - The SAML 2.0 assertion's XML (or, with `encoded: true`, its base64url encoding).
 * @param parameters - Extra parameters for the request (`scope`, `resource`, ...); an array value becomes
 *   repeated parameters.
 * @param options - `encoded`, and `DPoP` to bind the token.
 * @returns The token response, with `claims()` (the validated ID Token's claims, if any) and `expiresIn()`.
 * @see [RFC 7522 §2.1](https://www.rfc-editor.org/rfc/rfc7522.html#section-2.1)
 */
export async function saml2BearerGrant(
  config: Configuration,
  assertion: string,
  parameters?: GrantParameters,
  options?: Saml2BearerGrantOptions,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  try {
    const state = stateOf(config)
    assertString(assertion, '"assertion"')
    const DPoP = checkDPoP(options?.DPoP)
    const encoded = options?.encoded ?? false
    if (typeof encoded !== 'boolean') throw argError('"options.encoded" must be a boolean')
    let value: string
    if (encoded) {
      if (!/^[A-Za-z0-9_-]+$/.test(assertion)) {
        throw argError('"assertion" must be base64url without padding', 'ERR_INVALID_ARG_VALUE')
      }
      value = assertion
    } else {
      // base64url text never contains "<": without it, this is an encoded assertion passed as XML by mistake.
      if (!assertion.includes('<')) {
        throw argError(
          '"assertion" must be the XML of a SAML 2.0 assertion; pass { encoded: true } for an encoded one',
          'ERR_INVALID_ARG_VALUE',
        )
      }
      value = encodeBase64url(assertion)
    }
    const body = toSearchParams(parameters)
    body.set('assertion', value)
    return await tokenGrant(state, SAML2_BEARER_GRANT, body, { DPoP })
  } catch (err) {
    throw toPublicError(err)
  }
}
