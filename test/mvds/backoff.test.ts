/** R3: the retransmission schedule. */
import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKOFF, MvdsNode, exponentialBackoff } from '../../src/mvds/index.js'
import { backoffDelay } from '../../src/mvds/backoff.js'
import { GROUP, text } from './helpers.js'

describe('mvds backoff', () => {
  it('R3: the default delay doubles from 2 up to 32 epochs, then goes back to 2', () => {
    expect(Array.from({ length: 12 }, (_, i) => DEFAULT_BACKOFF(i + 1))).toEqual([2, 4, 8, 16, 32, 2, 4, 8, 16, 32, 2, 4])
  })

  it('R3: exponentialBackoff(min, max) cycles through min·2^k ≤ max', () => {
    expect(Array.from({ length: 8 }, (_, i) => exponentialBackoff({ min: 1, max: 8 })(i + 1))).toEqual([1, 2, 4, 8, 1, 2, 4, 8])
    expect(Array.from({ length: 4 }, (_, i) => exponentialBackoff({ min: 3, max: 20 })(i + 1))).toEqual([3, 6, 12, 3])
    expect(Array.from({ length: 3 }, (_, i) => exponentialBackoff({ min: 5, max: 5 })(i + 1))).toEqual([5, 5, 5])
    expect(() => exponentialBackoff({ min: 0 })).toThrow(/min/)
    expect(() => exponentialBackoff({ min: 4, max: 2 })).toThrow(/max/)
  })

  it('R3: the node follows the schedule: send epochs 0, 2, 6, 14, 30, 62, 64, 68', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch' })
    a.share(GROUP, 'b')
    a.send(GROUP, text('x'))
    const at: number[] = []
    for (let e = 0; e <= 70; e++) if (a.tick(e).length > 0) at.push(e)
    expect(at).toEqual([0, 2, 6, 14, 30, 62, 64, 68])
    expect(a.records('b')[0]).toMatchObject({ sendCount: 8, sendEpoch: 76 })
  })

  it('a custom backoff is used as given; results below 1, fractions and NaN are clamped', () => {
    expect(backoffDelay(() => 0, 1)).toBe(1)
    expect(backoffDelay(() => 2.9, 1)).toBe(2)
    expect(backoffDelay(() => NaN, 1)).toBe(1)
    expect(backoffDelay(() => -3, 1)).toBe(1)
    const a = new MvdsNode({ id: 'a', mode: 'batch', backoff: () => 10 })
    a.share(GROUP, 'b')
    a.send(GROUP, text('x'))
    const at: number[] = []
    for (let e = 0; e <= 30; e++) if (a.tick(e).length > 0) at.push(e)
    expect(at).toEqual([0, 10, 20, 30])
  })

  it('maxSendCount gives a record up after that many transmissions (counted as expired)', () => {
    const a = new MvdsNode({ id: 'a', mode: 'batch', maxSendCount: 3 })
    a.share(GROUP, 'b')
    a.send(GROUP, text('x'))
    let sends = 0
    for (let e = 0; e < 200; e++) sends += a.tick(e).length
    expect(sends).toBe(3)
    expect(a.records('b')).toEqual([])
    expect(a.stats().expired).toBe(1)
  })
})
