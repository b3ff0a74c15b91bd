/** PendingAnswers: a symbols-request from a walker waits for our answer to its offer (issue 22); bounded. */
import { describe, expect, it } from 'vitest'
import { MAX_ANSWERS_IN_FLIGHT, MAX_ANSWERS_PER_WALKER, MAX_PENDING_ANSWERS, PendingAnswers } from '../../src/node/pending-answers.js'

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('PendingAnswers', () => {
  it('settled() waits for the answer to that walker only, and resolves at once for others', async () => {
    const answers = new PendingAnswers()
    const a = deferred()
    const order: string[] = []
    void answers.track('1.1.1.1:1', () => a.promise.then(() => void order.push('answer')))
    const waiting = answers.settled('1.1.1.1:1').then(() => order.push('symbols'))
    await answers.settled('2.2.2.2:1')
    order.push('other')
    a.resolve()
    await waiting
    expect(order).toEqual(['other', 'answer', 'symbols'])
    expect(answers.size).toBe(0)
  })

  it('a failed answer releases the waiter without rejecting it, and track() still reports the failure', async () => {
    const answers = new PendingAnswers()
    const a = deferred()
    const tracked = answers.track('1.1.1.1:1', () => a.promise)
    a.reject(new Error('store closed'))
    await expect(tracked).rejects.toThrow('store closed')
    await expect(answers.settled('1.1.1.1:1')).resolves.toBeUndefined()
    expect(answers.size).toBe(0)
  })

  it(`tracks at most ${MAX_PENDING_ANSWERS} answers; beyond, requests wait for none`, async () => {
    const answers = new PendingAnswers()
    const never = deferred()
    const key = (i: number): string => `1.1.${i >> 8}.${i & 255}:1`
    for (let i = 0; i < MAX_PENDING_ANSWERS + 50; i++) void answers.track(key(i), () => never.promise)
    expect(answers.size).toBe(MAX_PENDING_ANSWERS)
    let done = false
    await answers.settled(key(MAX_PENDING_ANSWERS + 10)).then(() => (done = true))
    expect(done).toBe(true)
    never.resolve()
  })

  it(`busy: at most ${MAX_ANSWERS_PER_WALKER} answers in progress per walker and ${MAX_ANSWERS_IN_FLIGHT} in all; a settled one (kept or failed) frees its slot`, async () => {
    const answers = new PendingAnswers()
    const one = '1.1.1.1:1'
    const held = Array.from({ length: MAX_ANSWERS_PER_WALKER }, () => deferred())
    const tracked = held.map((d) => answers.track(one, () => d.promise))
    expect(answers.busy(one)).toBe(true)
    expect(answers.busy('2.2.2.2:1')).toBe(false)
    held[0]!.reject(new Error('store closed'))
    await expect(tracked[0]).rejects.toThrow('store closed')
    expect(answers.busy(one)).toBe(false)
    held[1]!.resolve()
    await tracked[1]
    expect(answers.inFlight).toBe(0)
    // All walkers together.
    const never = deferred()
    const key = (i: number): string => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:1`
    for (let i = 0; i < MAX_ANSWERS_IN_FLIGHT; i++) void answers.track(key(i), () => never.promise)
    expect(answers.inFlight).toBe(MAX_ANSWERS_IN_FLIGHT)
    expect(answers.busy('3.3.3.3:1')).toBe(true)
    // A function that throws instead of rejecting frees its slot too.
    const small = new PendingAnswers(MAX_PENDING_ANSWERS, { inFlight: 1 })
    await expect(
      small.track(one, () => {
        throw new Error('sync')
      })
    ).rejects.toThrow('sync')
    expect(small.busy(one)).toBe(false)
    never.resolve()
  })
})
