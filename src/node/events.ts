/** Typed events and a bounded async iterator over delivered bundles. */
import type { Bundle } from '../bundle/types.js'
import type { Address } from '../wire/index.js'

/**
 * A bundle handed to the application. Every stored bundle is delivered exactly once, after
 * all its parents (docs/causal.md, "The delivery contract").
 */
export interface Delivery {
  /** 32-byte overlay id. */
  overlay: Uint8Array
  bundle: Bundle
  /**
   * The peer it came from, when known: undefined for our own `publish` and for a bundle an
   * earlier run of the node stored but had not delivered yet.
   */
  from: Address | undefined
  /** True when this node's key authored it (published here, or by an earlier run with the same key). */
  own: boolean
  /** True for an ephemeral message (typing, presence): delivered once, never stored. */
  ephemeral?: boolean
  /**
   * Set when the bundle is delivered by the wait policy although these parents were not
   * delivered: they did not arrive within `causalWaitMs` (NodeOptions). Show it as such.
   */
  missingParents?: Uint8Array[]
}

/** Event name → detail type. */
export interface NodeEvents {
  /** A new bundle was stored and is delivered to the application. */
  bundle: Delivery
  /** A walk step found a peer: the address walked to. */
  walk: { overlay: Uint8Array; to: Address }
  /** An expired bundle was deleted from the store. */
  expired: { overlay: Uint8Array; bundle: Bundle }
}

/** A typed wrapper over EventTarget. */
export class TypedEvents<M extends object> {
  readonly #target = new EventTarget()

  on<K extends keyof M & string>(type: K, listener: (detail: M[K]) => void, options?: { signal?: AbortSignal }): void {
    this.#target.addEventListener(type, (e) => listener((e as CustomEvent<M[K]>).detail), options)
  }

  emit<K extends keyof M & string>(type: K, detail: M[K]): void {
    this.#target.dispatchEvent(new CustomEvent(type, { detail }))
  }
}

/**
 * A bounded queue feeding one async iterator: when the consumer falls behind by `max`
 * deliveries, the oldest are dropped and counted.
 */
export class DeliveryQueue implements AsyncIterableIterator<Delivery> {
  #dropped = 0
  readonly #items: Delivery[] = []
  #waiting: ((r: IteratorResult<Delivery>) => void) | undefined
  #done = false
  readonly #max: number
  readonly #onClose: () => void

  constructor(max: number, onClose: () => void) {
    this.#max = max
    this.#onClose = onClose
  }

  /** Deliveries dropped because the consumer fell behind by `max`. */
  get dropped(): number {
    return this.#dropped
  }

  push(d: Delivery): void {
    if (this.#done) return
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting
      this.#waiting = undefined
      resolve({ value: d, done: false })
      return
    }
    this.#items.push(d)
    if (this.#items.length > this.#max) {
      this.#items.shift()
      this.#dropped++
    }
  }

  next(): Promise<IteratorResult<Delivery>> {
    const item = this.#items.shift()
    if (item !== undefined) return Promise.resolve({ value: item, done: false })
    if (this.#done) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => {
      this.#waiting = resolve
    })
  }

  return(): Promise<IteratorResult<Delivery>> {
    this.close()
    return Promise.resolve({ value: undefined, done: true })
  }

  close(): void {
    if (this.#done) return
    this.#done = true
    this.#onClose()
    const resolve = this.#waiting
    this.#waiting = undefined
    resolve?.({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Delivery> {
    return this
  }
}
