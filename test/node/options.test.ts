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
  return { components: { transport: new MemoryNetwork({ clock, rng: rng.fork() }).bind(), clock, rng, store: new MemoryStore() } }
}

/** `base()` with some components and settings replaced. */
function withOptions(components: Record<string, unknown>, settings: Record<string, unknown> = {}): NodeOptions {
  const b = base()
  return { components: { ...b.components, ...components }, settings } as NodeOptions
}

/** [option named in the message, the bad options] */
const BAD: [string, () => unknown][] = [
  ['components.transport', () => withOptions({ transport: null })],
  ['components.clock', () => withOptions({ clock: 5 })],
  ['components.rng', () => withOptions({ rng: 'seed' })],
  ['settings.role', () => withOptions({}, { role: 'server' })],
  ['components.store', () => withOptions({ store: undefined })],
  ['settings.stepIntervalMs', () => withOptions({}, { stepIntervalMs: 0 })],
  ['settings.stepIntervalMs', () => withOptions({}, { stepIntervalMs: 2.5 })],
  ['settings.requestTimeoutMs', () => withOptions({}, { requestTimeoutMs: -1 })],
  ['settings.punctureRequests', () => withOptions({}, { punctureRequests: 'yes' })],
  ['settings.amplificationFactor', () => withOptions({}, { amplificationFactor: 0.5 })],
  ['settings.amplificationFactor', () => withOptions({}, { amplificationFactor: Number.NaN })],
  ['settings.maxTrackedOverlays', () => withOptions({}, { maxTrackedOverlays: 0 })],
  ['settings.deliveryQueue', () => withOptions({}, { deliveryQueue: 1.5 })],
  ['settings.maxParents', () => withOptions({}, { maxParents: -1 })],
  ['settings.causalBuffer', () => withOptions({}, { causalBuffer: 0 })],
  ['settings.causalWaitMs', () => withOptions({}, { causalWaitMs: -5 })],
  ['settings.catchUp', () => withOptions({}, { catchUp: 'on' })],
  // On is the default (absent) or sizes; `true` is not a value of its own.
  ['settings.catchUp', () => withOptions({}, { catchUp: true })],
  ['settings.catchUp.sketchLength', () => withOptions({}, { catchUp: { sketchLength: 0 } })],
  ['settings.catchUp.sketchLength', () => withOptions({}, { catchUp: { sketchLength: MAX_SKETCH_LENGTH + 1 } })],
  ['settings.catchUp.journal', () => withOptions({}, { catchUp: { journal: -1 } })],
  ['settings.catchUp.journal', () => withOptions({}, { catchUp: { journal: MAX_JOURNAL_LENGTH + 1 } })],
  ['settings.catchUp.shortIds', () => withOptions({}, { catchUp: { shortIds: 1 as unknown as boolean } })],
  ['settings.catchUp.length', () => withOptions({}, { catchUp: { length: 64 } })],
  // The groups themselves.
  ['options', () => null],
  ['components', () => ({ settings: {} })],
  ['settings', () => ({ ...base(), settings: 'fast' })],
  // A name that is not an option, or an option in the wrong group.
  ['settings.stepInterval', () => withOptions({}, { stepInterval: 100 })],
  ['settings.store', () => withOptions({}, { store: new MemoryStore() })],
  ['components.overlays', () => withOptions({ overlays: [] })],
  // The flat options of before: each names the group it goes in.
  ['transport goes in components', () => ({ ...base().components, overlays: [] })],
  ['stepIntervalMs goes in settings', () => ({ ...base(), stepIntervalMs: 100 })]
]

describe('createNode options', () => {
  for (const [option, bad] of BAD) {
    it(`${option}: INVALID_ARGUMENT naming it`, () => {
      let caught: unknown
      try {
        createNode(bad() as NodeOptions)
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
      expect((caught as Error).message).toContain(option)
    })
  }

  it('a tracker needs no store; a peer does', () => {
    const { store: _store, ...noStore } = base().components
    expect(() => createNode({ components: noStore, settings: { role: 'tracker' } })).not.toThrow()
    expect(() => createNode({ components: noStore })).toThrow(/store/)
  })

  it('fills in the defaults; catchUp: false keeps the sketch sizes, an object sets them', () => {
    const d = resolveNodeOptions(base())
    expect([d.role, d.stepIntervalMs, d.requestTimeoutMs, d.amplificationFactor, d.catchUp, d.sketch]).toEqual(['peer', 5000, 10_500, 3, true, { sketchLength: 16_384, journal: 4096, shortIds: true }])
    expect(resolveNodeOptions(withOptions({}, { catchUp: false }))).toMatchObject({ catchUp: false, sketch: { sketchLength: 16_384, journal: 4096 } })
    expect(resolveNodeOptions(withOptions({}, { catchUp: { sketchLength: 64 } }))).toMatchObject({ catchUp: true, sketch: { sketchLength: 64, journal: 4096 } })
    // An option given as undefined takes its default.
    expect(resolveNodeOptions(withOptions({}, { stepIntervalMs: undefined })).stepIntervalMs).toBe(5000)
    expect(resolveNodeOptions({ ...base(), settings: undefined }).stepIntervalMs).toBe(5000)
  })
})
