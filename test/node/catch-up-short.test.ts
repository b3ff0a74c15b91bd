/**
 * The CatchUp service over short ids (docs/reconcile.md §14), two sides wired back to back
 * through the wire codec: an honest session moves the difference and its salted check passes;
 * short-id collisions FORCED into the responder's sketch (the symbols it would keep if it held
 * a bundle whose id shares a short id with another) are caught, counted and fall back to the
 * Bloom walk; a short id held twice is served by both full bundles.
 */
import { describe, expect, it } from 'vitest'
import type { Bundle } from '../../src/bundle/types.js'
import { ManualClock } from '../../src/env/clock.js'
import { silentLogger } from '../../src/env/logger.js'
import { SeededRng, shuffle } from '../../src/env/rng.js'
import { CatchUp } from '../../src/node/catch-up.js'
import { onBundleRequest, serveBundles, type BundleRequestComponents } from '../../src/node/handlers/bundle-request.js'
import { Ledger } from '../../src/node/ledger.js'
import { OverlayWalk } from '../../src/node/overlay.js'
import { Counters } from '../../src/node/stats.js'
import { ID_BYTES, IndexSequence, itemHashHalves, shortIdBytes } from '../../src/reconcile/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { DEFAULT_SYNC_CONFIG } from '../../src/sync/config.js'
import { addressKey, decodePacket, encodePacket, type Address, type Packet } from '../../src/wire/index.js'
import { DEFAULT_DECODE_LIMITS } from '../../src/wire/limits.js'
import { makeBundles } from '../helpers/bundles.js'

interface Side {
  address: Address
  store: MemoryStore
  state: OverlayWalk
  ledger: Ledger
  catchUp: CatchUp
  bundles: BundleRequestComponents
}

const OVERLAY = new Uint8Array(32).fill(7)

/** Two sides whose packets go through encodePacket / decodePacket into the other's handlers. */
async function pair(aBundles: Bundle[], bBundles: Bundle[], seed: number, lose: (packet: Packet) => boolean = () => false) {
  const clock = new ManualClock(1_000_000)
  const rng = new SeededRng(seed)
  const queue: { to: Side; from: Side; packet: Packet }[] = []
  const log: { type: string; bytes: number; inSync: boolean; salt: boolean; packet: Packet }[] = []
  const sides: Side[] = []
  const make = async (bundles: Bundle[], port: number): Promise<Side> => {
    const store = new MemoryStore()
    await store.open()
    await store.putMany(bundles)
    const counters = new Counters()
    const ledger = await Ledger.open({ store, sync: DEFAULT_SYNC_CONFIG, rng: rng.fork(), log: silentLogger, counters, expired: () => {} }, OVERLAY)
    const state = new OverlayWalk(OVERLAY, { clock: ledger.clock })
    const side = { address: { host: '10.0.0.1', port } } as Side
    const send = (_to: Address, _overlay: Uint8Array, packet: Packet): boolean => {
      const bytes = encodePacket(OVERLAY, packet)
      const decoded = decodePacket(bytes, DEFAULT_DECODE_LIMITS)
      expect(decoded).not.toBeNull()
      log.push({ type: packet.type, bytes: bytes.length, inSync: packet.type === 'symbols-response' && packet.inSync === true, salt: packet.type === 'symbols-request' && packet.salt !== undefined, packet: decoded!.packet })
      if (lose(packet)) return true
      queue.push({ to: sides.find((s) => s !== side)!, from: side, packet: decoded!.packet })
      return true
    }
    const bundleComponents: BundleRequestComponents = { counters, store, sync: DEFAULT_SYNC_CONFIG, limits: DEFAULT_DECODE_LIMITS, send, ledger: () => ledger }
    const catchUp = new CatchUp({
      clock,
      rng: rng.fork(),
      log: silentLogger,
      counters,
      store,
      sync: DEFAULT_SYNC_CONFIG,
      limits: DEFAULT_DECODE_LIMITS,
      send,
      ledger: () => ledger,
      answered: async () => {},
      serveBundles: (from, overlay, want) => serveBundles(bundleComponents, from, overlay, want)
    })
    catchUp.start()
    Object.assign(side, { store, state, ledger, catchUp, bundles: bundleComponents })
    return side
  }
  const a = await make(aBundles, 7001)
  const b = await make(bBundles, 7002)
  sides.push(a, b)
  // Each met the other on a walk: a walk candidate, whose requests it answers.
  a.state.recordStumble(addressKey(b.address), { lan: b.address, wan: b.address, connectionType: 'public' }, clock.now())
  b.state.recordStumble(addressKey(a.address), { lan: a.address, wan: a.address, connectionType: 'public' }, clock.now())
  const drain = async (): Promise<void> => {
    for (let n = 0; n < 10_000; n++) {
      await a.catchUp.settled()
      await b.catchUp.settled()
      const next = queue.shift()
      if (next === undefined) return
      const { to, from, packet } = next
      if (packet.type === 'symbols-request') await to.catchUp.onSymbolsRequest(from.address, to.state, packet)
      else if (packet.type === 'symbols-response') await to.catchUp.onSymbolsResponse(from.address, to.state, packet)
      else if (packet.type === 'bundle-request') await onBundleRequest(to.bundles, from.address, to.state, packet)
      else if (packet.type === 'bundles') for (const bundle of packet.bundles) await to.ledger.put(bundle, clock.now())
    }
    throw new Error('the exchange did not settle')
  }
  /** A's walk step to B: the idle check (or, while a decoded session waits, its salted check), then every answer. */
  const walkStep = async (): Promise<void> => {
    clock.advance(61_000)
    a.catchUp.maybeIdleCheck(a.state, b.address, b.state.clock.time)
    await drain()
  }
  return { a, b, walkStep, log }
}

/** Makes `side`'s sketch hold `to` instead of `from` in its id XORs (their short ids are taken to be equal). */
function swapIdInSketch(side: Side, from: Uint8Array, to: Uint8Array): void {
  const table = side.ledger.sketch.table
  const [hi, lo] = itemHashHalves(from)
  const seq = new IndexSequence(hi, lo)
  for (let i = 0; i < table.length; i = seq.next()) for (let k = 0; k < ID_BYTES; k++) table.bytes[i * ID_BYTES + k]! ^= from[k]! ^ to[k]!
}

/** Adds to `side`'s sketch a pair of ids that share the short id (hi, lo): the hashes and checksums cancel, the count grows by 2. */
function addCollidingPair(side: Side, hi: number, lo: number, x: Uint8Array, y: Uint8Array): void {
  const table = side.ledger.sketch.table
  const seq = new IndexSequence(hi, lo)
  for (let i = 0; i < table.length; i = seq.next()) {
    table.counts[i]! += 2
    for (let k = 0; k < ID_BYTES; k++) table.bytes[i * ID_BYTES + k]! ^= x[k]! ^ y[k]!
  }
}

describe('catch-up over short ids', () => {
  const pool = shuffle(new SeededRng(3), makeBundles(640, { overlay: OVERLAY, seed: 21, maxGlobalTime: 4000 }))
  const top = pool.reduce((m, x) => (x.globalTime > m.globalTime ? x : m))
  const rest = pool.filter((x) => x !== top)
  const shared = [top, ...rest.slice(0, 560)]

  it('an honest session moves both ways by short id, and its salted check passes at the next walk step', async () => {
    const { a, b, walkStep, log } = await pair([...shared, ...rest.slice(560, 600)], [...shared, ...rest.slice(600)], 1)
    await walkStep()
    expect(a.catchUp.stats()).toMatchObject({ decoded: 1, fetched: 39, pushed: 40, collisions: 0 })
    expect(await a.store.count(OVERLAY)).toBe(640)
    expect(await b.store.count(OVERLAY)).toBe(640)
    log.length = 0
    await walkStep()
    expect(a.catchUp.stats()).toMatchObject({ collisions: 0, unverified: 0, inSync: 1, failed: 0 })
    // The idle check in sync: one datagram each way; the salt adds 9 bytes, the salted check 9.
    expect(log.map((x) => [x.type, x.salt || x.inSync])).toEqual([['symbols-request', true], ['symbols-response', true]])
    expect(log[0]!.bytes).toBeLessThanOrEqual(72)
    expect(log[1]!.bytes).toBeLessThanOrEqual(52)
  })

  it('fetches name 4-byte short-id prefixes (docs/reconcile.md §15); a bundle fetched and lost is asked again by its whole 8-byte short id at the next walk step', async () => {
    // One-sided: B holds 70 bundles A lacks; the first bundles datagram from B is lost.
    let lost = 0
    const { a, b, walkStep, log } = await pair(shared, [...shared, ...rest.slice(560, 630)], 7, (p) => p.type === 'bundles' && lost++ === 0)
    await walkStep()
    expect(a.catchUp.stats()).toMatchObject({ decoded: 1, fetched: 70, pushed: 0 })
    const prefixes = log.flatMap((x) => (x.packet.type === 'bundle-request' ? (x.packet.shortPrefixes ?? []) : x.packet.type === 'symbols-request' ? (x.packet.fetchPrefixes ?? []) : []))
    expect(prefixes).toHaveLength(70)
    for (const p of prefixes) expect(p.length).toBe(4)
    // No 8-byte short id, no 32-byte id: the prefixes named everything, at most 64 a request.
    expect(log.some((x) => (x.packet.type === 'bundle-request' && (x.packet.ids.length > 0 || x.packet.shortIds !== undefined)) || (x.packet.type === 'symbols-request' && x.packet.fetchShort !== undefined))).toBe(false)
    for (const x of log) if (x.packet.type === 'bundle-request') expect(x.packet.shortPrefixes!.length).toBeLessThanOrEqual(64)
    const missing = 70 - ((await a.store.count(OVERLAY)) - shared.length)
    expect(missing).toBeGreaterThan(0)
    log.length = 0
    await walkStep()
    // The check re-asks the missing ones by 8-byte short id, and they arrive; the session stays unverified (checked again later).
    const again = log.flatMap((x) => (x.packet.type === 'bundle-request' ? (x.packet.shortIds ?? []) : []))
    expect(again.map((s) => s.length)).toEqual(Array(missing).fill(8))
    expect(await a.store.count(OVERLAY)).toBe(await b.store.count(OVERLAY))
    expect(a.catchUp.stats()).toMatchObject({ unverified: 1, collisions: 0 })
    // (This walk step's idle check, 61 s after the last, also decoded and fetched them by prefix.)
    expect(a.catchUp.stats().fetched).toBeGreaterThanOrEqual(70 + missing)
  })

  it('FORCED collision split between the sides (the peer holds x\' where we hold x, one short id): in_sync by digest, caught by the salted check', async () => {
    const { a, b, walkStep } = await pair(shared, shared, 2)
    const xPrime = new Uint8Array(32).fill(0xab)
    swapIdInSketch(b, shared[17]!.id, xPrime)
    await walkStep()
    expect(a.catchUp.stats()).toMatchObject({ inSync: 0, collisions: 1, failed: 1 })
    // Untampered, the same exchange is in sync.
    const honest = await pair(shared, shared, 2)
    await honest.walkStep()
    expect(honest.a.catchUp.stats()).toMatchObject({ inSync: 1, collisions: 0 })
  })

  it('FORCED collision on one side (the peer holds two ids with one short id): counted as a collision, never a wrong bundle', async () => {
    for (const seed of [3, 4, 5, 6]) {
      const { a, b, walkStep } = await pair([...shared, ...rest.slice(560, 600)], [...shared, ...rest.slice(600)], seed)
      const rng = new SeededRng(seed)
      addCollidingPair(b, rng.u32() >>> 0, rng.u32() >>> 0, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2))
      await walkStep()
      await walkStep()
      expect(a.catchUp.stats().collisions).toBeGreaterThanOrEqual(1)
      // Whatever A stored is one of B's bundles.
      const held = new Set([...shared, ...rest.slice(560)].map((x) => Buffer.from(x.id).toString('hex')))
      for await (const x of a.store.range({ overlay: OVERLAY, from: 0, to: Number.MAX_SAFE_INTEGER })) expect(held.has(Buffer.from(x.id).toString('hex'))).toBe(true)
    }
  })

  it('a short id held twice is served by both bundles (colliding ids fall back to their full ids)', async () => {
    const [x, y] = [rest[0]!, rest[1]!]
    const store = new MemoryStore()
    await store.open()
    await store.putMany([x, y])
    const short = shortIdBytes(...itemHashHalves(x.id))
    // The store as if y's id shared x's short id.
    const colliding = Object.assign(Object.create(store) as MemoryStore, { byShortId: async () => [x, y] })
    const sent: Packet[] = []
    const ledger = await Ledger.open({ store, sync: DEFAULT_SYNC_CONFIG, rng: new SeededRng(1), log: silentLogger, counters: new Counters(), expired: () => {} }, OVERLAY)
    const state = new OverlayWalk(OVERLAY, { clock: ledger.clock })
    const from = { host: '10.0.0.9', port: 9 }
    state.recordStumble(addressKey(from), { lan: from, wan: from, connectionType: 'public' }, 1_000_000)
    await serveBundles({ counters: new Counters(), store: colliding, sync: DEFAULT_SYNC_CONFIG, limits: DEFAULT_DECODE_LIMITS, send: (_t, _o, p) => sent.push(p) > 0, ledger: () => ledger }, from, state, { ids: [], shortIds: [short] })
    const served = sent.flatMap((p) => (p.type === 'bundles' ? p.bundles.map((b) => Buffer.from(b.id).toString('hex')) : []))
    expect(served.sort()).toEqual([x, y].map((b) => Buffer.from(b.id).toString('hex')).sort())
  })
})
