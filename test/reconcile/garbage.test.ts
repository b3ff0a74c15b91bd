/**
 * A peer may send anything. Garbage never crashes the decoder, never yields more ids per
 * round than the cap, never more ids in total than symbols consumed, and a peer that forges
 * pure-looking symbols is caught as inconsistent or runs out of symbols.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { Decoder, type DecodeResult, Sketch, indicesBelow, itemHash, itemHashHalves, joinHash } from '../../src/reconcile/index.js'
import type { CodedSymbol } from '../../src/wire/index.js'
import { randomIds } from './helpers.js'

function drain(decoder: Decoder, cap: number): { results: DecodeResult[]; ids: number } {
  const results: DecodeResult[] = []
  let ids = 0
  for (let k = 0; k < 10_000; k++) {
    const r = decoder.decode()
    results.push(r)
    const n = r.weLack.length + r.theyLack.length
    expect(n).toBeLessThanOrEqual(cap)
    ids += n
    if (!r.more) break
  }
  return { results, ids }
}

const arbSymbol = fc.record({
  idXor: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 })),
  hashXor: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: -(1n << 70n), max: 1n << 70n })),
  count: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer(), fc.double())
})

describe('garbage from a peer', () => {
  it('random symbols and ranges never throw and never yield an id (property)', () => {
    const ours = Sketch.from(randomIds(new SeededRng(1), 200), { length: 256 })
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -2, max: 300 }), fc.array(arbSymbol, { maxLength: 70 })), { maxLength: 12 }), (batches) => {
        const decoder = new Decoder(ours, { maxIdsPerRound: 8 })
        for (const [from, symbols] of batches) {
          decoder.addSymbols(from, symbols as CodedSymbol[])
          const { ids } = drain(decoder, 8)
          expect(ids).toBe(0)
        }
      }),
      { numRuns: 300, seed: 0x6a7b }
    )
  })

  it('a peer that forges pure symbols (knowing our sketch) gets at most the cap per round and one id per symbol', () => {
    const rng = new SeededRng(2)
    const ours = Sketch.from(randomIds(rng, 1000), { length: 128 })
    const forged: CodedSymbol[] = ours.symbols(0, 128).map((s, j) => {
      // Grind an id whose sequence hits j, then make symbol j read "that id alone, +1".
      for (;;) {
        const id = rng.bytes(32)
        const [hi, lo] = itemHashHalves(id)
        if (!indicesBelow(hi, lo, j + 1).includes(j)) continue
        const idXor = s.idXor.map((b, k) => b ^ id[k]!)
        return { idXor, hashXor: s.hashXor ^ joinHash(hi, lo), count: s.count + 1 }
      }
    })
    const cap = 4
    const decoder = new Decoder(ours, { maxIdsPerRound: cap })
    let total = 0
    let last: DecodeResult | undefined
    for (let from = 0; from < 128; from += 16) {
      if (decoder.addSymbols(from, forged.slice(from, from + 16)) !== 'added') break
      const { results, ids } = drain(decoder, cap)
      total += ids
      expect(total).toBeLessThanOrEqual(decoder.received)
      last = results.at(-1)
      if (last?.failure !== null) break
    }
    expect(total).toBeGreaterThan(0) // the forgery does produce (fake) ids, bounded as above
    expect(last?.failure).not.toBeNull()
  })

  it('the same id peeled twice is inconsistent', () => {
    const id = randomIds(new SeededRng(3), 1)[0]!
    const [hi, lo] = itemHashHalves(id)
    const j = indicesBelow(hi, lo, 1 << 12)[1]! // the id's second index
    const ours = new Sketch({ length: j + 1 })
    const zero: CodedSymbol = { idXor: new Uint8Array(32), hashXor: 0n, count: 0 }
    const decoder = new Decoder(ours)
    // Symbol 0 says "id alone, +1": peeled.
    decoder.addSymbols(0, [{ idXor: id, hashXor: itemHash(id), count: 1 }])
    expect(decoder.decode().weLack).toHaveLength(1)
    // Symbol j says "count 2, nothing else": once the peeled id is taken out it reads
    // "id alone, +1" again, which no honest sketch can produce.
    const symbols = Array.from({ length: j }, (_, k) => (k === j - 1 ? { ...zero, count: 2 } : zero))
    expect(decoder.addSymbols(1, symbols)).toBe('added')
    const r = decoder.decode()
    expect(r.failure).toBe('inconsistent')
    expect(r.weLack).toHaveLength(0)
    expect(decoder.addSymbols(j + 1, [zero])).toBe('failed')
  })

  it('a hash-valid symbol at an index off its id\'s sequence is not peeled (misplaced)', () => {
    const rng = new SeededRng(4)
    let id: Uint8Array
    let j = 0
    for (;;) {
      id = rng.bytes(32)
      const [hi, lo] = itemHashHalves(id)
      const seq = indicesBelow(hi, lo, 64)
      j = [1, 2, 3, 4, 5, 6, 7].find((x) => !seq.includes(x)) ?? -1
      if (j > 0) break
    }
    const ours = new Sketch({ length: 64 })
    const zero: CodedSymbol = { idXor: new Uint8Array(32), hashXor: 0n, count: 0 }
    const symbols = Array.from({ length: j + 1 }, (_, i) => (i === j ? { idXor: id, hashXor: itemHash(id), count: 1 } : zero))
    const decoder = new Decoder(ours)
    decoder.addSymbols(0, symbols)
    const r = decoder.decode()
    expect(r.weLack).toEqual([])
    expect(r.done).toBe(true) // symbol 0 is empty: nothing the peer claims is consistent
    expect(decoder.stats.misplaced).toBe(1)
  })
})
