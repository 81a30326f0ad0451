// The token manager (issue 11): the public surface of src/manager.
export { createTokenManager, MANAGER_CLOSED } from './manager.js'
export type {
  ManagedGrantParameters,
  TokenManager,
  TokenManagerGetOptions,
  TokenManagerOptions,
} from './manager.js'
export { memoryTokenStore } from './store.js'
export type { MemoryTokenStoreOptions, StoredToken, TokenStore, TokenStoreLock } from './store.js'
export type { RetryOptions } from './retry.js'
export { setEventPublisher } from './events.js'
export type {
  EventPublisher,
  TokenManagerEventBase,
  TokenManagerEventError,
  TokenManagerEventName,
  TokenManagerEvents,
  TokenManagerListener,
} from './events.js'
