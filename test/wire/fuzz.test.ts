/**
 * 100 000 hostile datagrams: random bytes and structure-aware mutations (bit flips,
 * truncations, splices, length-field tweaks, duplications) of valid encodings of every
 * packet type. Each must decode to null or to a valid packet, and never throw. Deterministic
 * (SeededRng); the seed is printed on failure.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeededRng, int } from '../../src/env/rng.js'
import { decodePacketWithReason, encodePacket } from '../../src/wire/codec.js'
import type { DropReason } from '../../src/wire/limits.js'
import type { Packet } from '../../src/wire/packets/types.js'
import * as A from './arbitraries.js'

const SEED = 424242
const TOTAL = 100_000

/** Valid encodings of every packet type (small enough for one datagram). */
function corpus(): Uint8Array[] {
  const arbs: fc.Arbitrary<Packet>[] = [
    A.introductionRequest('v4'),
    A.introductionRequest('v6'),
    A.introductionResponse(),
    A.punctureRequest(),
    A.puncture(),
    A.bundlesPacket,
    A.mvdsPacket,
    A.symbolsRequest,
    A.symbolsResponse,
    A.bundleRequest
  ]
  const out: Uint8Array[] = []
  arbs.forEach((arb, i) => {
    for (const p of fc.sample(arb, { seed: SEED + i, numRuns: 20 })) {
      const bytes = encodePacket(A.OVERLAY, p)
      if (bytes.length <= 1472) out.push(bytes)
    }
  })
  return out
}

function readVarint(b: Uint8Array, at: number): { value: number; next: number } | null {
  let value = 0
  for (let i = 0; i < 10 && at + i < b.length; i++) {
    const byte = b[at + i]!
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) return { value, next: at + i + 1 }
  }
  return null
}

function writeVarint(value: number): number[] {
  const out: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    out.push(byte)
  } while (value > 0)
  return out
}

/** Offsets of every length prefix (wire type 2), found by parsing nested content greedily. */
function lengthFields(b: Uint8Array, start = 0, end = b.length, out: number[] = [], depth = 0): number[] {
  let at = start
  while (at < end && depth < 6) {
    const tag = readVarint(b, at)
    if (tag === null) return out
    at = tag.next
    const wireType = tag.value % 8
    if (wireType === 0) {
      const v = readVarint(b, at)
      if (v === null) return out
      at = v.next
    } else if (wireType === 1) at += 8
    else if (wireType === 5) at += 4
    else if (wireType === 2) {
      const len = readVarint(b, at)
      if (len === null || len.next + len.value > end) return out
      out.push(at)
      lengthFields(b, len.next, len.next + len.value, out, depth + 1)
      at = len.next + len.value
    } else return out
  }
  return out
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function mutate(rng: SeededRng, seeds: Uint8Array[]): Uint8Array {
  const base = seeds[int(rng, seeds.length)]!
  const b = Uint8Array.from(base)
  switch (int(rng, 8)) {
    case 0: {
      // 1–8 bit flips
      const n = 1 + int(rng, 8)
      for (let i = 0; i < n; i++) b[int(rng, b.length)]! ^= 1 << int(rng, 8)
      return b
    }
    case 1:
      return b.subarray(0, int(rng, b.length))
    case 2: {
      const other = seeds[int(rng, seeds.length)]!
      return concat(b.subarray(0, int(rng, b.length + 1)), other.subarray(int(rng, other.length + 1)))
    }
    case 3: {
      // Tweak one length prefix (±small, zero, huge), re-encoding its varint.
      const fields = lengthFields(b)
      if (fields.length === 0) return b
      const at = fields[int(rng, fields.length)]!
      const len = readVarint(b, at)!
      const choices = [len.value + 1, len.value - 1, 0, len.value + 1 + int(rng, 300), 2 ** 28 + int(rng, 1000), Math.max(0, len.value - 1 - int(rng, 40))]
      const value = Math.max(0, choices[int(rng, choices.length)]!)
      return concat(b.subarray(0, at), writeVarint(value), b.subarray(len.next))
    }
    case 4: {
      // Overwrite a few bytes with random values (tags, wire types, enum values).
      const n = 1 + int(rng, 4)
      for (let i = 0; i < n; i++) b[int(rng, b.length)] = rng.u32() & 0xff
      return b
    }
    case 5: {
      // Duplicate a segment (repeated fields, oneof members, duplicated sub-messages).
      const from = int(rng, b.length)
      const to = from + int(rng, b.length - from + 1)
      return concat(b, b.subarray(from, to))
    }
    case 6: {
      // Insert or delete one byte.
      const at = int(rng, b.length)
      return int(rng, 2) === 0 ? concat(b.subarray(0, at), [rng.u32() & 0xff], b.subarray(at)) : concat(b.subarray(0, at), b.subarray(at + 1))
    }
    default:
      // Pure noise, sometimes behind a valid version + overlay header.
      return int(rng, 2) === 0 ? rng.bytes(int(rng, 1600)) : concat(base.subarray(0, 36), rng.bytes(int(rng, 1400)))
  }
}

describe('wire fuzz', () => {
  it(`${TOTAL} mutated and random datagrams decode to null or a valid packet, never throw`, () => {
    const rng = new SeededRng(SEED)
    const seeds = corpus()
    expect(seeds.length).toBeGreaterThan(150)
    const reasons = new Map<DropReason | 'ok', number>()
    for (let i = 0; i < TOTAL; i++) {
      const bytes = mutate(rng, seeds)
      let result: ReturnType<typeof decodePacketWithReason>
      try {
        result = decodePacketWithReason(bytes)
      } catch (err) {
        throw new Error(`decode threw on case ${i} (seed ${SEED}): ${Buffer.from(bytes).toString('hex')}`, { cause: err })
      }
      if ('drop' in result) {
        reasons.set(result.drop, (reasons.get(result.drop) ?? 0) + 1)
        continue
      }
      reasons.set('ok', (reasons.get('ok') ?? 0) + 1)
      // Valid means: it re-encodes (every field fits its wire type) and round-trips unchanged.
      const first = encodePacket(result.overlay, result.packet)
      const again = decodePacketWithReason(first)
      if ('drop' in again) throw new Error(`case ${i}: re-encoded packet dropped as ${again.drop}`)
      if (Buffer.compare(first, encodePacket(again.overlay, again.packet)) !== 0) throw new Error(`case ${i}: not a fixed point`)
      if (again.packet.type !== result.packet.type) throw new Error(`case ${i}: type changed`)
    }
    // The mutations reach deep: many packets survive and most drop reasons occur.
    expect(reasons.get('ok') ?? 0).toBeGreaterThan(TOTAL / 20)
    expect(reasons.size).toBeGreaterThan(12)
    if (process.env['FUZZ_REPORT']) console.log(Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1])))
  }, 60_000)
})
