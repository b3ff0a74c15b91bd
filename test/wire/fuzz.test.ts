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
import { mutateBytes } from '../../bench/fuzz-packets.js'

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

/** One byte-level mutation (bit flips, truncation, splice, length tweaks, …) of a seed datagram. */
function mutate(rng: SeededRng, seeds: Uint8Array[]): Uint8Array {
  return mutateBytes(rng, seeds[int(rng, seeds.length)]!, seeds[int(rng, seeds.length)]!)
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
