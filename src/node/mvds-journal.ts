/**
 * MVDS state that survives a restart (issue 19): the message store and the node's records
 * (send count and send epoch per peer and message), the groups shared with each peer and the
 * epoch, in the same database as the bundles (a {@link StateStore}).
 *
 * ```
 * mvds/state        → encodeMvdsSnapshot(node.snapshot())   (src/mvds/snapshot.ts)
 * mvds/msg/<hex id> → encodeMvdsPayload({ messages: [m] })  (one message, HEAD schema: metadata kept)
 * mvds/members      → JSON [[hex group, [hex member key, …]], …]   (GroupMembers)
 * mvds/addresses    → JSON [[hex member key, "IP:port"], …]        (MvdsPeerBook)
 * ```
 *
 * Messages are journaled as they enter the store (write-through: the sans-I/O node reads a
 * synchronous store) and deleted when evicted; a received message only once its bundle is in
 * the bundle store ({@link JournaledMvdsStore.unsettled}): otherwise a crash could leave the
 * journal holding a message the bundle store lacks, and the restarted node would acknowledge
 * the sender's retransmission of it as a duplicate. The snapshot is rewritten on `flush` when
 * anything changed. Each flush is one atomic batch, so a crash (kill -9 included) leaves
 * the last flushed state. The node flushes before every tick, and `share` / `sendPrivate`
 * resolve only after their flush: a message we promised to send is on disk first. (What we
 * acknowledge is on disk first too, in the bundle store: src/node/mvds.ts holds ACKs.)
 */
import { decodeMvdsSnapshot, encodeMvdsSnapshot, type MvdsNode } from '../mvds/index.js'
import type { MvdsMessageStore } from '../mvds/types.js'
import type { GroupMembers } from './group-members.js'
import { MvdsPeerBook } from './mvds-peers.js'
import { parseAddressKey, type Address } from '../wire/index.js'
import { hex } from '../bytes.js'
import type { StateStore } from '../store/types.js'
import { decodeMvdsPayload, encodeMvdsPayload, type MvdsMessage } from '../wire/mvds.js'

const STATE = 'mvds/state'
const MEMBERS = 'mvds/members'
const ADDRESSES = 'mvds/addresses'
const MESSAGE_PREFIX = 'mvds/msg/'

/** The default bound of the journaled message store. */
export const DEFAULT_MAX_MVDS_MESSAGES = 100_000

/** What `load` found. */
export interface MvdsLoadResult {
  messages: number
  /** Hex group ids shared with at least one peer. */
  groups: string[]
  /** Entries that did not decode (skipped). */
  corrupt: number
}

/**
 * A bounded in-memory message store whose changes are journaled (oldest evicted first, as
 * `MemoryMvdsStore`). Without a journal it is a plain memory store.
 */
export class JournaledMvdsStore implements MvdsMessageStore {
  readonly #messages = new Map<string, MvdsMessage>()
  readonly #max: number
  /** Changes not yet flushed: hex id → message (put) or undefined (delete). */
  readonly changes = new Map<string, MvdsMessage | undefined>()
  readonly #journaled: boolean
  /** Hex ids of received messages not journaled until their bundle is stored (a subset of the messages). */
  readonly #unsettled = new Set<string>()

  constructor(init: { maxMessages?: number; journaled: boolean }) {
    this.#max = init.maxMessages ?? DEFAULT_MAX_MVDS_MESSAGES
    this.#journaled = init.journaled
  }

  has(id: Uint8Array): boolean {
    return this.#messages.has(hex(id))
  }

  get(id: Uint8Array, key?: string): MvdsMessage | undefined {
    return this.#messages.get(key ?? hex(id))
  }

  put(id: Uint8Array, message: MvdsMessage): void {
    this.#insert(hex(id), message, this.#journaled)
  }

  delete(id: Uint8Array): void {
    const key = hex(id)
    if (!this.#messages.delete(key)) return
    this.#unsettled.delete(key)
    if (this.#journaled) this.changes.set(key, undefined)
  }

  /** A received message whose bundle is being stored: journaled only once {@link settled}. */
  unsettled(id: Uint8Array): void {
    const key = hex(id)
    if (!this.#messages.has(key)) return
    this.#unsettled.add(key)
    this.changes.delete(key)
  }

  /** The bundle of an {@link unsettled} message is stored: the message is journaled with the next flush. */
  settled(id: Uint8Array): void {
    const key = hex(id)
    if (!this.#unsettled.delete(key)) return
    const message = this.#messages.get(key)
    if (message !== undefined && this.#journaled) this.changes.set(key, message)
  }

  /** Loads a message read back from the journal (not journaled again). */
  load(key: string, message: MvdsMessage): void {
    this.#insert(key, message, false)
  }

  get size(): number {
    return this.#messages.size
  }

  #insert(key: string, message: MvdsMessage, journal: boolean): void {
    if (this.#messages.has(key)) return
    if (this.#messages.size >= this.#max) {
      const oldest = this.#messages.keys().next().value as string
      this.#messages.delete(oldest)
      this.#unsettled.delete(oldest)
      if (this.#journaled) this.changes.set(oldest, undefined)
    }
    this.#messages.set(key, message)
    if (journal) this.changes.set(key, message)
  }
}

/** Writes the MVDS state to a {@link StateStore}; loads it back at start. */
export class MvdsJournal {
  readonly #store: StateStore
  readonly #node: MvdsNode
  readonly #messages: JournaledMvdsStore
  readonly #members: GroupMembers
  readonly #peers: MvdsPeerBook
  #dirty = false
  #tail: Promise<void> = Promise.resolve()

  constructor(store: StateStore, node: MvdsNode, messages: JournaledMvdsStore, members: GroupMembers, peers: MvdsPeerBook = new MvdsPeerBook()) {
    this.#peers = peers
    this.#store = store
    this.#node = node
    this.#messages = messages
    this.#members = members
  }

  /** True when something changed since the last flush began. */
  get dirty(): boolean {
    return this.#dirty || this.#messages.changes.size > 0
  }

  /** The records changed (send, receive, tick, share). */
  markDirty(): void {
    this.#dirty = true
  }

  /** Restores the messages and then the records, shares and epoch. */
  async load(): Promise<MvdsLoadResult> {
    let corrupt = 0
    let messages = 0
    for (const [name, value] of await this.#store.stateEntries(MESSAGE_PREFIX)) {
      const m = decodeMvdsPayload(value)?.messages
      if (m === undefined || m.length !== 1) {
        corrupt++
        continue
      }
      this.#messages.load(name.slice(MESSAGE_PREFIX.length), m[0]!)
      messages++
    }
    const groups = new Set<string>()
    const bytes = await this.#store.getState(STATE)
    if (bytes !== undefined) {
      const snapshot = decodeMvdsSnapshot(bytes)
      if (snapshot === null) corrupt++
      else {
        this.#node.restore(snapshot)
        for (const p of snapshot.peers) for (const g of p.groups) groups.add(g)
      }
    }
    const members = await this.#store.getState(MEMBERS)
    if (members !== undefined) {
      const parsed = decodeMembers(members)
      if (parsed === null) corrupt++
      else for (const [g, keys] of parsed) for (const k of keys) this.#members.add(g, k)
    }
    const addresses = await this.#store.getState(ADDRESSES)
    if (addresses !== undefined) {
      const parsed = decodeAddresses(addresses)
      if (parsed === null) corrupt++
      else for (const [key, at] of parsed) this.#peers.place(at, key)
    }
    return { messages, groups: [...groups], corrupt }
  }

  /** Writes what changed in one atomic batch, after every earlier flush. */
  flush(): Promise<void> {
    const run = this.#tail.then(() => this.#write())
    this.#tail = run.catch(() => undefined)
    return run
  }

  async #write(): Promise<void> {
    if (!this.dirty) return
    const entries: Array<[string, Uint8Array | undefined]> = []
    for (const [key, m] of this.#messages.changes) entries.push([MESSAGE_PREFIX + key, m === undefined ? undefined : encodeMvdsPayload({ acks: [], offers: [], requests: [], messages: [m] })])
    this.#messages.changes.clear()
    if (this.#dirty) {
      this.#dirty = false
      entries.push([STATE, encodeMvdsSnapshot(this.#node.snapshot())])
      entries.push([MEMBERS, new TextEncoder().encode(JSON.stringify(this.#members.entries()))])
      entries.push([ADDRESSES, new TextEncoder().encode(JSON.stringify(this.#peers.entries()))])
    }
    try {
      await this.#store.putState(entries)
    } catch (err) {
      // Nothing was written (one batch): everything is due again with the next flush.
      this.#dirty = true
      for (const [name, value] of entries) {
        if (name === STATE || name === MEMBERS || name === ADDRESSES) continue
        const key = name.slice(MESSAGE_PREFIX.length)
        if (!this.#messages.changes.has(key)) this.#messages.changes.set(key, value === undefined ? undefined : decodeMvdsPayload(value)!.messages[0])
      }
      throw err
    }
  }
}

const HEX32 = /^[0-9a-f]{64}$/

/** A JSON array from UTF-8 bytes; null when the bytes are not valid UTF-8 JSON or not an array. */
function jsonArray(bytes: Uint8Array): unknown[] | null {
  try {
    const raw: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return Array.isArray(raw) ? raw : null
  } catch {
    return null
  }
}

/** The member lists from their bytes; null when malformed. */
function decodeMembers(bytes: Uint8Array): Array<[string, string[]]> | null {
  const raw = jsonArray(bytes)
  if (raw === null) return null
  for (const e of raw) {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !HEX32.test(e[0]) || !Array.isArray(e[1])) return null
    if (!(e[1] as unknown[]).every((k) => typeof k === 'string' && HEX32.test(k))) return null
  }
  return raw as Array<[string, string[]]>
}

/** The address book from its bytes; null when malformed. */
function decodeAddresses(bytes: Uint8Array): Array<[string, Address]> | null {
  const raw = jsonArray(bytes)
  if (raw === null) return null
  const out: Array<[string, Address]> = []
  for (const e of raw) {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !HEX32.test(e[0]) || typeof e[1] !== 'string') return null
    const at = parseAddressKey(e[1])
    if (at === null) return null
    out.push([e[0], at])
  }
  return out
}
