/** The in-memory {@link MvdsMessageStore}, bounded. */
import { BloomwalkError } from '../errors.js'
import type { MvdsMessage } from '../wire/mvds.js'
import { hex } from '../bytes.js'
import type { MvdsMessageStore } from './types.js'

/** Options of {@link MemoryMvdsStore}. */
export interface MemoryMvdsStoreInit {
  /** Most messages kept; the oldest stored is evicted first. Default 100 000. */
  maxMessages?: number
}

/**
 * Messages in a Map, evicting the oldest stored once `maxMessages` is reached (an evicted
 * message can no longer be served to a REQUEST; the node drops such MESSAGE records and
 * counts them).
 */
export class MemoryMvdsStore implements MvdsMessageStore {
  readonly #messages = new Map<string, MvdsMessage>()
  readonly #max: number
  #evictions = 0

  /** @throws {BloomwalkError} INVALID_ARGUMENT when maxMessages is not a positive safe integer */
  constructor(init: MemoryMvdsStoreInit = {}) {
    this.#max = init.maxMessages ?? 100_000
    if (!Number.isSafeInteger(this.#max) || this.#max < 1) throw new BloomwalkError('INVALID_ARGUMENT', `maxMessages must be a positive integer, got ${this.#max}`)
  }

  has(id: Uint8Array): boolean {
    return this.#messages.has(hex(id))
  }

  get(id: Uint8Array, key?: string): MvdsMessage | undefined {
    return this.#messages.get(key ?? hex(id))
  }

  put(id: Uint8Array, message: MvdsMessage): void {
    const key = hex(id)
    if (this.#messages.has(key)) return
    if (this.#messages.size >= this.#max) {
      const oldest = this.#messages.keys().next().value
      if (oldest !== undefined) this.#messages.delete(oldest)
      this.#evictions++
    }
    this.#messages.set(key, message)
  }

  delete(id: Uint8Array): void {
    this.#messages.delete(hex(id))
  }

  /** Messages stored. */
  get size(): number {
    return this.#messages.size
  }

  /** Messages evicted by the bound. */
  get evictions(): number {
    return this.#evictions
  }
}
