// The people who can sign in at the embedded server's login page. Their passwords are test fixtures, printed in
// the README and used by the tests; the server accepts no other account at its login form. (Grants that name
// a subject directly, such as token exchange or CIBA, still accept any account id: see findAccount.)

import { createHash, timingSafeEqual } from 'node:crypto'

/** An account the login form knows: its password and the claims the server releases about it. */
export interface DemoAccount {
  readonly accountId: string
  readonly password: string
  readonly claims: Readonly<Record<string, unknown>>
}

/** The account the demo, the examples and the browser test sign in as. */
export const DEMO_ACCOUNT = 'alice'
/** alice's password (a fixed, public test fixture). */
export const DEMO_PASSWORD = 'wonderland'

/** Every account the login form accepts, by account id. */
export const ACCOUNTS: Readonly<Record<string, DemoAccount>> = {
  alice: {
    accountId: 'alice',
    password: DEMO_PASSWORD,
    claims: { email: 'alice@example.test', email_verified: true, name: 'Alice Liddell' },
  },
  bob: {
    accountId: 'bob',
    password: 'builder',
    claims: { email: 'bob@example.test', email_verified: false, name: 'Bob Builder' },
  },
}

/** The account whose password matches, or undefined (compared in constant time per account). */
export function checkPassword(accountId: string, password: string): DemoAccount | undefined {
  const account = Object.hasOwn(ACCOUNTS, accountId) ? ACCOUNTS[accountId] : undefined
  if (!account) return undefined
  return sameText(account.password, password) ? account : undefined
}

function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()
  return timingSafeEqual(digest(a), digest(b))
}

/**
 * The claims of any subject: the login accounts' own, else the pattern every other grant relies on
 * (`<sub>@example.test`, name = sub).
 */
export function accountClaims(sub: string): Record<string, unknown> {
  const known = Object.hasOwn(ACCOUNTS, sub) ? ACCOUNTS[sub] : undefined
  return known ? { sub, ...known.claims } : { sub, email: `${sub}@example.test`, name: sub }
}
