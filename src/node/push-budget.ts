/**
 * How many fresh bundles the push service forwards a second (./push.ts): at most
 * `maxForwardsPerSecond` in all and `maxForwardsPerSourcePerSecond` on behalf of one source
 * address, so one peer pushing hard cannot make us relay its flood. Bounded: `maxSources`
 * sources remembered, the least recently seen forgotten first.
 */

/** A one-second window's count. */
interface Window {
  second: number
  count: number
}

export class ForwardBudget {
  readonly #o: { maxForwardsPerSecond: number; maxForwardsPerSourcePerSecond: number; maxSources: number }
  #all: Window = { second: -1, count: 0 }
  readonly #bySource = new Map<string, Window>()

  constructor(options: { maxForwardsPerSecond: number; maxForwardsPerSourcePerSecond: number; maxSources: number }) {
    this.#o = options
  }

  /** Counts one forwarded bundle against the global and the source's budget at `now` (ms); false when either is spent. */
  spend(source: string, now: number): boolean {
    const second = Math.floor(now / 1000)
    if (this.#all.second !== second) this.#all = { second, count: 0 }
    let w = this.#bySource.get(source)
    if (w === undefined || w.second !== second) {
      this.#bySource.delete(source)
      w = { second, count: 0 }
      this.#bySource.set(source, w)
      if (this.#bySource.size > this.#o.maxSources) this.#bySource.delete(this.#bySource.keys().next().value as string)
    }
    if (this.#all.count >= this.#o.maxForwardsPerSecond || w.count >= this.#o.maxForwardsPerSourcePerSecond) return false
    this.#all.count++
    w.count++
    return true
  }

  /** Sources whose budget is remembered (for the bound's test). */
  get sources(): number {
    return this.#bySource.size
  }

  clear(): void {
    this.#all = { second: -1, count: 0 }
    this.#bySource.clear()
  }
}
