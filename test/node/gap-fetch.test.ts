/**
 * Gaps below a pushed bundle (src/node/gap-fetch.ts): a fresh bundle at g means one at g − 1
 * exists; held nothing there after the delay, the sender is asked for it. Bounded, cancelled
 * by stop().
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { GapFetch, MAX_GAP_CHECKS } from '../../src/node/gap-fetch.js'
import { OverlayWalk } from '../../src/node/overlay.js'
import type { Address, Packet } from '../../src/wire/index.js'

const from: Address = { host: '10.0.0.2', port: 7000 }

function setup(heldAt: Set<number>) {
  const clock = new ManualClock(0)
  const overlay = new OverlayWalk(new Uint8Array(32).fill(3), {})
  const sent: { to: Address; packet: Packet }[] = []
  const gaps = new GapFetch(
    {
      clock,
      holdsAt: async (_o, g) => heldAt.has(g),
      send: (to, _o, packet) => {
        sent.push({ to, packet })
        return true
      }
    },
    1_000
  )
  return { clock, overlay, sent, gaps }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('GapFetch', () => {
  it('asks the sender for g − 1 after the delay when nothing is held there; not when it is, nor when g − 1 came along', async () => {
    const s = setup(new Set([6]))
    s.gaps.heard(s.overlay, from, [10, 7, 12, 13])
    // 10 → 9 (missing), 7 → 6 (held), 12 → 11 (missing), 13 → 12 (came along)
    expect(s.gaps.waiting).toBe(3)
    s.clock.advance(999)
    await settle()
    expect(s.sent).toHaveLength(0)
    s.clock.advance(1)
    await settle()
    expect(s.sent).toEqual([
      { to: from, packet: { type: 'bundle-request', ids: [], newerThan: 8, upTo: 9 } },
      { to: from, packet: { type: 'bundle-request', ids: [], newerThan: 10, upTo: 11 } }
    ])
    expect(s.gaps.stats()).toEqual({ checked: 3, fetched: 2, overBound: 0 })
    expect(s.gaps.waiting).toBe(0)
  })

  it('one check per (overlay, global time) while it waits; nothing below global time 2', async () => {
    const s = setup(new Set())
    s.gaps.heard(s.overlay, from, [5])
    s.gaps.heard(s.overlay, { host: '10.0.0.3', port: 1 }, [5])
    s.gaps.heard(s.overlay, from, [1, 2])
    expect(s.gaps.waiting).toBe(1)
    s.clock.advance(1_000)
    await settle()
    expect(s.sent).toHaveLength(1)
  })

  it(`waits for at most ${MAX_GAP_CHECKS} checks; stop() cancels them and nothing is sent after it`, async () => {
    const s = setup(new Set())
    s.gaps.heard(s.overlay, from, Array.from({ length: MAX_GAP_CHECKS + 10 }, (_, i) => 10 + 2 * i))
    expect(s.gaps.waiting).toBe(MAX_GAP_CHECKS)
    expect(s.gaps.stats().overBound).toBe(10)
    expect(s.clock.pending).toBe(MAX_GAP_CHECKS)
    s.gaps.stop()
    expect(s.clock.pending).toBe(0)
    s.clock.advance(10_000)
    await settle()
    expect(s.sent).toHaveLength(0)
    s.gaps.heard(s.overlay, from, [100])
    expect(s.gaps.waiting).toBe(0)
  })
})
