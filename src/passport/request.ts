// The express-facing steps of grantline/passport's Strategy: the form_post callback as a Request, the session,
// request parameters, the request's host. Types only from express.

import type { Request as ExpressRequest } from 'express'
import type { AuthorizationDetails } from '../index.js'

/** The pending authorization request, kept in the session between the redirect and the callback. */
export interface StateData {
  code_verifier: string
  nonce?: string
  state?: string
  max_age?: number
}

type Session = Record<string, StateData | undefined>

/**
 * A form_post callback as a `Request` for `authorizationCodeGrant`. The body is the request stream, as
 * openid-client passes it; when a body parser has read it already (`express.urlencoded()`), the form is rebuilt
 * from `req.body` (extension, docs/decisions.md D84).
 */
export function formPostRequest(req: ExpressRequest, url: URL): Request {
  const headers = new Headers()
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    for (const value of values ?? []) headers.append(name, value)
  }
  const parsed: unknown = (req as { body?: unknown }).body
  if (isFormRecord(parsed) && req.readableEnded) {
    headers.delete('content-length')
    headers.set('content-type', 'application/x-www-form-urlencoded')
    const form = new URLSearchParams()
    for (const [name, value] of Object.entries(parsed)) {
      for (const each of Array.isArray(value) ? value : [value]) form.append(name, String(each))
    }
    return new Request(url.href, { method: 'POST', headers, body: form })
  }
  return new Request(url.href, {
    method: 'POST',
    headers,
    body: req as unknown as BodyInit,
    duplex: 'half',
  } as RequestInit)
}

function isFormRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length !== 0
  )
}

export function sessionOf(req: ExpressRequest): Session {
  return (req as unknown as { session: Session }).session
}

export function setResource(params: URLSearchParams, resource: string | string[]): void {
  if (Array.isArray(resource)) {
    for (const value of resource) params.append('resource', value)
  } else {
    params.set('resource', resource)
  }
}

export function setAuthorizationDetails(
  params: URLSearchParams,
  details: AuthorizationDetails | AuthorizationDetails[],
): void {
  params.set('authorization_details', JSON.stringify(Array.isArray(details) ? details : [details]))
}

/** The request's host, from `X-Forwarded-Host` only when Express trusts the peer (`trust proxy`). */
export function hostOf(req: ExpressRequest): string | undefined {
  try {
    const trust = req.app.get('trust proxy fn') as (address: string | undefined, hop: number) => boolean
    let value = req.get('x-forwarded-host')
    if (!value || !trust(req.socket.remoteAddress, 0)) {
      value = req.get('host')
    } else if (value.includes(',')) {
      value = value.slice(0, value.indexOf(',')).trimEnd()
    }
    return value || undefined
  } catch {
    return req.host
  }
}

export function typeError(message: string): TypeError {
  const err = new TypeError(message) as TypeError & { code: string }
  err.code = 'ERR_INVALID_ARG_TYPE'
  return err
}
