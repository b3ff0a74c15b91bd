/**
 * createNode checks its options at the boundary: every bad component or setting is an
 * INVALID_ARGUMENT whose message names the option, before anything is built.
 */
import { describe, expect, it } from 'vitest'
import { isBloomwalkError } from '../../src/errors.js'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { createNode, type NodeOptions } from '../../src/node/index.js'
import { resolveNodeOptions } from '../../src/node/options.js'
import { MAX_JOURNAL_LENGTH, MAX_SKETCH_LENGTH } from '../../src/reconcile/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { MemoryNetwork } from '../../src/transport/index.js'

function base(): NodeOptions {
  const clock = new ManualClock(0)
  const rng = new SeededRng(1)
  return { transport: new MemoryNetwork({ clock, rng: rng.fork() }).bind(), clock, rng, store: new MemoryStore() }
}

/** [option named in the message, the bad options] */
const BAD: [string, Partial<Record<string, unknown>>][] = [
  ['transport', { transport: null }],
  ['clock', { clock: 5 }],
  ['rng', { rng: 'seed' }],
  ['role', { role: 'server' }],
  ['store', { store: undefined }],
  ['stepIntervalMs', { stepIntervalMs: 0 }],
  ['stepIntervalMs', { stepIntervalMs: 2.5 }],
  ['requestTimeoutMs', { requestTimeoutMs: -1 }],
  ['punctureRequests', { punctureRequests: 'yes' }],
  ['amplificationFactor', { amplificationFactor: 0.5 }],
  ['amplificationFactor', { amplificationFactor: Number.NaN }],
  ['maxTrackedOverlays', { maxTrackedOverlays: 0 }],
  ['deliveryQueue', { deliveryQueue: 1.5 }],
  ['maxParents', { maxParents: -1 }],
  ['causalBuffer', { causalBuffer: 0 }],
  ['causalWaitMs', { causalWaitMs: -5 }],
  ['catchUp', { catchUp: 'on' }],
  ['catchUp.sketchLength', { catchUp: { sketchLength: 0 } }],
  ['catchUp.sketchLength', { catchUp: { sketchLength: MAX_SKETCH_LENGTH + 1 } }],
  ['catchUp.journal', { catchUp: { journal: -1 } }],
  ['catchUp.journal', { catchUp: { journal: MAX_JOURNAL_LENGTH + 1 } }]
]

describe('createNode options', () => {
  for (const [option, bad] of BAD) {
    it(`${option} = ${JSON.stringify(Object.values(bad)[0]) ?? 'undefined'}: INVALID_ARGUMENT naming ${option}`, () => {
      const options = { ...base(), ...bad } as NodeOptions
      let caught: unknown
      try {
        createNode(options)
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
      expect((caught as Error).message).toContain(option)
    })
  }

  it('a tracker needs no store; a peer does', () => {
    const { store: _store, ...noStore } = base()
    expect(() => createNode({ ...noStore, role: 'tracker' })).not.toThrow()
    expect(() => createNode(noStore)).toThrow(/store/)
  })

  it('fills in the defaults; catchUp: false keeps the sketch sizes, an object sets them', () => {
    const d = resolveNodeOptions(base())
    expect([d.role, d.stepIntervalMs, d.requestTimeoutMs, d.amplificationFactor, d.catchUp, d.sketch]).toEqual(['peer', 5000, 10_500, 3, true, { sketchLength: 16_384, journal: 4096 }])
    expect(resolveNodeOptions({ ...base(), catchUp: false })).toMatchObject({ catchUp: false, sketch: { sketchLength: 16_384, journal: 4096 } })
    expect(resolveNodeOptions({ ...base(), catchUp: { sketchLength: 64 } })).toMatchObject({ catchUp: true, sketch: { sketchLength: 64, journal: 4096 } })
    // An option given as undefined takes its default.
    expect(resolveNodeOptions({ ...base(), stepIntervalMs: undefined }).stepIntervalMs).toBe(5000)
  })
})
