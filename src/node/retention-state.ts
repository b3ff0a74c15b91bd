/**
 * The room policy's per-author index (./retention.ts) persisted with the store, so that a
 * restart does not scan every row to rebuild it (issue 20). Kept as named state values of the
 * store (`StateStore`), beside the bundles:
 *
 *   retention/<overlay hex>/<author hex>  the author's retained entries, oldest first:
 *                                        (global time u64 BE, id 32 bytes) each
 *   retention/<overlay hex>              the policy's bytes: "written at a clean stop
 *                                        under this policy"
 *
 * The mark is the crash rule: a join takes it away (one small write) before the overlay's
 * first change, and a clean stop writes every author whose entries changed together with the
 * mark, in one atomic batch. So a store whose mark is present and names the same policy holds
 * exactly the entries its rows imply, and the join loads an author's entries only when one of
 * its bundles is first looked at; a crash, another policy or a store from before leaves no
 * mark (or another one) and the join scans, as it always did.
 */
import { encodePolicy, type RoomPolicy } from '../bundle/policy.js'
import { equalBytes, hex } from '../bytes.js'
import type { StateStore } from '../store/types.js'
import type { RetainedEntry } from '../sync/retention.js'

const ID_BYTES = 32
const ENTRY_BYTES = 8 + ID_BYTES

/** Bytes of an author's entries. */
export function encodeEntries(entries: readonly RetainedEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * ENTRY_BYTES)
  const view = new DataView(out.buffer)
  entries.forEach((e, i) => {
    view.setBigUint64(i * ENTRY_BYTES, BigInt(e.globalTime))
    out.set(Buffer.from(e.id, 'hex'), i * ENTRY_BYTES + 8)
  })
  return out
}

/** An author's entries from their bytes; undefined when they are not a whole number of entries. */
export function decodeEntries(author: string, bytes: Uint8Array): RetainedEntry[] | undefined {
  if (bytes.length % ENTRY_BYTES !== 0) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: RetainedEntry[] = []
  for (let at = 0; at < bytes.length; at += ENTRY_BYTES) {
    const gt = view.getBigUint64(at)
    if (gt > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
    out.push({ globalTime: Number(gt), id: hex(bytes.subarray(at + 8, at + ENTRY_BYTES)), author })
  }
  return out
}

/** One overlay's persisted per-author index in a state store. */
export class RetentionState {
  readonly #store: StateStore
  readonly #prefix: string
  readonly #mark: string
  readonly #policy: Uint8Array
  /** Whether the stored authors are the whole index (written once in full since the join). */
  #complete = false

  constructor(store: StateStore, overlay: string, policy: RoomPolicy) {
    this.#store = store
    this.#mark = `retention/${overlay}`
    this.#prefix = `${this.#mark}/`
    this.#policy = encodePolicy(policy)
  }

  /**
   * Takes the mark away before the overlay changes; true when it was there for this policy
   * (the stored entries are then exactly the index, and stay so until the next {@link save}
   * apart from what this run changes).
   */
  async claim(): Promise<boolean> {
    const mark = await this.#store.getState(this.#mark)
    if (mark !== undefined) await this.#store.putState([[this.#mark, undefined]])
    const clean = mark !== undefined && equalBytes(mark, this.#policy)
    this.#complete = clean
    return clean
  }

  /** The author's stored entries (none stored: none retained). */
  async load(author: string): Promise<RetainedEntry[]> {
    const bytes = await this.#store.getState(this.#prefix + author)
    if (bytes === undefined) return []
    const entries = decodeEntries(author, bytes)
    // A value the mark vouched for that does not decode: the store is damaged, not the room's fault.
    if (entries === undefined) throw new Error(`retention state of author ${author} does not decode (${bytes.length} bytes)`)
    return entries
  }

  /**
   * Writes the entries of the authors that changed, and the mark, in one batch. The first save
   * after a scan writes every author (`authors` is then the whole index) and deletes the
   * stored authors it does not name, left from an earlier run.
   */
  async save(authors: Iterable<readonly [author: string, entries: readonly RetainedEntry[]]>): Promise<void> {
    const entries: Array<[string, Uint8Array | undefined]> = []
    const named = new Set<string>()
    for (const [author, list] of authors) {
      named.add(this.#prefix + author)
      entries.push([this.#prefix + author, list.length === 0 ? undefined : encodeEntries(list)])
    }
    if (!this.#complete) for (const [name] of await this.#store.stateEntries(this.#prefix)) if (!named.has(name)) entries.push([name, undefined])
    entries.push([this.#mark, this.#policy])
    await this.#store.putState(entries)
    this.#complete = true
  }
}
