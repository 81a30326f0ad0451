// A real browser signs in through grantline (issue 12): headless Debian Chromium, driven by playwright-core,
// opens the login example (examples/login-app.ts, built on grantline's public API), is redirected to the
// embedded authorization server, fills in its login form, consents, and lands back on the app showing the
// signed-in user's claims; then signs out. A second browser signs in with response_mode=form_post (the server's
// auto-submitting form POSTs to the app), a third denies consent and sees the access_denied error.
// Where Chromium cannot start, every test here FAILS with the reason: it is never skipped.

import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLoginDemo, type LoginDemo } from '../../examples/login-app.js'
import { launchChromium } from '../support/chromium.js'
import { DEMO_ACCOUNT, DEMO_PASSWORD, DENIED_DESCRIPTION } from '../support/provider.js'

const STEP_TIMEOUT_MS = 15_000

let demo: LoginDemo
let browser: Browser | undefined
/** Why the setup failed; every test throws it, so a missing browser fails each test instead of skipping it. */
let setupError: Error | undefined
const contexts: BrowserContext[] = []

beforeAll(async () => {
  try {
    demo = await startLoginDemo()
    browser = await launchChromium()
  } catch (err) {
    // vitest would report the tests of a file whose beforeAll throws as skipped.
    setupError = err instanceof Error ? err : new Error(String(err))
  }
}, 60_000)

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined)
  await browser?.close()
  await demo?.close()
})

/** A fresh browser profile (no cookies) on the app's home page. */
async function openApp(): Promise<Page> {
  if (setupError || !browser) throw setupError ?? new Error('the browser did not start')
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  await page.goto(`${demo.app.origin}/`)
  return page
}

/** Clicks "Sign in" on the app and signs in as alice at the server's login form; ends on the consent page. */
async function signIn(page: Page, link = '#sign-in'): Promise<void> {
  await page.click(link)
  await page.waitForURL(
    (url) => url.origin === demo.server.issuer && url.pathname.startsWith('/interaction/'),
  )
  await page.fill('#login', DEMO_ACCOUNT)
  await page.fill('#password', DEMO_PASSWORD)
  await page.click('button#sign-in')
  await page.waitForSelector('#consent-form')
  expect(await page.textContent('#client')).toBe('login-app')
}

describe('a real browser signs in through grantline', () => {
  it('signs in, consents, sees its claims on the app, and signs out', async () => {
    const page = await openApp()
    expect(await page.textContent('body')).toContain('You are not signed in.')
    await signIn(page)
    await page.click('#allow')

    await page.waitForURL(`${demo.app.origin}/`)
    expect(await page.textContent('#claim-sub')).toBe('alice')
    expect(await page.textContent('#claim-email')).toBe('alice@example.test')
    expect(await page.textContent('#claim-iss')).toBe(demo.server.issuer)
    expect(await page.textContent('#greeting')).toContain('Alice Liddell')
    expect(await page.locator('#error').count()).toBe(0)

    // RP-Initiated Logout: the server asks, the browser confirms, the app says so.
    await page.click('#sign-out')
    await page.waitForURL((url) => url.origin === demo.server.issuer)
    await page.click('#logout')
    await page.waitForURL(`${demo.app.origin}/`)
    expect(await page.textContent('#notice')).toBe('You are signed out.')
    expect(await page.locator('#claims').count()).toBe(0)

    // The server's session ended too: signing in again shows the login form, not a silent redirect.
    await page.click('#sign-in')
    await page.waitForSelector('#login-form')
  })

  it('signs in with response_mode=form_post: the server page POSTs the response to the app', async () => {
    const page = await openApp()
    await signIn(page, '#sign-in-form-post')
    const callback = page.waitForRequest(`${demo.app.origin}/callback`)
    await page.click('#allow')
    const posted = await callback
    expect(posted.method()).toBe('POST')
    expect(new URLSearchParams(posted.postData() ?? '').get('iss')).toBe(demo.server.issuer)

    await page.waitForURL(`${demo.app.origin}/`)
    expect(await page.textContent('#claim-sub')).toBe('alice')
    expect(await page.textContent('#claim-email')).toBe('alice@example.test')
  })

  it('denies consent and sees the access_denied error on the app', async () => {
    const page = await openApp()
    await signIn(page)
    await page.click('#deny')

    await page.waitForURL(`${demo.app.origin}/`)
    expect(await page.textContent('#error-code')).toBe('access_denied')
    expect(await page.textContent('#error-description')).toBe(DENIED_DESCRIPTION)
    expect(await page.locator('#claims').count()).toBe(0)
    expect(await page.locator('#sign-in').count()).toBe(1)
  })
})
