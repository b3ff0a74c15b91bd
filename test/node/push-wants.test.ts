/**
 * The announced-id asks' timeout follows the measured round trip (src/node/push-wants.ts):
 * never below wantTimeoutMs, at most MAX_WANT_TIMEOUT_FACTOR × it, sampled only from asks
 * answered at the first try. A busy node (issue 22) answers in seconds; a fixed 1 s timeout
 * then asked every other announcer for the same bundle.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { OverlayWalk } from '../../src/node/overlay.js'
import { MAX_WANT_TIMEOUT_FACTOR, PushWants } from '../../src/node/push-wants.js'
import type { Address } from '../../src/wire/index.js'
import { makeBundles } from '../helpers/bundles.js'

async function flushed(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r))
}

function wants(floor = 1000) {
  const clock = new ManualClock(0)
  const overlay = new OverlayWalk(new Uint8Array(32).fill(3), {})
  const asks: { to: Address; n: number }[] = []
  const w = new PushWants({ maxWanted: 1024, wantTimeoutMs: floor, idsPerAsk: 32 }, { clock, has: async () => false, ask: (to, _o, names) => void asks.push({ to, n: names.length }) })
  return { clock, overlay, asks, w }
}

const peer = (i: number): Address => ({ host: `10.0.0.${i}`, port: 7000 })

describe('PushWants: the ask timeout follows the round trip', () => {
  it('stays at wantTimeoutMs while answers come sooner', async () => {
    const { clock, overlay, w } = wants()
    for (const b of makeBundles(20, { overlay: overlay.id, sequential: true })) {
      await w.announced(overlay, [b.id], 3, peer(1))
      clock.advance(300)
      expect(w.take(overlay, b.id)).toBeDefined()
    }
    expect(w.timeoutMs).toBe(1000)
    w.stop()
  })

  it('follows answers slower than the floor (timed from the first ask, whichever ask brought them), so a slow answer is not asked of the next announcer; capped; stop() forgets it', async () => {
    const { clock, overlay, asks, w } = wants()
    const bundles = makeBundles(40, { overlay: overlay.id, sequential: true })
    // Every answer takes 1.8 s: the first ones come after a re-ask of the same announcer.
    for (const b of bundles.slice(0, 20)) {
      await w.announced(overlay, [b.id], 3, peer(1))
      clock.advance(1800)
      await flushed()
      expect(w.take(overlay, b.id)).toBeDefined()
    }
    expect(w.timeoutMs).toBeGreaterThanOrEqual(1800)
    expect(w.timeoutMs).toBeLessThan(2500)
    // A new ask with a second announcer heard: at 1.5 s (where the fixed timeout re-asked) nobody else is asked.
    const x = bundles[20]!
    asks.length = 0
    await w.announced(overlay, [x.id], 3, peer(1))
    await w.announced(overlay, [x.id], 3, peer(2))
    clock.advance(1500)
    await flushed()
    expect(asks).toEqual([{ to: peer(1), n: 1 }])
    // Unanswered past the timeout: the next announcer is asked.
    clock.advance(w.timeoutMs - 1500)
    await flushed()
    expect(asks.map((a) => a.to)).toEqual([peer(1), peer(2)])
    w.take(overlay, x.id)
    // Answers that take four timeouts (the other announcers asked meanwhile) push it up to its ceiling, not beyond.
    for (const b of bundles.slice(21)) {
      for (let i = 1; i <= 4; i++) await w.announced(overlay, [b.id], 3, peer(i))
      const rtt = 4 * w.timeoutMs
      for (let t = 0; t < 8; t++) {
        clock.advance(rtt / 8)
        await flushed()
      }
      expect(w.take(overlay, b.id)).toBeDefined()
    }
    expect(w.timeoutMs).toBe(MAX_WANT_TIMEOUT_FACTOR * 1000)
    w.stop()
    expect(w.timeoutMs).toBe(1000)
    expect(clock.pending).toBe(0)
  })
})
