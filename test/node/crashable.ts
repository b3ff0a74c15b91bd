/**
 * Kill -9 inside one process, for delivery tests: a store and a clock that a test can
 * "kill". After `kill()` no promise the wrapper handed out settles and no timer fires, so the
 * node using them stops dead mid-operation; what it had already asked the underlying store to
 * write stays written (a write issued before the kill is durable, one not issued is lost).
 * A new node then runs over a new wrapper around the same store, once `landed()` resolved (the
 * writes issued before the kill have reached the store, as they would have reached the disk).
 */
import type { Bundle } from '../../src/bundle/types.js'
import type { Cancel, Clock } from '../../src/env/clock.js'
import type { BundleStore, RangeQuery } from '../../src/store/types.js'

const never = <T>(): Promise<T> => new Promise<T>(() => undefined)

/** A clock whose timers stop firing when killed. */
export class KillableClock implements Clock {
  dead = false
  constructor(readonly base: Clock) {}
  now(): number {
    return this.base.now()
  }
  setTimeout(fn: () => void, ms: number): Cancel {
    return this.base.setTimeout(() => {
      if (!this.dead) fn()
    }, ms)
  }
}

/** A store wrapper that freezes every operation of the node using it when killed. */
export class KillableStore implements BundleStore {
  dead = false
  readonly #inflight = new Set<Promise<unknown>>()
  constructor(readonly base: BundleStore) {}

  /** Kills the node using this store: nothing it awaits on the store settles any more. */
  kill(): void {
    this.dead = true
  }

  /** Resolves once every operation issued before the kill has reached the store. */
  async landed(): Promise<void> {
    await Promise.allSettled([...this.#inflight])
  }

  #gate<T>(run: () => Promise<T>): Promise<T> {
    if (this.dead) return never()
    const op = run()
    this.#inflight.add(op)
    void op.finally(() => this.#inflight.delete(op)).catch(() => undefined)
    return op.then(
      (v) => (this.dead ? never<T>() : v),
      (err: unknown) => (this.dead ? never<T>() : Promise.reject(err))
    )
  }

  #iterate(make: () => AsyncIterable<Bundle>): AsyncIterable<Bundle> {
    return {
      [Symbol.asyncIterator]: () => {
        const it = make()[Symbol.asyncIterator]()
        return {
          next: () => this.#gate(() => it.next()),
          return: () => this.#gate(async () => (await it.return?.()) ?? { done: true as const, value: undefined })
        }
      }
    }
  }

  open(): Promise<void> {
    return this.#gate(() => this.base.open())
  }
  close(): Promise<void> {
    return this.#gate(() => this.base.close())
  }
  put(bundle: Bundle): Promise<boolean> {
    return this.#gate(() => this.base.put(bundle))
  }
  putMany(bundles: readonly Bundle[]): Promise<number> {
    return this.#gate(() => this.base.putMany(bundles))
  }
  get(overlay: Uint8Array, id: Uint8Array): Promise<Bundle | undefined> {
    return this.#gate(() => this.base.get(overlay, id))
  }
  byShortId(overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]> {
    return this.#gate(() => this.base.byShortId(overlay, short))
  }
  has(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#gate(() => this.base.has(overlay, id))
  }
  count(overlay: Uint8Array): Promise<number> {
    return this.#gate(() => this.base.count(overlay))
  }
  maxGlobalTime(overlay: Uint8Array): Promise<number> {
    return this.#gate(() => this.base.maxGlobalTime(overlay))
  }
  range(query: RangeQuery): AsyncIterable<Bundle> {
    return this.#iterate(() => this.base.range(query))
  }
  delete(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#gate(() => this.base.delete(overlay, id))
  }
  markDelivered(overlay: Uint8Array, ids: readonly Uint8Array[]): Promise<void> {
    return this.#gate(() => this.base.markDelivered(overlay, ids))
  }
  isUndelivered(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#gate(() => this.base.isUndelivered(overlay, id))
  }
  undelivered(overlay: Uint8Array): AsyncIterable<Bundle> {
    return this.#iterate(() => this.base.undelivered(overlay))
  }
}

/** Store methods that write. */
const WRITES = new Set(['put', 'putMany', 'delete', 'markDelivered', 'saveSketch', 'saveAuthorIndex', 'putState'])

/**
 * Kill -9 of whatever uses a store, at a chosen write: the wrapper forwards every call (any
 * backend, its optional members too) until `arm(n)` has let `n` more writes through; from the
 * next write on, nothing it hands out settles (reads included). Writes issued before the kill
 * reach the store ({@link landed}); none after.
 */
export class WriteKillable<T extends object> {
  readonly store: T
  dead = false
  #left = Infinity
  readonly #inflight = new Set<Promise<unknown>>()

  constructor(base: T) {
    const call = (name: string, fn: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
      if (!this.dead && WRITES.has(name) && this.#left-- <= 0) this.dead = true
      if (this.dead) return name === 'range' || name === 'undelivered' ? { [Symbol.asyncIterator]: () => ({ next: never }) } : never()
      const out = fn.apply(base, args)
      if (out instanceof Promise) {
        this.#inflight.add(out)
        void out.finally(() => this.#inflight.delete(out)).catch(() => undefined)
        return out.then((v) => (this.dead ? never() : v), (err: unknown) => (this.dead ? never() : Promise.reject(err)))
      }
      return out
    }
    this.store = new Proxy(base, {
      get: (target, name) => {
        const value = Reflect.get(target, name, target) as unknown
        return typeof value === 'function' && typeof name === 'string' ? call(name, value as (...args: unknown[]) => unknown) : value
      }
    })
  }

  /** The kill comes at the write after the next `writes` ones. */
  arm(writes: number): void {
    this.#left = writes
  }

  kill(): void {
    this.dead = true
  }

  /** Resolves once every operation issued before the kill has reached the store. */
  async landed(): Promise<void> {
    await Promise.allSettled([...this.#inflight])
  }
}
