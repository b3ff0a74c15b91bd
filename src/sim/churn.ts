/**
 * Churn (seed simulation 1: "10 % probability to be online at any given time; when online,
 * a node is online for X time"): each peer alternates online sessions and offline gaps.
 * Sessions last `sessionMs` (fixed) or are exponential with that mean; gaps are exponential
 * with mean sessionMs · (1 − online) / online, so the long-run online share is `online`.
 * At the start a peer is online with probability `online`, partway through its session
 * (uniform for fixed sessions; memoryless for exponential ones). A peer that starts online
 * comes up at a uniform moment within the first walk step, so steps do not all coincide.
 */
import type { Clock } from '../env/clock.js'
import { chance, exponential, float, type Rng } from '../env/rng.js'
import type { ChurnSpec } from './scenario.js'

export interface ChurnStats {
  /** Sessions started (the initial ones included). */
  sessions: number
  /** Total online time of all peers, ms (up to now). */
  onlineMs: number
}

/** Drives every peer's online state on the clock; `onChange` is called at each transition. */
export class Churn {
  readonly online: boolean[]
  readonly stats: ChurnStats = { sessions: 0, onlineMs: 0 }
  readonly #clock: Clock
  readonly #rng: Rng
  readonly #spec: ChurnSpec
  readonly #since: number[]
  readonly #onChange: (peer: number, online: boolean) => void

  constructor(clock: Clock, rng: Rng, spec: ChurnSpec, peers: number, stepMs: number, onChange: (peer: number, online: boolean) => void) {
    this.#clock = clock
    this.#rng = rng
    this.#spec = spec
    this.#onChange = onChange
    this.online = new Array<boolean>(peers).fill(false)
    this.#since = new Array<number>(peers).fill(clock.now())
    const always = spec.online >= 1
    for (let p = 0; p < peers; p++) {
      const up = always || chance(rng, spec.online)
      const startIn = float(rng) * stepMs
      if (up) {
        const left = always ? Infinity : spec.sessions === 'fixed' ? float(rng) * spec.sessionMs : exponential(rng, spec.sessionMs)
        this.#at(startIn, () => this.#up(p, left))
      } else {
        this.#at(startIn + exponential(rng, this.#gapMean()), () => this.#up(p, this.#session()))
      }
    }
  }

  /** Online time so far, ms, including open sessions. */
  onlineMs(): number {
    const now = this.#clock.now()
    let total = this.stats.onlineMs
    this.online.forEach((up, p) => {
      if (up) total += now - this.#since[p]!
    })
    return total
  }

  #up(p: number, sessionMs: number): void {
    this.online[p] = true
    this.#since[p] = this.#clock.now()
    this.stats.sessions++
    this.#onChange(p, true)
    if (Number.isFinite(sessionMs)) this.#at(sessionMs, () => this.#down(p))
  }

  #down(p: number): void {
    this.online[p] = false
    this.stats.onlineMs += this.#clock.now() - this.#since[p]!
    this.#onChange(p, false)
    this.#at(exponential(this.#rng, this.#gapMean()), () => this.#up(p, this.#session()))
  }

  #session(): number {
    return this.#spec.sessions === 'fixed' ? this.#spec.sessionMs : exponential(this.#rng, this.#spec.sessionMs)
  }

  #gapMean(): number {
    return (this.#spec.sessionMs * (1 - this.#spec.online)) / this.#spec.online
  }

  #at(ms: number, fn: () => void): void {
    this.#clock.setTimeout(fn, ms)
  }
}
