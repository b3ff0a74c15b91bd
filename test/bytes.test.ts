/** The byte helpers (src/bytes.ts) and the one heap (src/min-heap.ts), against obvious models. */
import { describe, expect, it } from 'vitest'
import { compareBytes, equalBytes, hex } from '../src/bytes.js'
import { MinHeap } from '../src/min-heap.js'
import { SeededRng, int } from '../src/env/rng.js'

describe('byte helpers', () => {
  it('hex reads only the view (a subarray of a larger buffer), lowercase', () => {
    const buffer = Uint8Array.from([0xff, 0x0a, 0xbc, 0x01, 0xff])
    expect(hex(buffer.subarray(1, 4))).toBe('0abc01')
    expect(hex(new Uint8Array(0))).toBe('')
  })

  it('compareBytes is lexicographic (a prefix first) and equalBytes agrees with it on random pairs', () => {
    const rng = new SeededRng(9)
    for (let i = 0; i < 2000; i++) {
      const a = rng.bytes(int(rng, 4))
      const b = int(rng, 3) === 0 ? a.slice() : rng.bytes(int(rng, 4))
      const model = Buffer.compare(Buffer.from(a), Buffer.from(b))
      expect(Math.sign(compareBytes(a, b))).toBe(model)
      expect(equalBytes(a, b)).toBe(model === 0)
    }
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0)
  })
})

describe('MinHeap', () => {
  it('pops in comparison order (a sort) through interleaved pushes and pops', () => {
    const rng = new SeededRng(4)
    const heap = new MinHeap<number>((a, b) => a - b)
    const model: number[] = []
    for (let i = 0; i < 5000; i++) {
      if (int(rng, 3) > 0 || model.length === 0) {
        const x = int(rng, 1000)
        heap.push(x)
        model.push(x)
        model.sort((a, b) => a - b)
      } else {
        expect(heap.peek()).toBe(model[0])
        expect(heap.pop()).toBe(model.shift())
      }
      expect(heap.size).toBe(model.length)
    }
    while (model.length > 0) expect(heap.pop()).toBe(model.shift())
    expect(heap.pop()).toBeUndefined()
  })
})
