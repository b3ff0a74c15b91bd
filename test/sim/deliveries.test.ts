/** The delivery log: pairs owed, first deliveries, milestones, percentiles. */
import { describe, expect, it } from 'vitest'
import { DeliveryLog, percentile } from '../../src/sim/deliveries.js'

describe('DeliveryLog', () => {
  it('owes every other peer a published message, and counts first deliveries only', () => {
    const log = new DeliveryLog(4, 1, 3)
    log.publish('m', 1, 200, 1000)
    expect(log.pairs).toBe(3)
    log.deliver(1, 'm', 1500) // the author: not owed
    log.deliver(0, 'm', 2000)
    log.deliver(0, 'm', 2500) // a repeat
    log.deliver(2, 'unknown', 2500)
    expect(log.delivered).toBe(1)
    log.deliver(2, 'm', 3000)
    log.deliver(3, 'm', 11_000)
    expect(log.complete).toBe(true)
    const s = log.summary()
    expect(s.latency).toEqual({ count: 3, mean: 4.333, median: 2, p90: 10, max: 10 })
    expect(s.messageLatency.max).toBe(10)
    expect(s.fullDeliverySeconds).toBe(11)
    expect(s.afterLastPublishSeconds).toBe(10)
    expect(s.reached).toEqual({ half: 3, p90: 11, p99: 11 })
    expect(s.latencyQuantiles[0]).toBe(1)
    expect(s.latencyQuantiles[100]).toBe(10)
  })

  it('owes a history bundle only to the peers that lack it', () => {
    const log = new DeliveryLog(5, 2, 3)
    log.publish('h', -1, 200, 0, [1, 3])
    log.publish('n', 0, 200, 0, [4])
    log.deliver(0, 'h', 10)
    log.deliver(3, 'h', 20)
    log.deliver(4, 'n', 30)
    expect(log.delivered).toBe(2)
    expect(log.complete).toBe(false)
    log.deliver(1, 'h', 40)
    expect(log.complete).toBe(true)
    expect(log.owedBytes).toBe(600)
  })

  it('is incomplete until every expected message was published', () => {
    const log = new DeliveryLog(2, 2, 2)
    log.publish('a', 0, 100, 0)
    log.deliver(1, 'a', 5)
    expect(log.complete).toBe(false)
    const s = log.summary()
    expect(s.fullDeliverySeconds).toBeNull()
    // The published message reached everyone, but half the owed pairs were never published.
    expect(s.pairs).toBe(1)
    expect(s.expectedPairs).toBe(2)
    expect(s.ratio).toBe(0.5)
  })

  it('percentile is nearest-rank', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    expect(percentile(xs, 50)).toBe(5)
    expect(percentile(xs, 90)).toBe(9)
    expect(percentile(xs, 100)).toBe(10)
    expect(percentile([], 50)).toBeNull()
  })
})
