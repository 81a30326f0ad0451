/**
 * The handles of `getDPoPHandle`, which never change nor keep the URLs they are given: the request pipeline may
 * hand them its shared endpoint URL, while any other object implementing the handle interface gets a copy. A
 * module of its own, so that the pipeline can ask without importing the DPoP handle (and its signing code) into
 * programs that never use DPoP.
 */
const owned = new WeakSet<object>()

export function markOwned(handle: object): void {
  owned.add(handle)
}

export function ownsUrls(handle: object): boolean {
  return owned.has(handle)
}
