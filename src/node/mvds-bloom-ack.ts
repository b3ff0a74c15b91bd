/**
 * The Bloom offer as MVDS acknowledgement in the node (seed p2p-data-sync-mobile,
 * Enhancement 3; issue 19 item 4; the rule itself is src/mvds/probable-ack.ts). With
 * `mvds.bloomAck`, a private group's members walk the group among themselves with Bloom
 * offers; an offer a member receives from another member then acknowledges every OFFER /
 * MESSAGE record kept for that member whose bundle lies in the offer's slice (global-time
 * range and modulo class) and tests "maybe" in its filter.
 *
 * MVDS records carry MVDS message ids (SHA-256 over group, timestamp, body); the filter holds
 * bundle ids. This owner keeps the bridge: MVDS message id → (group, bundle id, global time),
 * filled when a bundle is sent or received through MVDS and, for a record restored from
 * disk, by decoding the stored body once. Bounded by {@link MAX_BLOOM_ACK_ENTRIES} (oldest
 * forgotten first; a forgotten entry is decoded again when needed). No timers.
 */
import { BloomFilter } from '../bloom/index.js'
import { decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD } from '../bundle/codec.js'
import type { Bundle } from '../bundle/types.js'
import { hex } from '../bytes.js'
import type { MvdsHolds, MvdsMessageStore } from '../mvds/index.js'
import { passesModulo } from '../store/range.js'
import type { SyncOffer } from '../wire/index.js'

/** Message-id → bundle facts remembered at most (a record per peer is 1 024 at most by default). */
export const MAX_BLOOM_ACK_ENTRIES = 65_536

interface Facts {
  /** Hex group (overlay) id. */
  readonly group: string
  readonly bundleId: Uint8Array
  readonly globalTime: number
}

export class BloomAcks {
  readonly #facts = new Map<string, Facts>()
  /** Offers looked at, records acknowledged by them, filters that could not be read. */
  readonly counts = { offers: 0, acknowledged: 0, badFilters: 0 }

  constructor(readonly store: MvdsMessageStore) {}

  /** Remembers the bundle behind an MVDS message id (hex). */
  remember(key: string, bundle: Bundle): void {
    if (this.#facts.has(key)) return
    if (this.#facts.size >= MAX_BLOOM_ACK_ENTRIES) this.#facts.delete(this.#facts.keys().next().value as string)
    this.#facts.set(key, { group: hex(bundle.overlay), bundleId: bundle.id, globalTime: bundle.globalTime })
  }

  /** Entries remembered (for the bound's test). */
  get size(): number {
    return this.#facts.size
  }

  /**
   * The "peer holds it" test of a Bloom offer of group `group`: true for a message of that
   * group whose bundle is in the offer's slice and in its filter. Null when the filter is
   * unreadable (counted).
   */
  holds(group: string, offer: SyncOffer): MvdsHolds | null {
    let bloom: BloomFilter
    try {
      bloom = BloomFilter.fromWire(offer.bloom)
    } catch {
      this.counts.badFilters++
      return null
    }
    this.counts.offers++
    const low = Math.max(1, offer.timeLow)
    const high = offer.timeHigh === 0 ? Number.MAX_SAFE_INTEGER : offer.timeHigh
    if (!(offer.modulo >= 1) || offer.offset >= offer.modulo || low > high) return () => false
    return (id, key) => {
      const f = this.#factsOf(id, key)
      if (f === undefined || f.group !== group) return false
      if (f.globalTime < low || f.globalTime > high || !passesModulo(f.globalTime, offer.modulo, offer.offset)) return false
      const held = bloom.has(f.bundleId)
      if (held) this.counts.acknowledged++
      return held
    }
  }

  #factsOf(id: Uint8Array, key: string): Facts | undefined {
    const known = this.#facts.get(key)
    if (known !== undefined) return known
    const message = this.store.get(id, key)
    const bundle = message === undefined ? null : decodeBundle(message.body, { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD })
    if (bundle === null) return undefined
    this.remember(key, bundle)
    return this.#facts.get(key)
  }
}
