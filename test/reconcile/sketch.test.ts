/** The sketch: contents match a naive reference, incremental add/remove equals a rebuild. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { DEFAULT_SKETCH_LENGTH, Sketch, indicesBelow, itemHash, itemHashHalves } from '../../src/reconcile/index.js'
import { randomIds } from './helpers.js'

/** The sketch of `ids` computed symbol by symbol from the definitions, with bigints. */
function naive(ids: readonly Uint8Array[], length: number): { idXor: Uint8Array; hashXor: bigint; count: number }[] {
  const out = Array.from({ length }, () => ({ idXor: new Uint8Array(32), hashXor: 0n, count: 0 }))
  for (const id of ids) {
    const [hi, lo] = itemHashHalves(id)
    for (const i of indicesBelow(hi, lo, length)) {
      const s = out[i]!
      for (let b = 0; b < 32; b++) s.idXor[b]! ^= id[b]!
      s.hashXor ^= itemHash(id)
      s.count++
    }
  }
  return out
}

describe('sketch', () => {
  it('holds, at each index, the XOR of ids and hashes and the count of ids mapped there', () => {
    const ids = randomIds(new SeededRng(1), 300)
    const sketch = Sketch.from(ids, { length: 100 })
    expect(sketch.symbols(0, 100)).toEqual(naive(ids, 100))
    expect(sketch.size).toBe(300)
  })

  it('symbol 0 holds every item', () => {
    const ids = randomIds(new SeededRng(2), 50)
    const [s0] = new Sketch({ length: 8 }).symbols(0, 1)
    expect(s0).toEqual({ idXor: new Uint8Array(32), hashXor: 0n, count: 0 })
    const sketch = Sketch.from(ids, { length: 8 })
    const first = sketch.symbols(0, 1)[0]!
    expect(first.count).toBe(50)
    expect(first.hashXor).toBe(ids.reduce((h, id) => h ^ itemHash(id), 0n))
  })

  it('incremental add and remove equals building the remaining set from scratch (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 }), (seed, keep, drop) => {
        const rng = new SeededRng(seed)
        const kept = randomIds(rng, keep)
        const dropped = randomIds(rng, drop)
        const sketch = new Sketch({ length: 512 })
        // Interleave adds of both groups, then remove the dropped ones in another order.
        const all = [...kept, ...dropped].sort((a, b) => a[3]! - b[3]!)
        for (const id of all) sketch.add(id)
        for (const id of [...dropped].reverse()) sketch.remove(id)
        const fresh = Sketch.from(kept, { length: 512 })
        expect(sketch.equals(fresh)).toBe(true)
        expect(sketch.size).toBe(keep)
      }),
      { numRuns: 40, seed: 0x5c }
    )
  })

  it('removing every item leaves the empty sketch', () => {
    const ids = randomIds(new SeededRng(3), 1000)
    const sketch = Sketch.from(ids, { length: 1 << 10 })
    for (const id of ids) sketch.remove(id)
    expect(sketch.equals(new Sketch({ length: 1 << 10 }))).toBe(true)
  })

  it('symbols(from, count) clamps at L, is empty past L, and returns copies', () => {
    const sketch = Sketch.from(randomIds(new SeededRng(4), 20), { length: 10 })
    expect(sketch.symbols(8, 5)).toHaveLength(2)
    expect(sketch.symbols(10, 5)).toEqual([])
    expect(sketch.symbols(3, 0)).toEqual([])
    const s = sketch.symbols(0, 1)[0]!
    s.idXor.fill(0)
    expect(sketch.symbols(0, 1)[0]!.idXor).not.toEqual(new Uint8Array(32))
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => sketch.symbols(bad, 1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
      expect(() => sketch.symbols(0, bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
  })

  it('clone is independent', () => {
    const a = Sketch.from(randomIds(new SeededRng(5), 10), { length: 64 })
    const b = a.clone()
    expect(b.equals(a)).toBe(true)
    b.add(randomIds(new SeededRng(6), 1)[0]!)
    expect(b.equals(a)).toBe(false)
    expect(b.size).toBe(a.size + 1)
  })

  it('validates its length and ids', () => {
    expect(new Sketch().length).toBe(DEFAULT_SKETCH_LENGTH)
    for (const length of [0, -1, 1.5, 2 ** 20 + 1]) {
      expect(() => new Sketch({ length })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
    const sketch = new Sketch({ length: 4 })
    expect(() => sketch.add(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => sketch.remove('x'.repeat(32) as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(sketch.size).toBe(0)
  })

  it('matches() is false for malformed or out-of-range input', () => {
    const sketch = Sketch.from(randomIds(new SeededRng(7), 5), { length: 4 })
    const s = sketch.symbols(0, 4)
    expect(sketch.matches(0, s)).toBe(true)
    expect(sketch.matches(1, s)).toBe(false)
    expect(sketch.matches(0, [])).toBe(false)
    expect(sketch.matches(-1, s)).toBe(false)
    expect(sketch.matches(0, [{ ...s[0]!, idXor: new Uint8Array(31) }])).toBe(false)
    expect(sketch.matches(0, [{ ...s[0]!, count: s[0]!.count + 1 }])).toBe(false)
  })
})

describe('sketch: copy-free snapshots (version + bounded journal)', () => {
  it('the symbols of an earlier version equal those of a real clone taken then, on any range (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 256 }), (seed, base, changes, from, count) => {
        const rng = new SeededRng(seed)
        const kept = randomIds(rng, base)
        const sketch = Sketch.from(kept, { length: 256, journal: 512 })
        const clone = sketch.clone()
        const at = sketch.version
        // Adds and removes (of ids added before) after the snapshot.
        const added = randomIds(rng, changes)
        for (let k = 0; k < changes; k++) {
          sketch.add(added[k]!)
          if (k % 3 === 2 && k < kept.length) sketch.remove(kept[k]!)
        }
        expect(sketch.reaches(at)).toBe(true)
        expect(sketch.symbols(from, count, at)).toEqual(clone.symbols(from, count))
        expect(sketch.symbolsWithin(from, count, 1472, at)).toEqual(clone.symbolsWithin(from, count, 1472))
        // The current version still serves the current symbols.
        expect(sketch.symbols(from, count, sketch.version)).toEqual(sketch.symbols(from, count))
      }),
      { numRuns: 60, seed: 0x7a }
    )
  })

  it('the journal keeps the last J changes: versions older than that are no longer reachable', () => {
    const ids = randomIds(new SeededRng(8), 300)
    const sketch = new Sketch({ length: 64, journal: 100 })
    expect(sketch.journalLength).toBe(100)
    for (const id of ids.slice(0, 50)) sketch.add(id)
    const at50 = sketch.version
    const clone50 = sketch.clone()
    expect(at50).toBe(50)
    expect(sketch.reaches(0)).toBe(true)
    for (const id of ids.slice(50, 150)) sketch.add(id)
    // 150 changes made, 100 kept: versions 50..150 reachable, 0..49 not, nor the future.
    expect(sketch.reaches(at50)).toBe(true)
    expect(sketch.reaches(49)).toBe(false)
    expect(sketch.reaches(0)).toBe(false)
    expect(sketch.reaches(151)).toBe(false)
    expect(sketch.symbols(0, 64, at50)).toEqual(clone50.symbols(0, 64))
    sketch.remove(ids[0]!)
    expect(sketch.reaches(at50)).toBe(false)
    expect(() => sketch.symbols(0, 4, at50)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    // Journal length 0: only the current version is reachable.
    const none = Sketch.from(ids.slice(0, 3), { length: 8, journal: 0 })
    expect(none.reaches(none.version)).toBe(true)
    expect(none.reaches(none.version - 1)).toBe(false)
    // clearJournal(): only the current version is reachable, and changes are journaled again after.
    sketch.clearJournal()
    const now = sketch.version
    expect(sketch.reaches(now)).toBe(true)
    expect(sketch.reaches(now - 1)).toBe(false)
    const cloneNow = sketch.clone()
    sketch.add(ids[200]!)
    expect(sketch.symbols(0, 64, now)).toEqual(cloneNow.symbols(0, 64))
    for (const journal of [-1, 1.5, 2 ** 20 + 1]) expect(() => new Sketch({ length: 8, journal })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('the journal grows as it fills and wraps around without losing the reachable versions', () => {
    const ids = randomIds(new SeededRng(9), 1000)
    const sketch = new Sketch({ length: 128, journal: 300 })
    const clones = new Map<number, Sketch>()
    for (let k = 0; k < ids.length; k++) {
      if (k % 37 === 0) clones.set(sketch.version, sketch.clone())
      sketch.add(ids[k]!)
      if (k % 5 === 4) sketch.remove(ids[k - 2]!)
    }
    let checked = 0
    for (const [v, clone] of clones) {
      if (!sketch.reaches(v)) {
        expect(sketch.version - v).toBeGreaterThan(300)
        continue
      }
      expect(sketch.symbols(0, 128, v)).toEqual(clone.symbols(0, 128))
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(5)
  })
})

describe('sketch: bytes for persisting (toBytes / restore)', () => {
  it('restores exactly what toBytes wrote, as a new version with an empty journal', () => {
    const rng = new SeededRng(31)
    const ids = randomIds(rng, 300)
    const original = Sketch.from(ids, { length: 256 })
    const gone = ids.slice(0, 7)
    for (const id of gone) original.remove(id)
    const bytes = original.toBytes()
    expect(bytes.length).toBe(48 * 256)
    const copy = new Sketch({ length: 256 })
    copy.add(ids[0]!)
    const before = copy.version
    expect(copy.restore(bytes, original.size)).toBe(true)
    expect(copy.equals(original)).toBe(true)
    expect(copy.size).toBe(293)
    expect(copy.symbols(0, 256)).toEqual(original.symbols(0, 256))
    expect(copy.version).toBeGreaterThan(before)
    expect(copy.reaches(before)).toBe(false)
    // It goes on like the original.
    copy.add(gone[0]!)
    original.add(gone[0]!)
    expect(copy.equals(original)).toBe(true)
  })

  it('refuses bytes of another length or a bad size, changing nothing', () => {
    const sketch = Sketch.from(randomIds(new SeededRng(32), 10), { length: 64 })
    const snapshot = sketch.toBytes()
    for (const [bytes, size] of [[new Uint8Array(48 * 63), 1], [new Uint8Array(48 * 64 + 1), 1], [new Uint8Array(48 * 64), -1], [new Uint8Array(48 * 64), 2 ** 31], [new Uint8Array(48 * 64), 0.5]] as const) {
      expect(sketch.restore(bytes, size)).toBe(false)
    }
    expect(sketch.toBytes()).toEqual(snapshot)
    expect(sketch.size).toBe(10)
  })
})
