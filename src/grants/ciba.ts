import type { Configuration } from '../configuration.js'
import { toPublicError } from '../internal/errors.js'
import type {
  GrantParameters,
  JsonValue,
  TokenEndpointResponse,
  TokenEndpointResponseHelpers,
} from '../types.js'
import { pollFlow, startFlow, type PollOptions } from './polling.js'
import { ResponseFields } from './response-fields.js'

/** A successful backchannel authentication response (OpenID CIBA Core §7.3). */
export interface BackchannelAuthenticationResponse {
  /** Identifies the authentication request when polling. */
  readonly auth_req_id: string
  /** Seconds until `auth_req_id` expires. */
  readonly expires_in: number
  /** Minimum seconds between polls (5 when absent). */
  readonly interval?: number
  readonly [parameter: string]: JsonValue | undefined
}

/** Options of {@link pollBackchannelAuthenticationGrant}: a DPoP handle and a signal that ends polling early. */
export interface BackchannelAuthenticationGrantPollOptions extends PollOptions {}

export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba'

/**
 * Starts a Client-Initiated Backchannel Authentication (CIBA Core §7.1): the server asks the end-user on their
 * own device, and the client polls for the outcome.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * const response = await client.initiateBackchannelAuthentication(config, {
 *   scope: 'openid',
 *   login_hint: 'alice@example.com',
 *   binding_message: 'W4SCT',
 * })
 * const tokens = await client.pollBackchannelAuthenticationGrant(config, response)
 * ```
 *
 * @param config - The client's configuration.
 * @param parameters - The authentication request: `scope`, one of `login_hint`, `id_token_hint`,
 *   `login_hint_token`, and optionally `binding_message`, `requested_expiry`, ...
 * @returns The server's response: `auth_req_id`, `expires_in`, `interval`.
 * @see [OpenID Connect CIBA Core 1.0 §7](https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#auth_request)
 */
export async function initiateBackchannelAuthentication(
  config: Configuration,
  parameters: GrantParameters,
): Promise<BackchannelAuthenticationResponse> {
  try {
    const json = await startFlow(config, 'backchannel_authentication_endpoint', parameters)
    const fields = new ResponseFields(json)
    fields.nonEmptyString('auth_req_id')
    fields.lifetime('expires_in')
    fields.positiveNumber('interval')
    return json as unknown as BackchannelAuthenticationResponse
  } catch (err) {
    throw toPublicError(err)
  }
}

/**
 * Polls the token endpoint with `auth_req_id` until the end-user approves or denies (CIBA Core §10–11), with
 * the same interval, `slow_down` and `Retry-After` rules as the device flow.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let response!: client.BackchannelAuthenticationResponse
 *
 * const tokens = await client.pollBackchannelAuthenticationGrant(config, response, undefined, {
 *   signal: AbortSignal.timeout(300_000),
 * })
 * ```
 *
 * @param config - The client's configuration.
 * @param backchannelAuthenticationResponse - What {@link initiateBackchannelAuthentication} resolved to.
 * @param parameters - Extra parameters for each token request.
 * @param options - `signal` to stop polling, `DPoP` to bind the token.
 * @returns The token response once the end-user approved.
 * @see [OpenID Connect CIBA Core 1.0](https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html)
 * @see [D16: interval and deadline checks](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d16)
 * @see [D25: at least one second between polls](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d25)
 */
export async function pollBackchannelAuthenticationGrant(
  config: Configuration,
  backchannelAuthenticationResponse: BackchannelAuthenticationResponse,
  parameters?: GrantParameters,
  options?: BackchannelAuthenticationGrantPollOptions,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  try {
    return await pollFlow(
      config,
      CIBA_GRANT,
      backchannelAuthenticationResponse,
      'backchannelAuthenticationResponse',
      'auth_req_id',
      parameters,
      options,
    )
  } catch (err) {
    throw toPublicError(err)
  }
}
