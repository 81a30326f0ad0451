// `login`: the authorization code grant with PKCE through a loopback redirect (RFC 8252 §7.3).

import { UsageError } from '../exit-codes.js'
import type { Invocation } from './types.js'

export async function login(_invocation: Invocation): Promise<unknown> {
  throw new UsageError(
    'grantline login needs the authorization-code functions of the library, which are not shipped yet',
  )
}
