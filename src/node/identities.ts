/**
 * This node's identity nonces, one per room that asks for one (DESIGN §14): minted at the
 * first publish into the room (≈ 2^bits hashes, about a second at 20 bits, blocking) unless
 * given in `NodeOptions.identityNonces` (an application persists them with the key, so the
 * cost is paid once per key and room, not per start). A room with identity epochs
 * (`RoomPolicy.identityEpoch`) gets a nonce per epoch, the one before forgotten.
 *
 * In such a room the next epoch's nonce is minted **in the background** once we have
 * published in the current one, so that the first publish after the epoch turns does not
 * wait for the work: the search runs `chunk` hashes at a time on the node's clock with
 * `pauseMs` between chunks (at most chunk × ~1.5 µs of CPU per chunk + pause), one room at a
 * time, and finds the nonce `mintIdentity` would. A publish that comes before it is done
 * finishes the search from where it stopped; a room whose time skipped an epoch mints at
 * the publish, as before. `stop()` cancels the timer. Bounded by the overlays joined: one
 * nonce and at most one nonce ahead per room.
 */
import { hasIdentityWork, identityEpochOf, identityWork, mintIdentity, searchIdentity } from '../bundle/identity.js'
import type { RoomPolicy } from '../bundle/policy.js'
import type { Cancel, Clock } from '../env/clock.js'

interface Nonce {
  nonce: Uint8Array
  /** The epoch it proves work for; undefined for a proof bound to room and key only. */
  epoch: number | undefined
}

/** The next epoch's nonce, being minted or minted. */
interface Ahead {
  room: Uint8Array
  bits: number
  epoch: number
  /** Next nonce to try. */
  next: number
  nonce: Uint8Array | undefined
}

/** How the background minting paces itself. */
export interface EpochMintingOptions {
  /** Hashes per chunk (≈ 1.5 µs each). Default 4 096 (≈ 6 ms). */
  chunk: number
  /** ms between chunks. Default 10: at most ≈ 40 % of a core while minting. */
  pauseMs: number
}

export const EPOCH_MINTING_DEFAULTS: Readonly<EpochMintingOptions> = Object.freeze({ chunk: 4096, pauseMs: 10 })

/** What the minting did (for tests and stats). */
export interface IdentityStats {
  /** Nonces minted while publishing (the publish waited for the whole search). */
  mintedAtPublish: number
  /** Next-epoch nonces minted in the background. */
  mintedAhead: number
  /** Publishes into a new epoch that used a nonce minted ahead. */
  usedAhead: number
  /** Publishes into a new epoch that finished a background search still running. */
  finishedAtPublish: number
  /** Hashes the background search computed. */
  hashesAhead: number
}

export class IdentityNonces {
  readonly #author: Uint8Array
  readonly #nonces = new Map<string, Nonce>()
  readonly #ahead = new Map<string, Ahead>()
  readonly #clock: Clock | undefined
  readonly #pace: Readonly<EpochMintingOptions>
  readonly #stats: IdentityStats = { mintedAtPublish: 0, mintedAhead: 0, usedAhead: 0, finishedAtPublish: 0, hashesAhead: 0 }
  #timer: Cancel | undefined
  #stopped = false

  /** `clock`: where the background minting runs (none: no minting ahead). */
  constructor(author: Uint8Array, given: ReadonlyMap<string, Uint8Array> = new Map(), clock?: Clock, pace: Partial<EpochMintingOptions> = {}) {
    this.#author = author
    this.#clock = clock
    this.#pace = { ...EPOCH_MINTING_DEFAULTS, ...pace }
    for (const [room, nonce] of given) this.#nonces.set(room, { nonce, epoch: undefined })
  }

  /**
   * The nonce for a bundle at `globalTime` in `room` (hex key `roomKey`) with the policy's
   * identity work (for that global time's epoch, when the room has epochs); minted when
   * missing, too weak or of another epoch (from the background's work when it has some).
   * Undefined when the room asks for no work.
   */
  for(room: Uint8Array, roomKey: string, policy: Pick<RoomPolicy, 'identityBits' | 'identityEpoch'>, globalTime: number): Uint8Array | undefined {
    const bits = policy.identityBits
    if (bits <= 0) return undefined
    const epoch = identityEpochOf(globalTime, policy.identityEpoch)
    const known = this.#nonces.get(roomKey)
    let nonce: Uint8Array
    if (known !== undefined && known.epoch === epoch && identityWork(room, this.#author, known.nonce, epoch) >= bits) nonce = known.nonce
    else {
      nonce = this.#fromAhead(roomKey, bits, epoch) ?? this.#mint(room, bits, epoch)
      this.#nonces.set(roomKey, { nonce, epoch })
    }
    if (epoch !== undefined) this.#prepare(room, roomKey, bits, epoch + 1)
    return nonce
  }

  /** The nonce minted or given for a room, if any (in a room with epochs, the latest epoch's). */
  get(roomKey: string): Uint8Array | undefined {
    return this.#nonces.get(roomKey)?.nonce
  }

  stats(): IdentityStats {
    return { ...this.#stats }
  }

  /** Cancels the background minting (what it found so far is kept; a later publish goes on from there). */
  stop(): void {
    this.#stopped = true
    this.#timer?.()
    this.#timer = undefined
  }

  /** After a stop: minting ahead may run again (at the next publish). */
  start(): void {
    this.#stopped = false
    if (this.#pending() !== undefined) this.#schedule()
  }

  #mint(room: Uint8Array, bits: number, epoch: number | undefined): Uint8Array {
    this.#stats.mintedAtPublish++
    return mintIdentity(room, this.#author, bits, epoch === undefined ? {} : { epoch })
  }

  /** The next epoch's nonce if the background has (or is) minting it: finished here if need be. */
  #fromAhead(roomKey: string, bits: number, epoch: number | undefined): Uint8Array | undefined {
    const ahead = this.#ahead.get(roomKey)
    if (ahead === undefined || epoch === undefined || ahead.epoch !== epoch || ahead.bits !== bits) return undefined
    this.#ahead.delete(roomKey)
    if (ahead.nonce !== undefined) {
      this.#stats.usedAhead++
      return ahead.nonce
    }
    this.#stats.finishedAtPublish++
    return mintIdentity(ahead.room, this.#author, bits, { epoch, start: ahead.next })
  }

  /** Starts minting `epoch`'s nonce for the room in the background, unless it is (being) minted. */
  #prepare(room: Uint8Array, roomKey: string, bits: number, epoch: number): void {
    if (this.#clock === undefined) return
    const ahead = this.#ahead.get(roomKey)
    if (ahead !== undefined && ahead.epoch === epoch && ahead.bits === bits) return
    this.#ahead.set(roomKey, { room: room.slice(), bits, epoch, next: 0, nonce: undefined })
    if (!this.#stopped && this.#timer === undefined) this.#schedule()
  }

  /** A room whose next nonce is still being searched for, if any. */
  #pending(): Ahead | undefined {
    for (const a of this.#ahead.values()) if (a.nonce === undefined) return a
    return undefined
  }

  #schedule(): void {
    this.#timer = this.#clock!.setTimeout(() => {
      this.#timer = undefined
      if (this.#stopped) return
      const ahead = this.#pending()
      if (ahead === undefined) return
      const tries = this.#pace.chunk
      const found = searchIdentity(ahead.room, this.#author, ahead.bits, { start: ahead.next, tries, epoch: ahead.epoch })
      if (found === undefined) {
        ahead.next += tries
        this.#stats.hashesAhead += tries
      } else {
        // The nonce found is the first with the work from `next`: count the tries it took.
        const at = new DataView(found.buffer, found.byteOffset, found.byteLength)
        const n = at.getUint32(0) * 4294967296 + at.getUint32(4)
        this.#stats.hashesAhead += n - ahead.next + 1
        ahead.nonce = found
        this.#stats.mintedAhead++
      }
      if (this.#pending() !== undefined) this.#schedule()
    }, this.#pace.pauseMs)
  }
}

export { hasIdentityWork }
