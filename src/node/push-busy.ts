/**
 * Who is still spread in a busy room (./push.ts): the room is busy when more new bundles
 * arrive than `busyFreshPerSecond` over the last 30 s, and the walk then carries them, many
 * a datagram. Counted over the whole room, that rule lets anyone who publishes a few bundles
 * a second — a spammer minting identities, docs/security.md — turn push off for everyone, and
 * honest messages wait for the walk (spam-10 at 20 bits, seed 1: honest P90 ×23.9 the quiet
 * room's; with the rule off ×1.01). With `busyAuthorsPerSecond` > 0 a busy room still spreads
 * one bundle of an author of whom we spread nothing within the window, up to that many such
 * bundles a second in all: a person typing a few lines a minute keeps push's latency, a bulk
 * author or a flood of fresh identities is left to the walk beyond that, and push's cost in a
 * busy room is bounded by that rate (off by default: it costs a bulk load bytes, see
 * ./push-options.ts). Bounded: `maxAuthors` remembered, the least recently spread forgotten
 * first (forgotten, an author is spread again: the bound errs towards latency, the rate
 * bounds the cost).
 */
import { hex } from '../bytes.js'

export class BusyRoomSpread {
  readonly #windowSeconds: number
  readonly #perSecond: number
  readonly #maxAuthors: number
  /** Author (hex) → the second we last spread one of its bundles while busy. */
  readonly #spread = new Map<string, number>()
  #second = -1
  #spent = 0

  constructor(windowSeconds: number, perSecond: number, maxAuthors = 1024) {
    this.#windowSeconds = windowSeconds
    this.#perSecond = perSecond
    this.#maxAuthors = maxAuthors
  }

  /** Whether the busy room still spreads this bundle of `author` at `now` (ms); counts it when so. */
  admit(author: Uint8Array, now: number): boolean {
    if (this.#perSecond === 0) return false
    const second = Math.floor(now / 1000)
    if (second !== this.#second) {
      this.#second = second
      this.#spent = 0
    }
    if (this.#spent >= this.#perSecond) return false
    const key = hex(author)
    const last = this.#spread.get(key)
    if (last !== undefined && second - last < this.#windowSeconds) return false
    this.#spread.delete(key)
    this.#spread.set(key, second)
    if (this.#spread.size > this.#maxAuthors) this.#spread.delete(this.#spread.keys().next().value as string)
    this.#spent++
    return true
  }

  /** Authors remembered (for the bound's test). */
  get size(): number {
    return this.#spread.size
  }

  clear(): void {
    this.#spread.clear()
    this.#second = -1
    this.#spent = 0
  }
}

/**
 * New bundles counted by the second over the last `windowSeconds` seconds (a ring of one
 * slot a second): whether the room is busy is their total against a rate (./push.ts).
 */
export class ArrivalRate {
  readonly #windowSeconds: number
  readonly #counts: number[]
  readonly #seconds: number[]

  constructor(windowSeconds: number) {
    this.#windowSeconds = windowSeconds
    this.#counts = new Array<number>(windowSeconds).fill(0)
    this.#seconds = new Array<number>(windowSeconds).fill(-1)
  }

  /** Counts `n` new bundles at `now` (ms) in its second's slot. */
  count(n: number, now: number): void {
    const second = Math.floor(now / 1000)
    const i = second % this.#windowSeconds
    if (this.#seconds[i] !== second) {
      this.#seconds[i] = second
      this.#counts[i] = 0
    }
    this.#counts[i]! += n
  }

  /** New bundles counted within the last `windowSeconds` seconds of `now` (ms). */
  total(now: number): number {
    const second = Math.floor(now / 1000)
    let sum = 0
    for (let i = 0; i < this.#windowSeconds; i++) if (second - this.#seconds[i]! < this.#windowSeconds) sum += this.#counts[i]!
    return sum
  }

  clear(): void {
    this.#counts.fill(0)
    this.#seconds.fill(-1)
  }
}
