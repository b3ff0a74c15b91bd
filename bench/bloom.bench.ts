/**
 * bloomwalk's BloomFilter against the npm `bloom-filters` package (baseline only, never used
 * by the engine): 1000 ids into a 1200-byte (9600-bit) filter with k = 7, and 1000
 * membership tests (half members, half not). Ids are prepared outside the timed functions;
 * `bloom-filters` gets them as hex strings, the form its API documents (it also takes
 * Buffers; the `figures` report that variant too).
 */
import bloomFilters from 'bloom-filters'
import { sha256 } from '@noble/hashes/sha2.js'
import { BloomFilter, bloomOptimalK } from '../src/bloom/index.js'
import { SeededRng } from '../src/env/rng.js'
import type { BenchGroup } from './harness.js'

const { BloomFilter: NpmBloomFilter } = bloomFilters

const BYTES = 1200
const ITEMS = 1000
const K = bloomOptimalK(8 * BYTES, ITEMS) // 7

const rng = new SeededRng(0xbe4c)
const enc = new TextEncoder()
const ids = Array.from({ length: ITEMS }, (_, i) => sha256(enc.encode(`bloomwalk/bench/${i}`)))
const others = Array.from({ length: ITEMS / 2 }, () => rng.bytes(32))
const probes: Uint8Array[] = [...ids.slice(0, ITEMS / 2), ...others]
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const idHex = ids.map(hex)
const probeHex = probes.map(hex)

const ours = new BloomFilter(BYTES, K, rng.u32())
for (const id of ids) ours.add(id)
const theirs = new NpmBloomFilter(8 * BYTES, K)
for (const s of idHex) theirs.add(s)

/** Written by every case so no result is dead code. */
export let sink = 0

const ADD_OURS = `add ${ITEMS} ids → ${BYTES}-byte filter (bloomwalk)`
const ADD_THEIRS = `add ${ITEMS} ids → ${BYTES}-byte filter (bloom-filters)`
const HAS_OURS = `test ${ITEMS} ids (bloomwalk)`
const HAS_THEIRS = `test ${ITEMS} ids (bloom-filters)`

const group: BenchGroup = {
  group: 'bloom',
  cases: [
    {
      name: ADD_OURS,
      items: ITEMS,
      baseline: ADD_THEIRS,
      fn: () => {
        const f = new BloomFilter(BYTES, K, 0x5eed)
        for (let i = 0; i < ids.length; i++) f.add(ids[i]!)
        sink ^= f.bits[0]!
      }
    },
    {
      name: ADD_THEIRS,
      items: ITEMS,
      fn: () => {
        const f = new NpmBloomFilter(8 * BYTES, K)
        for (let i = 0; i < idHex.length; i++) f.add(idHex[i]!)
        sink ^= f.length
      }
    },
    {
      name: HAS_OURS,
      items: ITEMS,
      baseline: HAS_THEIRS,
      fn: () => {
        let c = 0
        for (let i = 0; i < probes.length; i++) if (ours.has(probes[i]!)) c++
        sink ^= c
      }
    },
    {
      name: HAS_THEIRS,
      items: ITEMS,
      fn: () => {
        let c = 0
        for (let i = 0; i < probeHex.length; i++) if (theirs.has(probeHex[i]!)) c++
        sink ^= c
      }
    }
  ],
  figures: async () => {
    // One-shot side figures: members found (must be 500) and bloom-filters fed Buffers.
    let found = 0
    for (let i = 0; i < ITEMS / 2; i++) if (ours.has(probes[i]!)) found++
    const buffers = ids.map((id) => Buffer.from(id))
    const rounds = 20
    const t0 = performance.now()
    for (let r = 0; r < rounds; r++) {
      const f = new NpmBloomFilter(8 * BYTES, K)
      for (const b of buffers) f.add(b)
    }
    const ms = performance.now() - t0
    return {
      'bloomwalk members found of 500': found,
      'bloom-filters add, Buffer input (items/s)': (rounds * ITEMS) / (ms / 1000)
    }
  }
}

export default group
