/** PendingAnswers: a symbols-request from a walker waits for our answer to its offer (issue 22); bounded. */
import { describe, expect, it } from 'vitest'
import { ANSWER_BURST_SECONDS, ANSWER_RATE_PER_HOST, ANSWER_RATE_PER_WALKER, MAX_ANSWERS_IN_FLIGHT, MAX_ANSWERS_PER_WALKER, MAX_PENDING_ANSWERS, MAX_RATED, PendingAnswers, WALKS_PER_WINDOW, answerRatePerWalker } from '../../src/node/pending-answers.js'
import { RateTable } from '../../src/node/rate-table.js'

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

  it(`admit: ${ANSWER_RATE_PER_WALKER} answers a second per walker and ${ANSWER_RATE_PER_HOST} per host, each with ${ANSWER_BURST_SECONDS} s of burst`, () => {
    const answers = new PendingAnswers()
    const host = { host: '1.1.1.1' }
    let now = 0
    const burst = ANSWER_RATE_PER_WALKER * ANSWER_BURST_SECONDS
    for (let i = 0; i < burst; i++) expect(answers.admit('1.1.1.1:1', host, now)).toBe(true)
    expect(answers.admit('1.1.1.1:1', host, now)).toBe(false)
    // Another port of the same host has its own walker rate.
    expect(answers.admit('1.1.1.1:2', host, now)).toBe(true)
    now += 1000 / ANSWER_RATE_PER_WALKER
    expect(answers.admit('1.1.1.1:1', host, now)).toBe(true)
    expect(answers.admit('1.1.1.1:1', host, now)).toBe(false)
    // The host's rate: many ports of one address share it.
    const shared = new PendingAnswers()
    let admitted = 0
    for (let port = 1; port < 1000 && shared.admit(`3.3.3.3:${port}`, { host: '3.3.3.3' }, 0); port++) admitted++
    expect(admitted).toBe(ANSWER_RATE_PER_HOST * ANSWER_BURST_SECONDS)
    expect(shared.admit('3.3.3.3:9999', { host: '3.3.3.3' }, 0)).toBe(false)
    expect(shared.admit('3.3.3.3:9999', { host: '3.3.3.3' }, 1000 / ANSWER_RATE_PER_HOST)).toBe(true)
    expect(shared.admit('2.2.2.2:1', { host: '2.2.2.2' }, 0)).toBe(true)
    // IPv6: one /64 is one host.
    const v6 = new PendingAnswers(MAX_PENDING_ANSWERS, { ratePerHost: 1, burstSeconds: 1 })
    expect(v6.admit('[2001:db8::1]:1', { host: '2001:db8::1' }, 0)).toBe(true)
    expect(v6.admit('[2001:db8::2]:1', { host: '2001:db8::2' }, 0)).toBe(false)
    expect(v6.admit('[2001:db8:0:1::2]:1', { host: '2001:db8:0:1::2' }, 0)).toBe(true)
  })

  it('admit refuses a walker with answers in progress whatever its rate, and charges nothing then', async () => {
    const answers = new PendingAnswers(MAX_PENDING_ANSWERS, { perWalker: 1, ratePerWalker: 1, burstSeconds: 1 })
    const held = deferred()
    const tracked = answers.track('1.1.1.1:1', () => held.promise)
    expect(answers.admit('1.1.1.1:1', { host: '1.1.1.1' }, 0)).toBe(false)
    held.resolve()
    await tracked
    expect(answers.admit('1.1.1.1:1', { host: '1.1.1.1' }, 0)).toBe(true)
  })

  it(`remembers the rate of at most ${MAX_RATED} walkers and hosts; a forgotten one starts full`, () => {
    const answers = new PendingAnswers()
    for (let i = 0; i < MAX_RATED + 100; i++) answers.admit(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:1`, { host: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` }, 0)
    expect(answers.rated).toEqual({ walkers: MAX_RATED, hosts: MAX_RATED })
    const table = new RateTable({ answers: 1 }, 1, 2)
    table.get('a', 0).answers -= 1
    expect(table.get('a', 0).answers).toBe(0)
    table.get('b', 0).answers -= 1
    table.get('c', 0).answers -= 1 // 'a' is the least recently used: forgotten
    expect(table.size).toBe(2)
    expect(table.peek('a')).toBeUndefined()
    expect(table.get('b', 500).answers).toBe(0.5)
    expect(table.get('a', 500).answers).toBe(1)
  })

  it(`a room paced faster than the design raises the walker's rate to ${WALKS_PER_WINDOW} answers per eligibility window, never lowers it`, () => {
    expect(answerRatePerWalker(27_500)).toBe(ANSWER_RATE_PER_WALKER)
    expect(answerRatePerWalker(1_375)).toBeCloseTo((WALKS_PER_WINDOW * 1000) / 1375)
    expect(answerRatePerWalker(60)).toBeCloseTo((WALKS_PER_WINDOW * 1000) / 60)
    expect(answerRatePerWalker(0)).toBe(WALKS_PER_WINDOW * 1000)
  })
})
