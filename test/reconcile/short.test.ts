/**
 * Short ids (docs/reconcile.md §14): decoding short symbols gives exactly the symmetric
 * difference as short ids; the salted check is linear and separates id XORs; collisions of
 * short ids, FORCED here by writing the colliding item's hash into the peer's symbols, are
 * detected: on one side as the decoder's `collision`, split between the sides by the
 * session's salted check; garbage short symbols do bounded damage.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { Decoder, IndexSequence, Sketch, SymbolSession, itemHash, itemHashHalves } from '../../src/reconcile/index.js'
import { SHORT_CHECK_MASK, SHORT_ID_BYTES, saltedCheck, shortCheck, shortIdBytes, shortIdHalves, unwrapShortCount, xorId } from '../../src/reconcile/short.js'
import type { ShortSymbol } from '../../src/wire/index.js'
import { randomIds, toHex, twoSides } from './helpers.js'

const shortOf = (id: Uint8Array): string => toHex(shortIdBytes(...itemHashHalves(id)))

/** Runs a short decoder against `theirs` (short symbols), `batch` symbols at a time. */
function decodeShort(ours: Sketch, theirs: readonly ShortSymbol[], batch: number, maxIdsPerRound = 256) {
  const decoder = new Decoder(ours, { short: true, maxIdsPerRound })
  const weLack: string[] = []
  const theyLack: string[] = []
  for (let from = 0; from < theirs.length; from += batch) {
    expect(decoder.addShortSymbols(from, theirs.slice(from, from + batch))).toBe('added')
    for (;;) {
      const r = decoder.decode()
      for (const id of r.weLack) weLack.push(toHex(id))
      for (const id of r.theyLack) theyLack.push(toHex(id))
      if (r.done || r.failure !== null) return { weLack, theyLack, done: r.done, failure: r.failure, received: decoder.received }
      if (!r.more) break
    }
  }
  return { weLack, theyLack, done: false, failure: decoder.failure, received: decoder.received }
}

/** Adds (sign +1) or removes an item known only by its hash to short symbols (the forged side of a collision). */
function applyHash(symbols: ShortSymbol[], hi: number, lo: number, sign: 1 | -1): void {
  const h = (BigInt(hi) << 32n) | BigInt(lo)
  const check = shortCheck(hi, lo)
  const seq = new IndexSequence(hi, lo)
  for (let i = 0; i < symbols.length; i = seq.next()) {
    const s = symbols[i]!
    symbols[i] = { hashXor: s.hashXor ^ h, check: (s.check ^ check) >>> 0, count: s.count + sign }
  }
}

describe('short ids', () => {
  it('the checksum is not linear over XOR and the short id is the item hash, 8 bytes big-endian', () => {
    const rng = new SeededRng(3)
    let linear = 0
    for (let k = 0; k < 2000; k++) {
      const [a, b] = [rng.u32(), rng.u32()]
      const [c, d] = [rng.u32(), rng.u32()]
      if ((shortCheck(a, b) ^ shortCheck(c, d)) >>> 0 === shortCheck((a ^ c) >>> 0, (b ^ d) >>> 0)) linear++
    }
    expect(linear).toBe(0)
    const id = randomIds(rng, 1)[0]!
    const short = shortIdBytes(...itemHashHalves(id))
    expect(short.length).toBe(SHORT_ID_BYTES)
    expect(new DataView(short.buffer).getBigUint64(0)).toBe(itemHash(id))
    expect(shortIdHalves(short)).toEqual(itemHashHalves(id))
    expect(() => shortIdHalves(new Uint8Array(7))).toThrow(/8-byte/)
  })

  it('the salted check is linear in the id XOR, separates different id XORs and refuses salt 0', () => {
    const rng = new SeededRng(4)
    const [a, b] = randomIds(rng, 2)
    for (let k = 0; k < 50; k++) {
      const salt = (BigInt(rng.u32()) << 32n) | BigInt((rng.u32() | 1) >>> 0)
      const ab = Uint8Array.from(a!)
      xorId(ab, b!)
      expect(saltedCheck(salt, ab)).toBe(saltedCheck(salt, a!) ^ saltedCheck(salt, b!))
      expect(saltedCheck(salt, a!)).not.toBe(saltedCheck(salt, b!))
      expect(saltedCheck(salt, new Uint8Array(32))).toBe(0n)
    }
    expect(() => saltedCheck(0n, a!)).toThrow(/salt/)
    expect(() => saltedCheck(1n << 64n, a!)).toThrow(/salt/)
  })

  it('decodes exactly the symmetric difference as short ids, one-sided and split, d = 1..600', () => {
    const rng = new SeededRng(5)
    for (const [weLack, theyLack] of [[1, 0], [0, 1], [3, 4], [50, 50], [0, 120], [300, 300]] as const) {
      const { ours, theirs, onlyTheirs, onlyOurs } = twoSides(rng, 2000, weLack, theyLack, 4096)
      const r = decodeShort(ours, theirs.shortSymbols(0, 4096), 16)
      expect(r.failure).toBeNull()
      expect(r.done).toBe(true)
      expect(r.weLack.sort()).toEqual(onlyTheirs.map(shortOf).sort())
      expect(r.theyLack.sort()).toEqual(onlyOurs.map(shortOf).sort())
      // No more peels than symbols received.
      expect(r.weLack.length + r.theyLack.length).toBeLessThanOrEqual(r.received)
    }
  })

  it('as the wire carries them (24 bits of checksum, counts mod 2^8 but symbol 0, docs/reconcile.md §15): the same ids, the same symbols consumed, the same estimate of d, one-sided up to d = 2 000', () => {
    const rng = new SeededRng(15)
    const wire = (symbols: readonly ShortSymbol[]): ShortSymbol[] => symbols.map((s, i) => ({ ...s, check: s.check & SHORT_CHECK_MASK, count: i === 0 ? s.count : s.count & 0xff }))
    for (const [weLack, theyLack] of [[2, 1], [50, 50], [0, 300], [300, 0], [700, 600], [2000, 0], [0, 2000], [1500, 30]] as const) {
      const { ours, theirs, onlyTheirs, onlyOurs } = twoSides(rng, 3000, weLack, theyLack, 8192)
      const whole = theirs.shortSymbols(0, 8192)
      // Counts above 127 in the difference at low indices: the one-sided cases wrap mod 2^8.
      if (weLack + theyLack >= 300 && theyLack * weLack === 0) expect(Math.abs(whole[1]!.count - ours.shortSymbols(1, 1)[0]!.count)).toBeGreaterThan(127)
      const r = decodeShort(ours, wire(whole), 64)
      const full = decodeShort(ours, whole, 64)
      expect(r.failure).toBeNull()
      expect(r.done).toBe(true)
      expect(r.weLack.sort()).toEqual(onlyTheirs.map(shortOf).sort())
      expect(r.theyLack.sort()).toEqual(onlyOurs.map(shortOf).sort())
      expect(r.received).toBe(full.received)
      for (const n of [64, 200, 1000]) {
        const a = new Decoder(ours, { short: true })
        const b = new Decoder(ours, { short: true })
        a.addShortSymbols(0, wire(whole.slice(0, n)))
        b.addShortSymbols(0, whole.slice(0, n))
        expect(a.estimate()).toBe(b.estimate())
      }
    }
  })

  it('unwrapShortCount: the value ≡ the difference mod 2^8 nearest p_i·c_0', () => {
    expect(unwrapShortCount(-3, 5, 0)).toBe(-3)
    expect(unwrapShortCount(253, 5, 0)).toBe(-3)
    expect(unwrapShortCount(5, 1, 600)).toBe(517) // p_1·c_0 = 400: of 5, 261, 517 the nearest
    expect(unwrapShortCount(389, 1, 600)).toBe(389)
    expect(unwrapShortCount(-389 & 0xff, 1, -600)).toBe(-389)
    for (let d = -300; d <= 300; d++) expect(unwrapShortCount(d & 0xff, 3, 2 * d)).toBe(d) // p_3 = 0.4: mean 0.8·d, within 127 of d
  })

  it('short symbols agree with the full ones, also of a snapshot (the journal also takes checksums back out)', () => {
    const rng = new SeededRng(6)
    const sketch = Sketch.from(randomIds(rng, 300), { length: 128 })
    const at = sketch.version
    const full = sketch.symbols(0, 128)
    const before = sketch.shortSymbols(0, 128)
    expect(before.map((s) => [s.hashXor, s.count])).toEqual(full.map((s) => [s.hashXor, s.count]))
    const check = sketch.saltedCheck(77n)
    const added = randomIds(rng, 20)
    for (const id of added) sketch.add(id)
    sketch.remove(added[3]!)
    expect(sketch.shortSymbols(0, 128, at)).toEqual(before)
    expect(sketch.shortSymbols(40, 30, at)).toEqual(before.slice(40, 70))
    expect(sketch.saltedCheck(77n, at)).toBe(check)
    expect(sketch.saltedCheck(77n)).not.toBe(check)
    // Persisted and restored with its checksums.
    const copy = new Sketch({ length: 128 })
    expect(copy.restore(sketch.toBytes(), sketch.size)).toBe(true)
    expect(copy.shortSymbols(0, 128)).toEqual(sketch.shortSymbols(0, 128))
    expect(copy.equals(sketch)).toBe(true)
  })

  it('FORCED collision on one side: the decoder ends `collision`, or a decode whose salted check fails', () => {
    let collisions = 0
    let caughtByCheck = 0
    for (let seed = 0; seed < 12; seed++) {
      const rng = new SeededRng(700 + seed)
      const [shared, onlyTheirs, onlyOurs] = [randomIds(rng, 1000), randomIds(rng, 30), randomIds(rng, 30)]
      const ours = Sketch.from([...shared, ...onlyOurs], { length: 2048 })
      const theirs = Sketch.from([...shared, ...onlyTheirs], { length: 2048 })
      const peer = theirs.shortSymbols(0, 2048)
      // The peer also holds two bundles x', x'' sharing one hash (ground offline): they cancel in every hash and checksum XOR.
      const [hi, lo] = [rng.u32(), rng.u32()]
      applyHash(peer, hi, lo, 1)
      applyHash(peer, hi, lo, 1)
      const [x1, x2] = randomIds(rng, 2)
      const peerIdXor0 = Uint8Array.from(theirs.symbols(0, 1)[0]!.idXor)
      xorId(peerIdXor0, x1!)
      xorId(peerIdXor0, x2!)
      const salt = 0xfeed_beefn + BigInt(seed)
      const session = new SymbolSession(ours, { firstWindow: 64, salt })
      session.start()
      let step = session.onResponse(0, [], false, undefined, { shortSymbols: peer.slice(0, 64), check: saltedCheck(salt, peerIdXor0) })
      const fetched: Uint8Array[] = [...step.fetch.flat()]
      const pushed: Uint8Array[] = [...step.push]
      for (let from = 64; step.end === null && from < 2048; from += 64) {
        step = session.onResponse(from, [], false, undefined, { shortSymbols: peer.slice(from, from + 64) })
        for (const r of step.requests) if (r.fetch !== undefined) fetched.push(...r.fetch)
        fetched.push(...step.fetch.flat())
        pushed.push(...step.push)
      }
      // A pair on one side leaves symbol 0 with hash 0 and count 2; but mixed with one of our ids it can look like that id,
      // peeled with the wrong sign, so the decode may also finish. The full ids then fail the salted check.
      expect(['collision', 'decoded']).toContain(step.end)
      if (step.end === 'collision') {
        collisions++
        continue
      }
      const byShort = new Map([...onlyTheirs, ...onlyOurs, ...shared].map((id) => [shortOf(id), id]))
      const delta = new Uint8Array(32)
      for (const short of [...fetched, ...pushed]) {
        const id = byShort.get(toHex(short))
        if (id !== undefined) xorId(delta, id)
      }
      expect(session.verify(delta)).toBe(false)
      caughtByCheck++
    }
    expect(collisions + caughtByCheck).toBe(12)
    expect(collisions).toBeGreaterThan(0)
  })

  it('FORCED collision on one side: a full-id decoder ends `collision` too (no symbol separates the pair)', () => {
    const rng = new SeededRng(7)
    const { ours, theirs } = twoSides(rng, 1000, 30, 30, 2048)
    // A full-id session cannot separate them either: ids x and x' with one hash leave id XOR x ^ x' and hash 0.
    const full = new Decoder(ours)
    const symbols = theirs.symbols(0, 2048)
    const x = randomIds(rng, 2)
    for (const id of x) {
      const [h1, l1] = itemHashHalves(x[0]!)
      const seq = new IndexSequence(h1, l1)
      for (let i = 0; i < symbols.length; i = seq.next()) {
        const s = symbols[i]!
        const idXor = Uint8Array.from(s.idXor)
        xorId(idXor, id)
        symbols[i] = { idXor, hashXor: s.hashXor ^ itemHash(x[0]!), count: s.count + 1 }
      }
    }
    let failure = null
    for (let from = 0; from < 2048 && failure === null; from += 64) {
      full.addSymbols(from, symbols.slice(from, from + 64))
      for (let r2 = full.decode(); ; r2 = full.decode()) {
        failure = r2.failure
        if (!r2.more || failure !== null) break
      }
    }
    expect(failure).toBe('collision')
  })

  it('FORCED collision split between the sides: short symbols agree, the salted check tells (session ends `collision`)', () => {
    const rng = new SeededRng(8)
    const ids = randomIds(rng, 500)
    const ours = Sketch.from(ids, { length: 1024 })
    // The peer holds x' instead of our x, with the same short id: its short symbols equal ours; its id XORs differ by x ^ x'.
    const x = ids[17]!
    const xPrime = randomIds(rng, 1)[0]!
    const peerIdXor0 = Uint8Array.from(ours.symbols(0, 1)[0]!.idXor)
    xorId(peerIdXor0, x)
    xorId(peerIdXor0, xPrime)
    const salt = 0x1234_5678_9abc_def1n
    const session = new SymbolSession(ours, { firstWindow: 40, salt })
    const start = session.start()
    expect(start.requests[0]).toMatchObject({ from: 0, count: 40, salt })
    // The digest matches, so the peer answers in_sync with its check.
    const end = session.onResponse(0, [], true, undefined, { check: saltedCheck(salt, peerIdXor0) })
    expect(end.end).toBe('collision')
    // An honest in_sync answer passes.
    const honest = new SymbolSession(ours, { firstWindow: 40, salt })
    honest.start()
    expect(honest.onResponse(0, [], true, undefined, { check: ours.saltedCheck(salt) }).end).toBe('in-sync')
    // Without a salt (a full-id session) nothing is checked.
    const full = new SymbolSession(ours, { firstWindow: 40 })
    full.start()
    expect(full.onResponse(0, [], true).end).toBe('in-sync')
  })

  it('a decoded short-id session verifies against the full ids of the difference', () => {
    const rng = new SeededRng(9)
    const { ours, theirs, onlyTheirs, onlyOurs } = twoSides(rng, 800, 10, 10, 1024)
    const salt = 99n
    const session = new SymbolSession(ours, { firstWindow: 64, salt })
    session.start()
    let step = session.onResponse(0, [], false, undefined, { shortSymbols: theirs.shortSymbols(0, 64), check: theirs.saltedCheck(salt) })
    for (let from = 64; step.end === null; from += 64) step = session.onResponse(from, [], false, undefined, { shortSymbols: theirs.shortSymbols(from, 64) })
    expect(step.end).toBe('decoded')
    const delta = new Uint8Array(32)
    for (const id of [...onlyTheirs, ...onlyOurs]) xorId(delta, id)
    expect(session.verify(delta)).toBe(true)
    xorId(delta, randomIds(rng, 1)[0]!)
    expect(session.verify(delta)).toBe(false)
  })

  it('garbage short symbols never throw, never yield more ids than symbols or than the per-round cap (property)', () => {
    const ours = Sketch.from(randomIds(new SeededRng(10), 200), { length: 256 })
    const arbShort = fc.record({
      hashXor: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: -(1n << 70n), max: 1n << 70n })),
      check: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer(), fc.double()),
      count: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer())
    })
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -2, max: 300 }), fc.array(arbShort, { maxLength: 70 })), { maxLength: 12 }), (batches) => {
        const decoder = new Decoder(ours, { maxIdsPerRound: 8, short: true })
        let ids = 0
        for (const [from, symbols] of batches) {
          decoder.addShortSymbols(from, symbols as ShortSymbol[])
          // Full symbols are refused by a short decoder.
          expect(decoder.addSymbols(from, [{ idXor: new Uint8Array(32), hashXor: 0n, count: 1 }])).toMatch(/bad-symbol|failed/)
          for (let k = 0; k < 100; k++) {
            const r = decoder.decode()
            expect(r.weLack.length + r.theyLack.length).toBeLessThanOrEqual(8)
            ids += r.weLack.length + r.theyLack.length
            if (!r.more) break
          }
          expect(ids).toBeLessThanOrEqual(decoder.received)
        }
      }),
      { seed: 25, numRuns: 200 }
    )
  })

  it('forged pure-looking short symbols of ids we hold are bounded: one id per symbol, none twice', () => {
    const rng = new SeededRng(11)
    const ids = randomIds(rng, 300)
    const ours = Sketch.from(ids, { length: 512 })
    // A peer that knows our set claims it lacks everything: symbol i holds our id i's hash at count 0 after subtraction... it sends empty symbols.
    const empty: ShortSymbol[] = Array.from({ length: 512 }, () => ({ hashXor: 0n, check: 0, count: 0 }))
    const r = decodeShort(ours, empty, 64, 16)
    // Everything peeled is one of ours (theyLack), never one id twice, never more than received.
    const mine = new Set(ids.map(shortOf))
    expect(r.weLack).toEqual([])
    for (const id of r.theyLack) expect(mine.has(id)).toBe(true)
    expect(new Set(r.theyLack).size).toBe(r.theyLack.length)
    expect(r.theyLack.length).toBeLessThanOrEqual(r.received)
  })
})
