/**
 * Newest first (src/node/newer-fetch.ts): a peer ahead of us is asked for what it holds above
 * our newest bundle, not again within RETRY_MS for the same newest, and the memory of whom
 * was asked stays within MAX_NEWER_FETCHED peers per overlay (the least recent forgotten).
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { RETRY_MS } from '../../src/node/catch-up-policy.js'
import { MAX_NEWER_FETCHED, NewerFetch } from '../../src/node/newer-fetch.js'
import type { OverlayWalk } from '../../src/node/overlay.js'
import type { SymbolResponderComponents } from '../../src/node/symbol-responder.js'
import type { Address, Packet } from '../../src/wire/index.js'

function setup(newest: number) {
  const clock = new ManualClock()
  const sent: Array<{ to: Address; packet: Packet }> = []
  const components = {
    clock,
    store: { maxGlobalTime: async () => newest },
    ledger: () => ({ stored: newest })
  } as unknown as Pick<SymbolResponderComponents, 'store' | 'clock' | 'ledger'>
  const counters = { newerFetches: 0 }
  const fetch = new NewerFetch(components, counters, (to, _overlay, packet) => {
    sent.push({ to, packet })
    return true
  })
  const overlay = { id: new Uint8Array(32) } as unknown as OverlayWalk
  return { clock, sent, counters, fetch, overlay }
}

const peer = (i: number): Address => ({ host: `10.0.${i >> 8}.${i & 255}`, port: 7000 })

describe('NewerFetch', () => {
  it('asks a peer ahead of us for what is above our newest; not a peer that is not ahead; not again within RETRY_MS', async () => {
    const { clock, sent, counters, fetch, overlay } = setup(100)
    await fetch.fetch(overlay, peer(1), 100)
    expect(sent).toHaveLength(0)
    await fetch.fetch(overlay, peer(1), 120)
    expect(sent.length).toBeGreaterThan(0)
    expect(sent[0]!.packet).toMatchObject({ type: 'bundle-request', ids: [], newerThan: 100 })
    expect(counters.newerFetches).toBe(sent.length)
    const once = sent.length
    clock.advance(RETRY_MS - 1)
    await fetch.fetch(overlay, peer(1), 120)
    expect(sent).toHaveLength(once)
    clock.advance(1)
    await fetch.fetch(overlay, peer(1), 120)
    expect(sent).toHaveLength(2 * once)
  })

  it(`remembers at most ${MAX_NEWER_FETCHED} peers per overlay: the least recent is forgotten and asked again`, async () => {
    const { sent, fetch, overlay } = setup(100)
    for (let i = 0; i <= MAX_NEWER_FETCHED; i++) await fetch.fetch(overlay, peer(i), 101)
    expect(sent).toHaveLength(MAX_NEWER_FETCHED + 1)
    // Peer 1 is still remembered: not asked again. Peer 0 was forgotten (the bound): asked again.
    await fetch.fetch(overlay, peer(1), 101)
    expect(sent).toHaveLength(MAX_NEWER_FETCHED + 1)
    await fetch.fetch(overlay, peer(0), 101)
    expect(sent).toHaveLength(MAX_NEWER_FETCHED + 2)
  })
})
