export const VERSION = '0.1.0'

/** Browsers set their own User-Agent and refuse ours; every other runtime gets one. */
const IS_BROWSER =
  typeof navigator !== 'undefined' &&
  typeof navigator.userAgent === 'string' &&
  navigator.userAgent.startsWith('Mozilla/5.0 ')

export const USER_AGENT: string | undefined = IS_BROWSER ? undefined : `grantline/${VERSION}`
