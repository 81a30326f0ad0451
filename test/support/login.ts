// Drives a real login at the embedded server by HTTP, as a browser would: follows the authorization endpoint's
// redirects with cookies, submits the login form and the consent form (demo/interactions.ts), and stops at the
// redirect to the client's redirect_uri without fetching it. Works for plain, PAR (`request_uri`) and JAR
// (`request=`) authorization URLs alike, since all the driver sees is where the server sends it.
//
//   const callback = await completeLogin(url)                       // URL of the redirect to the client
//   const request = await completeLogin(formPostUrl)                // Request (POST) for response_mode=form_post
//   const denied = await completeLogin(url, { consent: 'deny' })    // URL with error=access_denied
//   const session = new LoginSession()                              // SSO: one cookie jar for several logins
//   await session.login(url); await session.login(url2)             // session.lastPrompts is [] the second time
//   await session.endSession(endSessionUrl)                         // confirms the end-session page

import { DEMO_ACCOUNT, DEMO_PASSWORD } from '../../demo/server.js'

export { ACCOUNTS, DEMO_ACCOUNT, DEMO_PASSWORD, DENIED_DESCRIPTION } from '../../demo/server.js'

/** What happened at the server's pages during one login, in order. */
export type Prompt = 'login' | 'consent'

export interface LoginOptions {
  /** Account id typed into the login form; default `alice` (DEMO_ACCOUNT). */
  account?: string
  /** Password typed into the login form; default alice's (DEMO_PASSWORD). */
  password?: string
  /** What to do on the consent page; default `approve`. `deny` yields an `access_denied` error callback. */
  consent?: 'approve' | 'deny'
  /** Cookies to send and keep (the server's session): pass the same jar again for single sign-on. */
  cookieJar?: CookieJar
  /** Receives each page the server showed ('login', 'consent'), in order. */
  prompts?: Prompt[]
}

/** Thrown when the server does not end at the client's redirect URI: a refused login, an error page... */
export class LoginDriverError extends Error {
  constructor(
    message: string,
    /** Status of the last response from the server. */
    readonly status: number,
    /** Visible text of the page the server showed, if any. */
    readonly pageText: string,
  ) {
    super(pageText ? `${message}: ${pageText.slice(0, 300)}` : message)
    this.name = 'LoginDriverError'
  }
}

const MAX_STEPS = 20

/**
 * Signs in at the authorization URL and resolves to where the server sends the user agent back to the client:
 * the redirect's `URL` (query, fragment, or JARM response modes; success or error), or, for `form_post`
 * response modes, the `Request` (POST, `application/x-www-form-urlencoded`) the auto-submitting form would send.
 * Nothing at the client's redirect URI is fetched.
 */
export async function completeLogin(
  authorizationUrl: URL | string,
  options: LoginOptions = {},
): Promise<URL | Request> {
  const account = options.account ?? DEMO_ACCOUNT
  const password = options.password ?? DEMO_PASSWORD
  const serverOrigin = new URL(authorizationUrl).origin
  let loginSubmitted = false

  return walk(authorizationUrl, options.cookieJar, 'no redirect to the client', (response, html, step) => {
    const text = visibleText(html)
    const forms = parseForms(html, step.url)

    const autoPost = forms.find((form) => form.id === undefined && form.action.origin !== serverOrigin)
    if (response.ok && autoPost) {
      return {
        result: new Request(autoPost.action, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(autoPost.fields).toString(),
        }),
      }
    }
    const login = forms.find((form) => form.id === 'login-form')
    if (login) {
      if (loginSubmitted) {
        throw new LoginDriverError(`the server refused the login of "${account}"`, response.status, text)
      }
      loginSubmitted = true
      options.prompts?.push('login')
      return { method: 'POST', url: login.action, form: { ...login.fields, login: account, password } }
    }
    const consent = forms.find((form) => form.id === 'consent-form')
    const deny = forms.find((form) => form.id === 'deny-form')
    if (consent && deny) {
      options.prompts?.push('consent')
      const chosen = options.consent === 'deny' ? deny : consent
      return { method: 'POST', url: chosen.action, form: chosen.fields }
    }
    throw new LoginDriverError(
      `the server answered ${response.status} at ${step.url.pathname} with no form to fill in`,
      response.status,
      text,
    )
  })
}

/** {@link completeLogin} for query, fragment and (form_post-less) JARM response modes: the callback URL. */
export async function loginForCallbackUrl(
  authorizationUrl: URL | string,
  options?: LoginOptions,
): Promise<URL> {
  const result = await completeLogin(authorizationUrl, options)
  if (!(result instanceof URL)) throw new TypeError('expected a redirect, the server answered with form_post')
  return result
}

/** {@link completeLogin} for `form_post` and `form_post.jwt`: the POST request the browser would send. */
export async function loginForFormPost(
  authorizationUrl: URL | string,
  options?: LoginOptions,
): Promise<Request> {
  const result = await completeLogin(authorizationUrl, options)
  if (!(result instanceof Request))
    throw new TypeError(`expected form_post, the server redirected to ${result}`)
  return result
}

export interface EndSessionOptions {
  /** Cookies of the session to end. */
  cookieJar?: CookieJar
  /** Click "Sign out" (default) or "Stay signed in". */
  confirm?: boolean
}

/**
 * Opens an end-session URL (RP-Initiated Logout 1.0), confirms (or declines) the sign-out on the server's page,
 * and resolves to where the user agent ends: the client's post_logout_redirect_uri (not fetched) or the server's
 * own "signed out" page.
 */
export async function completeEndSession(
  endSessionUrl: URL | string,
  options: EndSessionOptions = {},
): Promise<URL> {
  let submitted = false
  return walk(endSessionUrl, options.cookieJar, 'end session did not finish', (response, html, step) => {
    const form = parseForms(html, step.url).find((candidate) => candidate.id === 'op.logoutForm')
    if (response.ok && form && !submitted) {
      submitted = true
      const fields = options.confirm === false ? form.fields : { ...form.fields, logout: 'yes' }
      return { method: 'POST', url: form.action, form: fields }
    }
    if (response.ok && submitted) return { result: step.url }
    throw new LoginDriverError(
      `the server answered ${response.status} at ${step.url.pathname}`,
      response.status,
      visibleText(html),
    )
  })
}

/**
 * A user agent with one cookie jar: log in several times (single sign-on: no login form after the first time,
 * no consent once granted) and end the session.
 */
export class LoginSession {
  readonly cookieJar = new CookieJar()
  /** The pages the server showed during the last `login`. */
  lastPrompts: Prompt[] = []

  constructor(private readonly defaults: Omit<LoginOptions, 'cookieJar' | 'prompts'> = {}) {}

  async login(authorizationUrl: URL | string, options: Omit<LoginOptions, 'cookieJar'> = {}) {
    this.lastPrompts = []
    return completeLogin(authorizationUrl, {
      ...this.defaults,
      ...options,
      cookieJar: this.cookieJar,
      prompts: this.lastPrompts,
    })
  }

  endSession(endSessionUrl: URL | string, options: Omit<EndSessionOptions, 'cookieJar'> = {}) {
    return completeEndSession(endSessionUrl, { ...options, cookieJar: this.cookieJar })
  }
}

interface Step {
  method: 'GET' | 'POST'
  url: URL
  form?: Record<string, string>
}

/**
 * The user agent's walk from `start`: it follows the server's redirects, hands every page to `onPage` (which
 * answers with the next step, ends the walk with a result, or throws), and ends when a redirect leaves the
 * server's origin (that URL) or after MAX_STEPS (`stalled` names what did not happen).
 */
async function walk<T>(
  start: URL | string,
  jar: CookieJar = new CookieJar(),
  stalled: string,
  onPage: (response: Response, html: string, step: Step) => Step | { result: T },
): Promise<URL | T> {
  const serverOrigin = new URL(start).origin
  let step: Step = { method: 'GET', url: new URL(start) }
  for (let i = 0; i < MAX_STEPS; i++) {
    const response = await send(step, jar)
    const target = await redirectOf(response, step)
    if (target !== undefined) {
      if (target.origin !== serverOrigin) return target
      step = { method: 'GET', url: target }
      continue
    }
    const next = onPage(response, await response.text(), step)
    if ('result' in next) return next.result
    step = next
  }
  throw new LoginDriverError(`${stalled} after ${MAX_STEPS} steps`, 0, '')
}

/** Where a redirect points (its body cancelled), or undefined when the response is a page. */
async function redirectOf(response: Response, step: Step): Promise<URL | undefined> {
  const location = response.headers.get('location')
  if (response.status < 300 || response.status >= 400 || location === null) return undefined
  await response.body?.cancel()
  return new URL(location, step.url)
}

async function send(step: Step, jar: CookieJar): Promise<Response> {
  const headers: Record<string, string> = { accept: 'text/html' }
  const cookie = jar.header(step.url)
  if (cookie) headers['cookie'] = cookie
  let body: string | null = null
  if (step.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(step.form).toString()
  }
  const response = await fetch(step.url, { method: step.method, headers, body, redirect: 'manual' })
  jar.store(step.url, response.headers.getSetCookie())
  return response
}

interface ParsedForm {
  id: string | undefined
  action: URL
  method: string
  /** Hidden (and pre-filled) inputs. */
  fields: Record<string, string>
}

/** The forms of a page, with their hidden inputs; enough for the server's own pages and form_post. */
export function parseForms(html: string, base: URL): ParsedForm[] {
  const forms: ParsedForm[] = []
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = parseAttributes(match[1]!)
    const fields: Record<string, string> = {}
    for (const input of match[2]!.matchAll(/<input\b([^>]*?)\/?>/gi)) {
      const attrs = parseAttributes(input[1]!)
      if (attrs['name'] !== undefined && attrs['type'] === 'hidden')
        fields[attrs['name']] = attrs['value'] ?? ''
    }
    forms.push({
      id: attributes['id'],
      action: new URL(attributes['action'] ?? base.href, base),
      method: (attributes['method'] ?? 'get').toLowerCase(),
      fields,
    })
  }
  return forms
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {}
  for (const match of source.matchAll(/([a-zA-Z_:.-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    attributes[match[1]!.toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '')
  }
  return attributes
}

function decodeEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, entity: string) => {
    switch (entity) {
      case 'amp':
        return '&'
      case 'lt':
        return '<'
      case 'gt':
        return '>'
      case 'quot':
        return '"'
      default:
        return "'"
    }
  })
}

function visibleText(html: string): string {
  return decodeEntities(
    html
      .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  )
}

interface StoredCookie {
  name: string
  value: string
  host: string
  path: string
  expires: number
}

/**
 * A small cookie jar: host-only cookies (a browser shares them across ports of one host), path matching,
 * Max-Age / Expires deletion. Enough for oidc-provider's session and interaction cookies.
 */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>()

  /** The Cookie header for a request to `url`, or '' when no cookie applies. */
  header(url: URL): string {
    const now = Date.now()
    const matching: StoredCookie[] = []
    for (const [key, cookie] of this.#cookies) {
      if (cookie.expires <= now) {
        this.#cookies.delete(key)
        continue
      }
      if (cookie.host === url.hostname && pathMatches(url.pathname, cookie.path)) matching.push(cookie)
    }
    // RFC 6265 §5.4: longer paths first.
    matching.sort((a, b) => b.path.length - a.path.length)
    return matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
  }

  /** Takes the Set-Cookie header values of a response to `url`. */
  store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributeParts] = line.split(';')
      const eq = pair!.indexOf('=')
      if (eq <= 0) continue
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      let path = defaultPath(url)
      let expires = Infinity
      for (const part of attributeParts) {
        const [rawKey, ...rest] = part.split('=')
        const key = rawKey!.trim().toLowerCase()
        const attribute = rest.join('=').trim()
        if (key === 'path' && attribute.startsWith('/')) path = attribute
        else if (key === 'max-age' && /^-?\d+$/.test(attribute))
          expires = Date.now() + Number(attribute) * 1000
        else if (key === 'expires' && expires === Infinity) {
          const date = Date.parse(attribute)
          if (!Number.isNaN(date)) expires = date
        }
      }
      const key = `${url.hostname}|${path}|${name}`
      if (expires <= Date.now()) this.#cookies.delete(key)
      else this.#cookies.set(key, { name, value, host: url.hostname, path, expires })
    }
  }

  /** Names of the cookies held for `url` (for assertions). */
  names(url: URL): string[] {
    return this.header(url)
      .split('; ')
      .filter(Boolean)
      .map((pair) => pair.slice(0, pair.indexOf('=')))
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'
}

function defaultPath(url: URL): string {
  const path = url.pathname
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/'
  return path.slice(0, path.lastIndexOf('/'))
}
