// The user's side of the decoupled flows: device authorization (RFC 8628) and CIBA. A real user would approve
// on a web page or an authentication device; tests and the demo call these instead. Each writes what the
// provider's own approval would write on the pending request, so its token endpoint then issues tokens (or
// `access_denied`).

import type { Provider, StoredToken } from 'oidc-provider'

const DENIED = { error: 'access_denied', errorDescription: 'end-user denied the authorization' }

export interface Flows {
  approveDeviceFlow(userCode: string, accountId: string): Promise<void>
  denyDeviceFlow(userCode: string): Promise<void>
  approveCiba(authReqId: string, accountId?: string): Promise<void>
  denyCiba(authReqId: string): Promise<void>
}

export function flows(provider: Provider): Flows {
  async function findDeviceCode(userCode: string): Promise<StoredToken> {
    // The user sees XXXX-XXXX; the provider stores the code upper-cased without separators.
    const normalized = userCode.toUpperCase().replace(/\W/g, '')
    const code = await provider.DeviceCode.findByUserCode(normalized)
    if (!code) throw new TypeError('unknown or expired user code')
    return code
  }

  async function findCibaRequest(authReqId: string): Promise<StoredToken> {
    const request = await provider.BackchannelAuthenticationRequest.find(authReqId)
    if (!request) throw new TypeError('unknown or expired auth_req_id')
    return request
  }

  /** The Grant the token endpoint checks: this account allowed this client these scopes. */
  async function grant(accountId: string, clientId: string | undefined, scope: string): Promise<string> {
    const created = new provider.Grant({ accountId, clientId })
    created.addOIDCScope(scope)
    return created.save()
  }

  return {
    async approveDeviceFlow(userCode, accountId) {
      const code = await findDeviceCode(userCode)
      const scope = (code['params'] as { scope?: string } | undefined)?.scope ?? 'openid'
      const grantId = await grant(accountId, code.clientId, scope)
      Object.assign(code, { accountId, grantId, scope, authTime: epoch() })
      await code.save()
    },

    async denyDeviceFlow(userCode) {
      const code = await findDeviceCode(userCode)
      Object.assign(code, DENIED)
      await code.save()
    },

    async approveCiba(authReqId, accountId) {
      const request = await findCibaRequest(authReqId)
      // The account named by login_hint, unless the caller says someone else approved.
      const account = accountId ?? request.accountId
      if (account === undefined) throw new TypeError('the CIBA request names no account')
      const grantId = await grant(account, request.clientId, request.scope ?? 'openid')
      Object.assign(request, { accountId: account, grantId, authTime: epoch() })
      await request.save()
    },

    async denyCiba(authReqId) {
      const request = await findCibaRequest(authReqId)
      Object.assign(request, DENIED)
      await request.save()
    },
  }
}

function epoch(): number {
  return Math.floor(Date.now() / 1000)
}
