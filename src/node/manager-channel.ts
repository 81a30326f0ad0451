// The token manager on Node.js: its events on node:diagnostics_channel (DECISIONS D46), each published on the
// channel `grantline:manager:<event name>` (e.g. `grantline:manager:refresh_failed`) only when that channel has
// subscribers, so that an unobserved manager pays nothing; and its cache keys hashed by node:crypto (D39), the
// same SHA-256 as the portable one, several times faster on a long subject token.
import { createHash } from 'node:crypto'
import diagnostics_channel from 'node:diagnostics_channel'
import { setEventPublisher, type TokenManagerEventName } from '../manager/events.js'
import { setKeyHasher } from '../manager/key.js'

const channels = new Map<string, diagnostics_channel.Channel>()

function channelOf(name: TokenManagerEventName): diagnostics_channel.Channel {
  let channel = channels.get(name)
  if (channel === undefined)
    channels.set(name, (channel = diagnostics_channel.channel(`grantline:manager:${name}`)))
  return channel
}

/** Installs the publisher and the key hasher; called once by the Node.js entry point. */
export function installManagerChannels(): void {
  setKeyHasher((text) => createHash('sha256').update(text, 'utf8').digest('base64url'))
  setEventPublisher({
    wants: (name) => channelOf(name).hasSubscribers,
    publish: (name, event) => channelOf(name).publish(event),
  })
}
