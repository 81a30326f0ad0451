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
 * const response = await initiateBackchannelAuthentication(config, {
 *   scope: 'openid',
 *   login_hint: 'alice@example.com',
 *   binding_message: 'W4SCT',
 * })
 * const tokens = await pollBackchannelAuthenticationGrant(config, response)
 * ```
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
