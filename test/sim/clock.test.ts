/** The heap clock keeps ManualClock's contract: same firing order, same times, same runs. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng, int } from '../../src/env/rng.js'
import { HeapClock } from '../../src/sim/clock.js'
import { presetNamed, withOverrides } from '../../src/sim/presets.js'
import { reproducible } from '../../src/sim/result.js'
import { simulate } from '../../src/sim/run.js'

/** Random timers that schedule and cancel more timers; returns the (label, time) firing log. */
function script(clock: ManualClock | HeapClock, seed: number): string[] {
  const rng = new SeededRng(seed)
  const log: string[] = []
  const cancels: (() => void)[] = []
  let label = 0
  const schedule = (depth: number): void => {
    const me = label++
    cancels.push(
      clock.setTimeout(() => {
        log.push(`${me}@${clock.now()}`)
        if (depth < 4) for (let k = int(rng, 3); k > 0; k--) schedule(depth + 1)
        if (int(rng, 4) === 0) cancels[int(rng, cancels.length)]!()
      }, int(rng, 5) * 10)
    )
  }
  for (let i = 0; i < 200; i++) schedule(0)
  for (let t = 0; t < 400; t += 7) {
    clock.runUntil(t)
    log.push(`next ${String(clock.nextAt())}`)
  }
  return log
}

describe('HeapClock', () => {
  it('fires the same timers at the same times, in the same order, as ManualClock', () => {
    for (const seed of [1, 2, 3, 4, 5]) expect(script(new HeapClock(0), seed)).toEqual(script(new ManualClock(0), seed))
  })

  it('a simulation gives the same result on either clock', async () => {
    const s = withOverrides(presetNamed('dbs-churn'), { nodes: 16, messages: 12, duration: 900 })
    const heap = await simulate(s, { seed: 4, clock: 'heap' })
    const manual = await simulate(s, { seed: 4, clock: 'manual' })
    expect(JSON.stringify(reproducible(heap))).toBe(JSON.stringify(reproducible(manual)))
  })
})
