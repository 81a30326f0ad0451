// The token manager's events on node:diagnostics_channel (DECISIONS D46): each event is published on the channel
// `grantline:manager:<event name>` (e.g. `grantline:manager:refresh_failed`), only when that channel has
// subscribers, so that an unobserved manager pays nothing.
import diagnostics_channel from 'node:diagnostics_channel'
import { setEventPublisher, type TokenManagerEventName } from '../manager/events.js'

const channels = new Map<string, diagnostics_channel.Channel>()

function channelOf(name: TokenManagerEventName): diagnostics_channel.Channel {
  let channel = channels.get(name)
  if (channel === undefined)
    channels.set(name, (channel = diagnostics_channel.channel(`grantline:manager:${name}`)))
  return channel
}

/** Installs the publisher; called once by the Node.js entry point. */
export function installManagerChannels(): void {
  setEventPublisher({
    wants: (name) => channelOf(name).hasSubscribers,
    publish: (name, event) => channelOf(name).publish(event),
  })
}
