// A per-server in-memory storage adapter for oidc-provider. The built-in one is a single LRU of 1,000 entries
// shared by every provider in the process, so a busy test file could see tokens evicted; this one belongs to
// one server, drops entries when they expire, and goes away with it.

type Payload = Record<string, unknown> & {
  grantId?: string
  userCode?: string
  uid?: string
  consumed?: number
}

interface Entry {
  payload: Payload
  expiresAt: number
}

export interface Storage {
  entries: Map<string, Entry>
  /** grantId → keys of the artefacts issued under it, for revokeByGrantId. */
  grants: Map<string, Set<string>>
  userCodes: Map<string, string>
  uids: Map<string, string>
}

export function createStorage(): Storage {
  return { entries: new Map(), grants: new Map(), userCodes: new Map(), uids: new Map() }
}

/** The adapter factory oidc-provider calls once per model name. */
export function memoryAdapter(storage: Storage) {
  return class MemoryAdapter {
    constructor(private readonly model: string) {}

    private key(id: string) {
      return `${this.model}:${id}`
    }

    private read(key: string | undefined): Payload | undefined {
      if (key === undefined) return undefined
      const entry = storage.entries.get(key)
      if (!entry) return undefined
      if (entry.expiresAt <= Date.now()) {
        storage.entries.delete(key)
        return undefined
      }
      return entry.payload
    }

    async upsert(id: string, payload: Payload, expiresIn?: number) {
      const key = this.key(id)
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity
      storage.entries.set(key, { payload: { ...payload }, expiresAt })
      if (payload.grantId) {
        const members = storage.grants.get(payload.grantId) ?? new Set()
        members.add(key)
        storage.grants.set(payload.grantId, members)
      }
      if (payload.userCode) storage.userCodes.set(payload.userCode, id)
      if (payload.uid) storage.uids.set(payload.uid, id)
    }

    async find(id: string) {
      return this.read(this.key(id))
    }

    async findByUserCode(userCode: string) {
      const id = storage.userCodes.get(userCode)
      return id === undefined ? undefined : this.find(id)
    }

    async findByUid(uid: string) {
      const id = storage.uids.get(uid)
      return id === undefined ? undefined : this.find(id)
    }

    async consume(id: string) {
      const payload = this.read(this.key(id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    }

    async destroy(id: string) {
      storage.entries.delete(this.key(id))
    }

    async revokeByGrantId(grantId: string) {
      for (const key of storage.grants.get(grantId) ?? []) storage.entries.delete(key)
      storage.grants.delete(grantId)
    }
  }
}
