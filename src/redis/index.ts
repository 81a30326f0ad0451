// grantline/redis: the token manager's shared store on node-redis (issue 11). Node.js only; `redis` is an optional
// peer dependency the user installs and passes in, so nothing here loads it.

/**
 * The token manager's shared store on node-redis, for a fleet of processes that share tokens (Node.js only;
 * `redis` is an optional peer dependency).
 *
 * @module grantline/redis
 */
export { redisTokenStore } from './store.js'
export type {
  RedisClientLike,
  RedisSubscriberLike,
  RedisTokenStoreEvent,
  RedisTokenStoreOptions,
} from './store.js'
export type { RedisEncryptionKey, RejectReason } from './envelope.js'
export { STORE_ENTRY_REJECTED } from './store.js'
