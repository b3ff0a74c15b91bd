/**
 * The delivery contract (docs/causal.md), as a property over random cases: every bundle the
 * store holds is delivered to the application exactly once, after all its parents, across
 * restarts (graceful and kill -9 at random points) and causal-buffer evictions; a bundle
 * whose parents never come is delivered when its wait ends, with `missingParents` set.
 *
 * A case is a random DAG (3 authors plus the node's own publications, Lamport-like or
 * arbitrary global times), a random script of arrivals from a peer (any order, duplicates),
 * publications, clock ticks and restarts, and a buffer of 1–4 bundles (evictions all the
 * time). Each run of the node starts from what the store says was delivered (its
 * *history*); the run's `bundle` events and its `bundles()` iterator must then continue it
 * without repeats, parents first. At the end every bundle is sent once more (as sync would)
 * and the clock runs until nothing is undelivered.
 *
 * Kill -9 is modelled in-process (./crashable.ts): the node's store and clock freeze, so its
 * pending work never continues; writes it had issued stay written.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { roomId, signBundle, type Bundle } from '../../src/bundle/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { createNode, type BloomwalkNode, type Delivery } from '../../src/node/index.js'
import { LevelStore, MemoryStore, type BundleStore } from '../../src/store/index.js'
import { MemoryNetwork, type MemoryTransport } from '../../src/transport/index.js'
import { encodePacket } from '../../src/wire/index.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { KillableClock, KillableStore } from './crashable.js'

const overlay = roomId('delivery-contract')
const MAX = Number.MAX_SAFE_INTEGER
const [ownKeys, ...authors] = makeAuthors(4, 77)

type Step =
  | { kind: 'send'; pick: number; wait: boolean }
  | { kind: 'publish'; picks: number[] }
  | { kind: 'tick' }
  | { kind: 'restart'; kill: boolean; rounds: number }

interface Case {
  shape: { picks: number[]; author: number; jitter: number }[]
  lamport: boolean
  steps: Step[]
  buffer: number
  /** Indexes of bundles never sent: their children are delivered by the wait policy. */
  withhold: number[]
}

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('send' as const), pick: fc.nat(), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('publish' as const), picks: fc.array(fc.nat(), { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), kill: fc.boolean(), rounds: fc.nat({ max: 6 }) }) }
)

function arbCase(withhold: boolean): fc.Arbitrary<Case> {
  return fc.record({
    shape: fc.array(fc.record({ picks: fc.array(fc.nat(), { maxLength: 3 }), author: fc.nat({ max: 2 }), jitter: fc.nat({ max: 3 }) }), { minLength: 2, maxLength: 18 }),
    lamport: fc.boolean(),
    steps: fc.array(arbStep, { maxLength: 50 }),
    buffer: fc.integer({ min: 1, max: 4 }),
    withhold: withhold ? fc.array(fc.nat(), { minLength: 1, maxLength: 2 }) : fc.constant([])
  })
}

function makeDag(c: Case): Bundle[] {
  const out: Bundle[] = []
  c.shape.forEach((s, i) => {
    const parents = i === 0 ? [] : [...new Set(s.picks.map((p) => p % i))].map((p) => out[p]!)
    const globalTime = c.lamport ? 1 + Math.max(0, ...parents.map((p) => p.globalTime)) + s.jitter : 1 + s.jitter
    out.push(signBundle({ overlay, globalTime, kind: 1, parents: parents.map((p) => p.id), body: new TextEncoder().encode(`m${i}`) }, authors[s.author]!))
  })
  return out
}

async function collect(it: AsyncIterable<Bundle>): Promise<Bundle[]> {
  const out: Bundle[] = []
  for await (const b of it) out.push(b)
  return out
}

/** Stored and marked delivered: what an application shows on start. */
async function history(store: BundleStore): Promise<Set<string>> {
  const waiting = new Set((await collect(store.undelivered(overlay))).map((b) => hex(b.id)))
  return new Set((await collect(store.range({ overlay, from: 0, to: MAX }))).map((b) => hex(b.id)).filter((k) => !waiting.has(k)))
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Polls (no sleeping) until `done`, advancing virtual time by `stepMs` per round. */
async function until(clock: ManualClock, done: () => boolean | Promise<boolean>, what: string, stepMs = 0): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    if (stepMs > 0) clock.advance(stepMs)
    await turn()
  }
}

interface Run {
  node: BloomwalkNode
  store: KillableStore
  clock: KillableClock
  transport: MemoryTransport
  listening: AbortController
  history: Set<string>
  events: Delivery[]
  iterated: Delivery[]
  iterating: Promise<void>
}

/** Checks one run: no repeats (within the run, against its history, against earlier runs), parents first, `own` right. */
function checkRun(run: Run, everEmitted: Set<string>, waitPolicy: boolean): void {
  const seen = new Set(run.history)
  for (const d of run.events) {
    const key = hex(d.bundle.id)
    expect(seen.has(key), `delivered twice: ${key.slice(0, 8)}`).toBe(false)
    expect(everEmitted.has(key), `emitted again after a restart: ${key.slice(0, 8)}`).toBe(false)
    const missing = d.bundle.parents.map(hex).filter((p) => !seen.has(p))
    if (!waitPolicy) expect(missing, `a child of ${missing.map((m) => m.slice(0, 8)).join(',')} came before it`).toEqual([])
    expect((d.missingParents ?? []).map(hex).sort()).toEqual(missing.sort())
    expect(d.own).toBe(hex(d.bundle.author) === hex(ownKeys!.publicKey))
    seen.add(key)
    everEmitted.add(key)
  }
  expect(run.iterated.map((d) => hex(d.bundle.id))).toEqual(run.events.slice(0, run.iterated.length).map((d) => hex(d.bundle.id)))
}

const trace = process.env.TRACE === '1' ? (...a: unknown[]) => console.error(...a) : () => undefined
/** What the cases exercised (checked at the end so the property is not vacuous). */
const exercised = { cases: 0, kills: 0, restarts: 0, evictions: 0, withoutParents: 0 }

async function play(c: Case, base: BundleStore, reopen: () => Promise<void>): Promise<void> {
  exercised.cases++
  const dag = makeDag(c)
  const withheld = new Set(c.withhold.map((w) => 1 + (w % (dag.length - 1))))
  const sendable = dag.filter((_, i) => !withheld.has(i))
  const waitPolicy = withheld.size > 0
  const clock = new ManualClock(1_000_000)
  const net = new MemoryNetwork({ clock, rng: new SeededRng(5), latencyMs: 1, maxDatagram: 65_507 })
  const peer = net.bind()
  const everEmitted = new Set<string>()
  const published: Bundle[] = []
  let runs = 0
  let killed = false

  const start = async (): Promise<Run> => {
    await base.open()
    const store = new KillableStore(base)
    const kclock = new KillableClock(clock)
    const transport = net.bind()
    const node = createNode({
      components: { transport, clock: kclock, rng: new SeededRng(100 + runs++), keys: ownKeys, store, verifyBundle: () => true },
      settings: { overlays: [overlay], stepIntervalMs: 1e9, catchUp: false, causalBuffer: c.buffer, causalWaitMs: waitPolicy ? 5_000 : 1e9 }
    })
    const listening = new AbortController()
    const run: Run = { node, store, clock: kclock, transport, listening, history: await history(base), events: [], iterated: [], iterating: Promise.resolve() }
    node.events.on('bundle', (d) => run.events.push(d), { signal: listening.signal })
    const it = node.bundles({ signal: listening.signal })
    run.iterating = (async () => {
      for await (const d of it) run.iterated.push(d)
    })()
    await node.start()
    const intro = encodePacket(overlay, { type: 'introduction-request', destination: node.address(), sourceLan: peer.address(), sourceWan: peer.address(), advice: false, connectionType: 'unknown', identifier: runs, globalTime: 0 })
    peer.send(node.address(), intro)
    await until(clock, () => node.candidates(overlay).length > 0, 'the peer to become a candidate', 1)
    return run
  }

  const processed = (run: Run) => {
    const s = run.node.stats()
    return s.bundlesStored + s.bundlesDuplicate + Object.values(s.bundleDrops).reduce((a, b) => a + b, 0)
  }

  const send = async (run: Run, b: Bundle, wait: boolean) => {
    const before = processed(run)
    peer.send(run.node.address(), encodePacket(overlay, { type: 'bundles', bundles: [b] }))
    clock.advance(1)
    if (wait) await until(clock, () => processed(run) > before, 'the bundle to be taken in')
  }

  const finish = async (run: Run, kill: boolean, rounds: number) => {
    trace('finish', kill)
    const d = run.node.stats().overlays[0]!.delivery!
    exercised.evictions += d.evicted
    exercised.withoutParents += d.deliveredWithoutParents
    if (kill) exercised.kills++
    else exercised.restarts++
    if (kill) {
      for (let i = 0; i < rounds; i++) await turn()
      run.store.kill()
      run.clock.dead = true
      killed = true
      await run.store.landed()
    } else {
      await run.node.stop()
    }
    run.listening.abort()
    await run.iterating
    await run.transport.close()
    checkRun(run, everEmitted, waitPolicy)
    if (!kill) await reopen()
  }

  let run = await start()
  for (const step of c.steps) {
    trace('step', JSON.stringify(step))
    if (step.kind === 'send') await send(run, sendable[step.pick % sendable.length]!, step.wait)
    else if (step.kind === 'tick') {
      clock.advance(1000)
      await turn()
    }
    else if (step.kind === 'publish') {
      const known = [...run.history, ...run.events.map((d) => hex(d.bundle.id))]
      const all = new Map([...dag, ...published].map((b) => [hex(b.id), b]))
      const parents = [...new Set(step.picks.map((p) => known[p % Math.max(1, known.length)]))].filter((k) => k !== undefined).map((k) => all.get(k)!.id)
      published.push(await run.node.publish(overlay, new TextEncoder().encode(`own ${published.length}`), { parents }))
    } else {
      await finish(run, step.kill, step.rounds)
      run = await start()
    }
  }
  trace('final pass')
  // Everything once more (as later sync rounds would bring it), then run until all is delivered.
  for (const b of [...sendable].reverse()) await send(run, b, true)
  const allStored = async () => (await Promise.all(sendable.map((b) => base.has(overlay, b.id)))).every(Boolean)
  await until(clock, allStored, 'every bundle sent to be stored', 1)
  const stored = new Set((await collect(base.range({ overlay, from: 0, to: MAX }))).map((b) => hex(b.id)))
  const shown = () => new Set([...run.history, ...run.events.map((d) => hex(d.bundle.id))])
  await until(clock, () => shown().size === stored.size, `every stored bundle to be delivered (${shown().size}/${stored.size})`, 250)
  await finish(run, false, 0)
  expect([...shown()].sort()).toEqual([...stored].sort())
  expect(await collect(base.undelivered(overlay))).toEqual([])
  // Without a kill no delivery can be lost between its mark and its event: exactly once overall.
  if (!killed) expect([...everEmitted].sort()).toEqual([...stored].sort())
}

/** Runs `body` and returns what its cases exercised. */
async function measure(body: () => Promise<void>): Promise<typeof exercised> {
  const before = { ...exercised }
  await body()
  return Object.fromEntries(Object.entries(exercised).map(([k, v]) => [k, v - before[k as keyof typeof exercised]])) as typeof exercised
}

/** Kills, graceful restarts and evictions each happened in a good share of the cases. */
function expectExercised(did: typeof exercised): void {
  // Restarts include the graceful stop that ends every case.
  expect(did.kills).toBeGreaterThan(did.cases / 4)
  expect(did.restarts - did.cases).toBeGreaterThan(did.cases / 4)
  expect(did.evictions).toBeGreaterThan(did.cases)
  expect(did.withoutParents).toBe(0)
}

const RUNS = { memory: 120, level: Number(process.env.LEVEL_RUNS ?? 30) }

describe('delivery contract (property)', () => {
  it('MemoryStore: exactly once, parents first, across restarts, kills and evictions', async () => {
    const did = await measure(() => fc.assert(
      fc.asyncProperty(arbCase(false), async (c) => {
        const store = new MemoryStore()
        await play(c, store, async () => {
          await store.close()
          await store.open()
        })
      }),
      { seed: 1818, numRuns: RUNS.memory }
    ))
    expectExercised(did)
  })

  it('MemoryStore: withheld parents — their children are delivered when the wait ends, marked with missingParents', async () => {
    const did = await measure(() => fc.assert(
      fc.asyncProperty(arbCase(true), async (c) => {
        await play(c, new MemoryStore(), async () => undefined)
      }),
      { seed: 1819, numRuns: RUNS.memory / 2 }
    ))
    expect(did.withoutParents).toBeGreaterThan(did.cases / 2)
  })

  it('LevelStore: exactly once, parents first, across restarts (store closed and reopened), kills and evictions', async () => {
    const root = await mkdtemp(join(tmpdir(), 'bw-delivery-'))
    let n = 0
    try {
      const did = await measure(() => fc.assert(
        fc.asyncProperty(arbCase(false), async (c) => {
          const store = new LevelStore(join(root, String(n++)))
          try {
            await play(c, store, async () => {
              await store.close()
              await store.open()
            })
          } finally {
            await store.close()
          }
        }),
        { seed: 1820, numRuns: RUNS.level, endOnFailure: process.env.TRACE === '1' }
      ))
      expectExercised(did)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
