// The embedded server's own login and consent pages (oidc-provider's devInteractions stay off): small HTML
// pages with plain forms, no script, so a test can drive them by HTTP (test/support/login.ts) and a real browser
// can fill them in (test/integration/browser-login.once.test.ts). Also the end-session confirmation pages.
//
// Routes, all under /interaction/<uid> (oidc-provider's default interactions.url):
//   GET  /interaction/<uid>          the login form (prompt "login") or the consent form (prompt "consent")
//   POST /interaction/<uid>/login    login=<account>&password=<password>; a wrong pair shows the form again (401)
//   POST /interaction/<uid>/confirm  grants what the client asked for
//   POST /interaction/<uid>/abort    denies: the client gets error=access_denied
// Form ids (stable selectors for tests): #login-form, #consent-form, #deny-form.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { KoaContext, Provider } from 'oidc-provider'
import { checkPassword } from './accounts.js'

/** oidc-provider's interaction details, as far as these pages read them. */
interface InteractionDetails {
  uid: string
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> }
  params: Record<string, unknown>
  session?: { accountId?: string }
  grantId?: string
}

/** Upper bound of a form body; the forms carry a few short fields. */
const MAX_FORM_BYTES = 16 * 1024

/** The description an `access_denied` callback carries when the user clicks Deny. */
export const DENIED_DESCRIPTION = 'End-User denied the authorization request'

/**
 * Handles the interaction routes; returns false for any other path so the provider serves it. Errors become a
 * plain 400 page (an expired or foreign interaction cookie is the usual cause).
 */
export function interactionRoutes(provider: Provider) {
  const details = (req: IncomingMessage, res: ServerResponse) =>
    (provider as unknown as InteractionApi).interactionDetails(req, res)
  const finish = (
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    merge: boolean,
  ) =>
    (provider as unknown as InteractionApi).interactionFinished(req, res, result, {
      mergeWithLastSubmission: merge,
    })

  return async function route(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://placeholder')
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/.exec(url.pathname)
    if (!match) return false
    const action = match[2]
    try {
      if (action === undefined) {
        if (req.method !== 'GET') return (methodNotAllowed(res), true)
        const interaction = (await details(req, res)) as InteractionDetails
        if (interaction.prompt.name === 'login') html(res, 200, loginPage(interaction))
        else if (interaction.prompt.name === 'consent') html(res, 200, consentPage(interaction))
        else
          html(res, 501, page('Not implemented', `<p>Unknown prompt ${escape(interaction.prompt.name)}</p>`))
        return true
      }
      if (req.method !== 'POST') return (methodNotAllowed(res), true)
      const form = await readForm(req)
      const interaction = (await details(req, res)) as InteractionDetails
      if (action === 'abort') {
        await finish(req, res, { error: 'access_denied', error_description: DENIED_DESCRIPTION }, false)
        return true
      }
      if (action === 'login') {
        if (interaction.prompt.name !== 'login') throw new Error('this interaction does not ask for a login')
        const account = checkPassword(form.get('login') ?? '', form.get('password') ?? '')
        if (!account) {
          html(
            res,
            401,
            loginPage(interaction, 'Unknown account or wrong password.', form.get('login') ?? ''),
          )
          return true
        }
        await finish(req, res, { login: { accountId: account.accountId, amr: ['pwd'] } }, false)
        return true
      }
      // confirm
      if (interaction.prompt.name !== 'consent') throw new Error('this interaction does not ask for consent')
      const grantId = await saveGrant(provider, interaction)
      await finish(req, res, { consent: { grantId } }, true)
      return true
    } catch (err) {
      if (!res.headersSent) {
        const message = err instanceof Error ? err.message : 'interaction failed'
        html(res, 400, page('Sign-in failed', `<p id="error">${escape(message)}</p>`))
      } else {
        res.destroy()
      }
      return true
    }
  }
}

interface InteractionApi {
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<unknown>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>
}

interface GrantApi {
  addOIDCScope(scope: string): void
  addOIDCClaims(claims: string[]): void
  addResourceScope(indicator: string, scope: string): void
  save(): Promise<string>
}

/** Grants everything the consent prompt reports missing, on the existing grant when there is one. */
async function saveGrant(provider: Provider, interaction: InteractionDetails): Promise<string> {
  const Grant = provider.Grant as unknown as {
    new (payload: Record<string, unknown>): GrantApi
    find(id: string): Promise<GrantApi | undefined>
  }
  const existing = interaction.grantId ? await Grant.find(interaction.grantId) : undefined
  const grant =
    existing ??
    new Grant({ accountId: interaction.session?.accountId, clientId: interaction.params['client_id'] })
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = interaction.prompt.details as {
    missingOIDCScope?: string[]
    missingOIDCClaims?: string[]
    missingResourceScopes?: Record<string, string[]>
  }
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '))
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims)
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '))
  }
  return grant.save()
}

function loginPage(interaction: InteractionDetails, error?: string, login = ''): string {
  const client = String(interaction.params['client_id'] ?? '')
  return page(
    'Sign in',
    `<p>Sign in to continue to <strong id="client">${escape(client)}</strong>.</p>
${error ? `<p id="error" role="alert">${escape(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${escape(interaction.uid)}/login" autocomplete="off">
  <label>Account <input id="login" name="login" type="text" value="${escape(login)}" required autofocus></label>
  <label>Password <input id="password" name="password" type="password" required></label>
  <button id="sign-in" type="submit">Sign in</button>
</form>
<form id="deny-form" method="post" action="/interaction/${escape(interaction.uid)}/abort">
  <button id="cancel" type="submit">Cancel</button>
</form>`,
  )
}

function consentPage(interaction: InteractionDetails): string {
  const client = String(interaction.params['client_id'] ?? '')
  const scope = String(interaction.params['scope'] ?? '')
    .split(' ')
    .filter(Boolean)
  return page(
    'Authorize',
    `<p><strong id="client">${escape(client)}</strong> asks for access as
<strong id="account">${escape(interaction.session?.accountId ?? '')}</strong>:</p>
<ul id="scopes">${scope.map((name) => `<li>${escape(name)}</li>`).join('')}</ul>
<form id="consent-form" method="post" action="/interaction/${escape(interaction.uid)}/confirm">
  <button id="allow" type="submit">Allow</button>
</form>
<form id="deny-form" method="post" action="/interaction/${escape(interaction.uid)}/abort">
  <button id="deny" type="submit">Deny</button>
</form>`,
  )
}

/** features.rpInitiatedLogout.logoutSource: `form` is the provider's hidden form (#op.logoutForm, xsrf). */
export async function logoutSource(ctx: KoaContext, form: string): Promise<void> {
  ;(ctx as unknown as { type: string }).type = 'html'
  ctx.body = page(
    'Sign out',
    `<p>Do you want to sign out of ${escape(String((ctx as unknown as { host: string }).host))}?</p>
${form}
<button id="logout" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button id="stay" type="submit" form="op.logoutForm">Stay signed in</button>`,
  )
}

/** features.rpInitiatedLogout.postLogoutSuccessSource: shown when no post_logout_redirect_uri applies. */
export async function postLogoutSuccessSource(ctx: KoaContext): Promise<void> {
  ;(ctx as unknown as { type: string }).type = 'html'
  ctx.body = page('Signed out', '<p id="signed-out">You are signed out.</p>')
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)} · grantline demo server</title></head>
<body>
<h1>${escape(title)}</h1>
${body}
</body>
</html>
`
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

function methodNotAllowed(res: ServerResponse): void {
  html(res, 405, page('Method not allowed', ''))
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_FORM_BYTES) throw new Error('form too large')
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/** HTML text and attribute escaping. */
export function escape(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}
