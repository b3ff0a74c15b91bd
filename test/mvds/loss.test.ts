/**
 * Retransmission over a lossy, duplicating, reordering channel (test/mvds/helpers.ts
 * Channel: payloads go through the real wire codec; at most one payload per peer per epoch
 * is asserted by the channel itself on every run).
 */
import { describe, expect, it } from 'vitest'
import type { MvdsMode, MvdsNode } from '../../src/mvds/index.js'
import { Channel, GROUP, hex, pair, text } from './helpers.js'

const MODES: MvdsMode[] = ['batch', 'interactive']

/** Both nodes send `n` messages each; returns the hex ids sent by a and by b. */
function exchange(a: MvdsNode, b: MvdsNode, n: number): { a: string[]; b: string[] } {
  const ids = { a: [] as string[], b: [] as string[] }
  for (let i = 0; i < n; i++) {
    ids.a.push(hex(a.send(GROUP, text(`a${i}`), i)))
    ids.b.push(hex(b.send(GROUP, text(`b${i}`), i)))
  }
  return ids
}

function allDelivered(ch: Channel, ids: { a: string[]; b: string[] }): boolean {
  const atA = ch.deliveredIds('a')
  const atB = ch.deliveredIds('b')
  return ids.a.every((x) => atB.has(x)) && ids.b.every((x) => atA.has(x))
}

/** Every message delivered exactly once per node, and never an ACK that was not a reaction to a MESSAGE. */
function checkInvariants(ch: Channel): void {
  for (const node of ['a', 'b']) {
    const list = ch.delivered.get(node)!
    expect(new Set(list.map((d) => d.id)).size).toBe(list.length)
    const r = ch.records.get(node)!
    expect(r.acksOut).toBeLessThanOrEqual(r.messagesIn)
  }
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!

describe('mvds under loss, duplication and reordering', () => {
  for (const mode of MODES) {
    it(`${mode}: lossless delivery takes ${mode === 'batch' ? 1 : 3} epoch(s) and no retransmission`, () => {
      const [a, b] = pair(mode)
      const ch = new Channel(1).add(a, b)
      const ids = exchange(a, b, 5)
      ch.runUntil(() => allDelivered(ch, ids), 100)
      expect(ch.epoch).toBe(mode === 'batch' ? 2 : 4)
      ch.runUntil(() => false, 100)
      expect(a.stats().retransmissions + b.stats().retransmissions).toBe(0)
      expect([...a.records('b'), ...b.records('a')]).toEqual([])
      checkInvariants(ch)
    })

    it(`${mode}: 30 % loss, 30 % duplication and delays of 1..4 epochs: everything delivered once, all state cleared`, () => {
      for (let seed = 1; seed <= 10; seed++) {
        const [a, b] = pair(mode)
        const ch = new Channel(seed, { loss: 0.3, duplicate: 0.3, maxDelay: 4 }).add(a, b)
        const ids = exchange(a, b, 20)
        ch.runUntil(() => allDelivered(ch, ids), 2000)
        expect(allDelivered(ch, ids)).toBe(true)
        ch.runUntil(() => a.records('b').length + b.records('a').length === 0, 5000)
        expect([...a.records('b'), ...b.records('a')]).toEqual([])
        expect(a.stats().retransmissions + b.stats().retransmissions).toBeGreaterThan(0)
        expect(a.stats().duplicates + b.stats().duplicates).toBeGreaterThan(0)
        checkInvariants(ch)
      }
    })

    it(`${mode}: 90 % loss in each direction still delivers every message (bounded epochs)`, () => {
      const toDeliver: number[] = []
      const toClear: number[] = []
      for (let seed = 1; seed <= 20; seed++) {
        const [a, b] = pair(mode)
        const ch = new Channel(1000 + seed, { loss: 0.9 }).add(a, b)
        const ids = exchange(a, b, 10)
        const delivered = ch.runUntil(() => allDelivered(ch, ids), 5000)
        expect(allDelivered(ch, ids), `seed ${seed}`).toBe(true)
        ch.runUntil(() => a.records('b').length + b.records('a').length === 0, 50_000)
        expect([...a.records('b'), ...b.records('a')], `seed ${seed}`).toEqual([])
        toDeliver.push(delivered)
        toClear.push(ch.epoch)
        checkInvariants(ch)
      }
      const report = { median: median(toDeliver), max: Math.max(...toDeliver), clearMedian: median(toClear), clearMax: Math.max(...toClear) }
      console.log(`mvds ${mode} @ 90 % loss, 2 × 10 messages, 20 seeds: epochs to deliver all`, report)
      expect(report.max).toBeLessThan(mode === 'batch' ? 1000 : 2000)
    })
  }
})
