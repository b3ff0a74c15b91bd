/** A tracker serves any overlay and keeps state for at most `maxTrackedOverlays`, dropping the least recently used. */
import { describe, expect, it } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { createNode } from '../../src/node/index.js'
import { MemoryNetwork } from '../../src/transport/index.js'
import { encodePacket, type Address } from '../../src/wire/index.js'
import { hex } from '../../src/bytes.js'
import { settle } from './harness.js'

describe('tracker overlay table', () => {
  it('is bounded and least-recently-used: an overlay asked about again outlives one asked about once', async () => {
    const clock = new ManualClock(1_000_000)
    const net = new MemoryNetwork({ clock, rng: new SeededRng(3), latencyMs: 5 })
    const tracker = createNode({ components: { transport: net.bind(), clock, rng: new SeededRng(4) }, settings: { role: 'tracker', maxTrackedOverlays: 2 } })
    await tracker.start()
    const walker = net.bind()
    walker.onPacket = () => {}
    let identifier = 1
    const ask = async (overlay: Uint8Array): Promise<void> => {
      const to: Address = tracker.address()
      const from = walker.address()
      walker.send(to, encodePacket(overlay, { type: 'introduction-request', destination: to, sourceLan: from, sourceWan: from, advice: true, connectionType: 'public', identifier: identifier++, globalTime: 0 }))
      clock.advance(10)
      await settle()
    }
    const [a, b, c] = [roomId('a'), roomId('b'), roomId('c')]
    const tracked = (): string[] => tracker.stats().overlays.map((o) => o.overlay).sort()
    await ask(a)
    await ask(b)
    expect(tracked()).toEqual([hex(a), hex(b)].sort())
    await ask(a) // a is now the most recently used
    await ask(c) // over the bound: b goes, not a
    expect(tracked()).toEqual([hex(a), hex(c)].sort())
    await tracker.stop()
  })
})
