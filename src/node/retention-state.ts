/**
 * The room policy's per-author index (./retention.ts) kept with the store, so that a restart
 * — clean or after a crash — does not scan every row to rebuild it (issue 20; docs/store.md,
 * "The persisted retention index"). The store keeps a key per stored bundle by author, written
 * in the same atomic batch as the row (`AuthorIndexStore`, src/store/level-authors.ts): an
 * author's keys are that author's rows, whatever moment a crash came. So the join reads no
 * row: an author's rows are read when one of its bundles is first looked at, and the policy is
 * applied to them there (what it drops — a bundle stored just before a crash, before the ones
 * it pushed out were deleted — is deleted then, as a join's scan would have).
 *
 * The index carries a note: the bytes of the policy last applied to every author's rows at a
 * join. A join under another policy (or over a store that keeps no index yet) scans, as every
 * join did before, applies the policy, and saves the note (and the keys, when there were none)
 * before deleting what the policy drops.
 */
import { encodePolicy, type RoomPolicy } from '../bundle/policy.js'
import { equalBytes, hex } from '../bytes.js'
import type { AuthoredRow, AuthorIndexStore } from '../store/types.js'
import { isStateStore } from '../store/types.js'
import type { RetainedEntry } from '../sync/retention.js'

/** What the store keeps of an overlay's per-author index, for the join's policy. */
export type KeptIndex = 'current' | 'other-policy' | 'none'

function* authoredRows(entries: Iterable<RetainedEntry>): Generator<AuthoredRow> {
  for (const e of entries) yield { author: Buffer.from(e.author, 'hex'), globalTime: e.globalTime, id: Buffer.from(e.id, 'hex') }
}

/** One overlay's per-author index in a store that keeps one. */
export class RetentionState {
  readonly #store: AuthorIndexStore
  readonly #overlay: Uint8Array
  readonly #policy: Uint8Array

  constructor(store: AuthorIndexStore, overlay: Uint8Array, policy: RoomPolicy) {
    this.#store = store
    this.#overlay = overlay
    this.#policy = encodePolicy(policy)
  }

  /** Whether the store keeps the overlay's index, and whether its note names this policy. */
  async kept(): Promise<KeptIndex> {
    const note = await this.#store.authorIndexNote(this.#overlay)
    return note === undefined ? 'none' : equalBytes(note, this.#policy) ? 'current' : 'other-policy'
  }

  /** The author's stored bundles (`author`: the key's hex), as entries of the index, oldest first. */
  async load(author: string): Promise<RetainedEntry[]> {
    const rows = await this.#store.authorRows(this.#overlay, Buffer.from(author, 'hex'))
    return rows.map((r) => ({ globalTime: r.globalTime, id: hex(r.id), author }))
  }

  /**
   * After a scan that applied this policy: saves the note, with the key of every row when the
   * store keeps none yet (`rows`: what the scan found, retained or not). False when the
   * overlay changed since `mark` (the next join scans again).
   */
  async save(rows: Iterable<RetainedEntry> | undefined, mark: number): Promise<boolean> {
    const saved = await this.#store.saveAuthorIndex(this.#overlay, rows === undefined ? undefined : authoredRows(rows), this.#policy, mark)
    // Left by a version that wrote the index as state values at a clean stop: no longer read.
    if (saved && rows !== undefined && isStateStore(this.#store)) {
      const legacy = `retention/${hex(this.#overlay)}`
      const names = (await this.#store.stateEntries(legacy)).map(([name]) => name).filter((name) => name === legacy || name.startsWith(`${legacy}/`))
      if (names.length > 0) await this.#store.putState(names.map((name) => [name, undefined]))
    }
    return saved
  }
}
