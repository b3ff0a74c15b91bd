/**
 * The check of a decoded short-id session (src/node/catch-up-check.ts, docs/reconcile.md §15):
 * short ids fetched and not received are asked again by their whole 8 bytes, at most
 * REFETCH_SHORT_IDS of them, maxIdsPerRequest a request; the session stays unverified.
 */
import { describe, expect, it } from 'vitest'
import { SeededRng } from '../../src/env/rng.js'
import { checkDecoded } from '../../src/node/catch-up-check.js'
import { REFETCH_SHORT_IDS } from '../../src/node/catch-up-policy.js'
import { Sketch, SymbolSession } from '../../src/reconcile/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { DEFAULT_DECODE_LIMITS } from '../../src/wire/limits.js'
import type { Packet } from '../../src/wire/index.js'

describe('checkDecoded', () => {
  it(`re-asks at most ${REFETCH_SHORT_IDS} missing short ids by their 8 bytes, ${DEFAULT_DECODE_LIMITS.maxIdsPerRequest} a request; unverified`, async () => {
    const store = new MemoryStore()
    await store.open()
    const rng = new SeededRng(9)
    const theirs = Array.from({ length: 300 }, () => rng.bytes(8))
    const session = new SymbolSession(new Sketch({ length: 64 }), { firstWindow: 8, salt: 5n })
    const sent: Packet[] = []
    const counters = { fetched: 0, unverified: 0, collisions: 0 }
    const pending = { session, peer: { host: '10.0.0.2', port: 2 }, difference: new Uint8Array(32), theirs, ambiguous: false }
    const result = await checkDecoded({ store, limits: DEFAULT_DECODE_LIMITS, send: (p) => sent.push(p) > 0 }, new Uint8Array(32).fill(1), pending, counters)
    expect(result).toBe('unverified')
    const asked = sent.map((p) => (p.type === 'bundle-request' ? p.shortIds ?? [] : []))
    expect(asked.map((list) => list.length)).toEqual([32, 32, 32, 32])
    expect(asked.flat()).toEqual(theirs.slice(0, REFETCH_SHORT_IDS))
    expect(counters).toEqual({ fetched: REFETCH_SHORT_IDS, unverified: 1, collisions: 0 })
    // Nothing missing: nothing asked.
    sent.length = 0
    expect(await checkDecoded({ store, limits: DEFAULT_DECODE_LIMITS, send: (p) => sent.push(p) > 0 }, new Uint8Array(32).fill(1), { ...pending, theirs: [], ambiguous: true }, counters)).toBe('unverified')
    expect(sent).toEqual([])
  })
})
