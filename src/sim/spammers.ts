/**
 * Spammers of an open room (issue 20, DESIGN §14; the spam-10 and spam-30 presets): real
 * nodes of the room that sync like every peer (so they forward everyone's spam) and publish
 * valid bundles as fast as the room's policy and the identity cost let them.
 *
 * The identity cost is paid in virtual time: a spammer mints one identity every
 * 2^identityBits × hashMicros (20 bits, `OPEN_ROOM_POLICY`'s cost, at 1.5 µs a hash, what
 * `npm run measure:identity` measures on an idle core: 1.57 s). The nonce the nodes check is
 * minted for real at the room policy's own bits (the simulator's rooms use
 * {@link SIM_IDENTITY_BITS}: cheap to mint, still checked by every node).
 *
 * At each of its ticks (one per identity minted) a spammer stamps bundles at one global time,
 * its node's time + 1 (as an honest publisher does), and every identity it owns — the fresh
 * one and all the earlier ones — fills its quota of the window that time falls in (Q bundles
 * per W global-time units). In a room with identity epochs (`RoomPolicy.identityEpoch`) a
 * proof is bound to the epoch of that time, so only the identities minted in the current
 * epoch publish (an earlier one would need a new proof, which costs what a fresh identity
 * does). It hands them to its node as if published there
 * (`BloomwalkNode.relay`), which stores and pushes them as fresh: the walk, push and catch-up
 * then spread them. Not modelled: a spammer that stamps one global time per bundle to roll
 * the quota windows faster (the leapfrog of docs/security.md, "Known limits").
 */
import { generateKeyPair, identityEpochOf, mintIdentity, signBundle, type Bundle, type KeyPair, type RoomPolicy } from '../bundle/index.js'
import { RetentionIndex, type RetainedEntry } from '../sync/retention.js'
import type { SeededRng } from '../env/rng.js'
import { hex } from '../bytes.js'
import { decodePacket, type Address } from '../wire/index.js'
import type { Transport, TransportStats } from '../transport/index.js'
import { signWith } from './history.js'
import { SIM_IDENTITY_BITS, type SpamSpec } from './scenario.js'

export { SIM_IDENTITY_BITS }

/** Spammer nodes for `peers` honest peers at share `fraction` of all nodes. */
export function spammerCount(peers: number, fraction: number): number {
  return Math.round((peers * fraction) / (1 - fraction))
}

/** Virtual milliseconds a spammer spends per identity. */
export function identityMs(spec: SpamSpec): number {
  return (2 ** spec.identityBits * spec.hashMicros) / 1000
}

interface Identity {
  keys: KeyPair
  nonce: Uint8Array
  /** The identity epoch its proof is bound to (undefined: the room has none). */
  epoch: number | undefined
  /** Quota window of the last bundles, and how many it holds. */
  window: number
  used: number
}

/**
 * The spammers' publishing (sans-I/O: the driver calls {@link SpamModel.tick} on virtual time
 * and relays the bundles): identities, what each may still publish, and what was published.
 */
export class SpamModel {
  readonly spec: SpamSpec
  /** Hex of every spam author key. */
  readonly authors = new Set<string>()
  published = 0
  #minted = 0
  readonly #overlay: Uint8Array
  readonly #policy: RoomPolicy
  readonly #rng: SeededRng
  readonly #sign: ((message: Uint8Array, secretKey: Uint8Array) => Uint8Array) | undefined
  readonly #identities: Identity[][]
  /** What the policy would keep of everything published (the bound on stored spam). */
  readonly #retained: RetentionIndex
  readonly #latest: RetainedEntry[] = []

  constructor(overlay: Uint8Array, policy: RoomPolicy, spec: SpamSpec, spammers: number, rng: SeededRng, sign?: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array) {
    this.spec = spec
    this.#overlay = overlay
    this.#policy = policy
    this.#rng = rng
    this.#sign = sign
    this.#identities = Array.from({ length: spammers }, () => [])
    this.#retained = new RetentionIndex(policy)
  }

  /** Identities minted so far, every spammer together. */
  get identities(): number {
    return this.#minted
  }

  /** One tick of spammer `s` at global time `time`: a fresh identity, then every identity's quota left in `time`'s window. */
  tick(s: number, time: number): Bundle[] {
    const keys = generateKeyPair(this.#rng)
    const epoch = identityEpochOf(time, this.#policy.identityEpoch)
    const nonce = mintIdentity(this.#overlay, keys.publicKey, this.#policy.identityBits, epoch === undefined ? {} : { epoch })
    // Proofs of an earlier epoch buy nothing at this time: those identities are spent.
    if (epoch !== undefined) this.#identities[s] = this.#identities[s]!.filter((id) => id.epoch === epoch)
    this.#identities[s]!.push({ keys, nonce, epoch, window: -1, used: 0 })
    this.#minted++
    this.authors.add(hex(keys.publicKey))
    const { count, window } = this.#policy.quota
    const at = window === 0 ? 0 : Math.floor(time / window)
    // No quota: one bundle per identity per tick (the rate is then the identity cost's alone).
    const quota = count === 0 ? 1 : count
    const out: Bundle[] = []
    for (const id of this.#identities[s]!) {
      if (id.window !== at || count === 0) {
        id.window = at
        id.used = 0
      }
      while (id.used < quota) {
        id.used++
        const draft = { overlay: this.#overlay, globalTime: time, kind: 1, body: this.#rng.bytes(this.spec.bodyBytes), identityNonce: id.nonce }
        const b = this.#sign === undefined ? signBundle(draft, id.keys) : signWith(draft, id.keys, this.#sign)
        out.push(b)
        this.#note(b)
      }
    }
    this.published += out.length
    return out
  }

  /** Spam bundles a peer holding everything published would keep at room time `time` (quota, history and pruning applied; the store cap aside). */
  policyBound(time: number): number {
    const from = this.#retained.keptFrom(time)
    if (!this.#retained.tracks) return this.#latest.filter((e) => e.globalTime >= from).length
    let n = 0
    for (const author of this.authors) for (const e of this.#retained.entriesOf(author)) if (e.globalTime >= from) n++
    return n
  }

  #note(b: Bundle): void {
    const e: RetainedEntry = { globalTime: b.globalTime, id: hex(b.id), author: hex(b.author) }
    if (this.#retained.tracks) this.#retained.insert(e)
    else this.#latest.push(e)
  }
}

/** Spam an honest peer sent: bundles of spam authors in its bundles and push datagrams. */
export interface SpamTally {
  bundles: number
  bytes: number
}

/** A transport that counts the spam its node sends (forwarding) before handing the datagram on. */
export class SpamCountingTransport implements Transport {
  readonly tally: SpamTally = { bundles: 0, bytes: 0 }
  readonly #inner: Transport
  readonly #isSpam: (author: string) => boolean

  constructor(inner: Transport, isSpam: (author: string) => boolean) {
    this.#inner = inner
    this.#isSpam = isSpam
  }

  send(to: Address, bytes: Uint8Array): void {
    const p = decodePacket(bytes)?.packet
    if (p?.type === 'bundles' || p?.type === 'push') {
      for (const b of p.bundles) {
        if (!this.#isSpam(hex(b.author))) continue
        this.tally.bundles++
        this.tally.bytes += b.bytes.length
      }
    }
    this.#inner.send(to, bytes)
  }

  get onPacket(): Transport['onPacket'] {
    return this.#inner.onPacket
  }

  set onPacket(fn: Transport['onPacket']) {
    this.#inner.onPacket = fn
  }

  address(): Address {
    return this.#inner.address()
  }

  close(): Promise<void> {
    return this.#inner.close()
  }

  stats(): TransportStats {
    return this.#inner.stats()
  }
}

