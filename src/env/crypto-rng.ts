/** Operating-system randomness for production (the only `node:crypto` randomness of src/). */
import { randomFillSync } from 'node:crypto'
import type { Rng } from './rng.js'

/** Operating-system randomness (node:crypto), buffered. */
export class CryptoRng implements Rng {
  #pool = new Uint32Array(256)
  #next = 256

  u32(): number {
    if (this.#next === this.#pool.length) {
      randomFillSync(this.#pool)
      this.#next = 0
    }
    return this.#pool[this.#next++]!
  }

  bytes(n: number): Uint8Array {
    return randomFillSync(new Uint8Array(n))
  }
}
