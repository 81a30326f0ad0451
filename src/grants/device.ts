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

/** A device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorizationResponse {
  /** The code the client polls the token endpoint with. Never show it to the end-user. */
  readonly device_code: string
  /** The code the end-user enters at `verification_uri`. */
  readonly user_code: string
  /** The page where the end-user enters `user_code`. */
  readonly verification_uri: string
  /** `verification_uri` with the user code already in it, e.g. for a QR code. */
  readonly verification_uri_complete?: string
  /** Seconds until `device_code` and `user_code` expire. */
  readonly expires_in: number
  /** Minimum seconds between polls (5 when absent). */
  readonly interval?: number
  readonly [parameter: string]: JsonValue | undefined
}

/** Options of {@link pollDeviceAuthorizationGrant}: a DPoP handle and a signal that ends polling early. */
export interface DeviceAuthorizationGrantPollOptions extends PollOptions {}
/** Misspelled alias kept for openid-client compatibility. */
export interface DeviceAutorizationGrantPollOptions extends DeviceAuthorizationGrantPollOptions {}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/**
 * Starts the device authorization grant (RFC 8628 §3.1): the server returns a user code to show and a device
 * code to poll with.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 *
 * const response = await client.initiateDeviceAuthorization(config, { scope: 'openid offline_access' })
 * console.log(`Visit ${response.verification_uri} and enter ${response.user_code}`)
 * const tokens = await client.pollDeviceAuthorizationGrant(config, response)
 * ```
 *
 * @param config - The client's configuration.
 * @param parameters - The request's parameters, usually `scope`.
 * @returns The server's response: `device_code`, `user_code`, `verification_uri`, `expires_in`, `interval`.
 * @see [RFC 8628 §3.1](https://www.rfc-editor.org/rfc/rfc8628.html#section-3.1)
 */
export async function initiateDeviceAuthorization(
  config: Configuration,
  parameters: GrantParameters,
): Promise<DeviceAuthorizationResponse> {
  try {
    const json = await startFlow(config, 'device_authorization_endpoint', parameters)
    const fields = new ResponseFields(json)
    fields.nonEmptyString('device_code')
    fields.nonEmptyString('user_code')
    fields.nonEmptyString('verification_uri')
    fields.lifetime('expires_in')
    fields.nonEmptyString('verification_uri_complete', true)
    fields.positiveNumber('interval')
    return json as unknown as DeviceAuthorizationResponse
  } catch (err) {
    throw toPublicError(err)
  }
}

/**
 * Polls the token endpoint with the device code until the end-user approves or denies (RFC 8628 §3.4–3.5),
 * honouring `interval`, `slow_down` and `Retry-After`. Gives up after `expires_in` seconds unless
 * `options.signal` says otherwise.
 *
 * @example
 * ```ts
 * let config!: client.Configuration
 * let response!: client.DeviceAuthorizationResponse
 *
 * const tokens = await client.pollDeviceAuthorizationGrant(config, response, undefined, {
 *   signal: AbortSignal.timeout(120_000),
 * })
 * ```
 *
 * @param config - The client's configuration.
 * @param deviceAuthorizationResponse - What {@link initiateDeviceAuthorization} resolved to.
 * @param parameters - Extra parameters for each token request.
 * @param options - `signal` to stop polling, `DPoP` to bind the token.
 * @returns The token response once the end-user approved, with `claims()` (the validated ID Token's claims, if any) and `expiresIn()`.
 * @see [RFC 8628 §3.4](https://www.rfc-editor.org/rfc/rfc8628.html#section-3.4)
 * @see [D16: interval and deadline checks](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d16)
 * @see [D25: at least one second between polls](https://github.com/grantline/grantline/blob/main/docs/decisions.md#d25)
 */
export async function pollDeviceAuthorizationGrant(
  config: Configuration,
  deviceAuthorizationResponse: DeviceAuthorizationResponse,
  parameters?: GrantParameters,
  options?: DeviceAuthorizationGrantPollOptions,
): Promise<TokenEndpointResponse & TokenEndpointResponseHelpers> {
  try {
    return await pollFlow(
      config,
      DEVICE_CODE_GRANT,
      deviceAuthorizationResponse,
      'deviceAuthorizationResponse',
      'device_code',
      parameters,
      options,
    )
  } catch (err) {
    throw toPublicError(err)
  }
}
