/** The announcement outbox: ids for one candidate share a datagram within the delay, a full one goes at once, stop() forgets. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { AnnouncementOutbox, type Announcement } from '../../src/node/push-outbox.js'

const OVERLAY = new Uint8Array(32).fill(3)
const id = (i: number) => new Uint8Array(8).fill(i)
const peer = (i: number) => ({ host: `10.0.0.${i}`, port: 1000 + i })

function outbox(delayMs: number, maxIds = 4) {
  const clock = new ManualClock(0)
  const sent: Announcement[] = []
  const box = new AnnouncementOutbox({ delayMs, maxIds }, { clock, send: (a) => sent.push({ ...a, ids: [...a.ids] }) })
  return { clock, sent, box }
}

describe('AnnouncementOutbox', () => {
  it('ids for one candidate and hop count within the delay share one datagram; others get their own', () => {
    const { clock, sent, box } = outbox(25)
    box.add(peer(1), OVERLAY, [id(1)], 3)
    clock.advance(10)
    box.add(peer(1), OVERLAY, [id(2)], 3)
    box.add(peer(1), OVERLAY, [id(3)], 2) // another hop count
    box.add(peer(2), OVERLAY, [id(4)], 3) // another candidate
    expect(sent).toHaveLength(0)
    expect(box.waiting).toBe(3)
    clock.advance(15)
    expect(sent.map((a) => [a.to.port, a.hops, a.ids.length])).toEqual([
      [1001, 3, 2],
      [1001, 2, 1],
      [1002, 3, 1]
    ])
    expect(box.waiting).toBe(0)
  })

  it('bound: a datagram holds at most maxIds ids; a full one goes at once, the rest waits', () => {
    const { clock, sent, box } = outbox(25, 4)
    box.add(peer(1), OVERLAY, Array.from({ length: 10 }, (_, i) => id(i)), 1)
    expect(sent.map((a) => a.ids.length)).toEqual([4, 4])
    expect(box.waiting).toBe(1)
    clock.advance(25)
    expect(sent.map((a) => a.ids.length)).toEqual([4, 4, 2])
  })

  it('delay 0 sends each id at once', () => {
    const { sent, box } = outbox(0)
    box.add(peer(1), OVERLAY, [id(1), id(2)], 1)
    expect(sent).toHaveLength(2)
    expect(box.waiting).toBe(0)
  })

  it('stop() forgets what waits and cancels the timer', () => {
    const { clock, sent, box } = outbox(25)
    box.add(peer(1), OVERLAY, [id(1)], 1)
    box.stop()
    clock.advance(1_000)
    expect(sent).toHaveLength(0)
    expect(clock.pending).toBe(0)
  })
})
