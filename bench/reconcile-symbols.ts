/**
 * Catch-up by coded symbols, two parties (reconcile-bench): each side runs the node's own
 * services on its own state of the overlay — `CatchUp` (src/node/catch-up.ts, with its
 * `SymbolResponder`) and the bundle-request handler (src/node/handlers/bundle-request.ts) —
 * over the link. Nothing of the protocol is modelled here; the bench plays the parts of the
 * node that are not catch-up:
 *
 * - the walk: A walks to B step after step, and each introduction-response's global time
 *   goes to `CatchUp.maybeIdleCheck` as handlers/introduction-response.ts passes it (a peer
 *   that is ahead is asked for what is newer, then, once it is not, the idle check starts a
 *   session). The walk steps' own datagrams are not counted (they are sent with or without
 *   catch-up);
 * - the dispatch of the four packet types to those services, as src/node/dispatcher.ts does;
 * - storing what arrives (`Link.accept`: validation without signatures, then the side's
 *   `Ledger`, src/node/ledger.ts), the node's intake minus delivery.
 *
 * B knows A as a walk candidate (A walked to it), so its responder answers. The network loses
 * nothing here, so the retry path is not exercised (test/node covers it).
 */
import { CatchUp } from '../src/node/catch-up.js'
import { onBundleRequest, type BundleRequestComponents } from '../src/node/handlers/bundle-request.js'
import { Ledger } from '../src/node/ledger.js'
import { OverlayWalk } from '../src/node/overlay.js'
import { Counters } from '../src/node/stats.js'
import { silentLogger } from '../src/env/logger.js'
import { DEFAULT_SYMBOLS_PER_DIFFERENCE, type SessionEnd, type SymbolSession } from '../src/reconcile/index.js'
import type { Packet } from '../src/wire/index.js'
import type { Link, Side } from './reconcile-link.js'
import type { ReconcileBenchOptions } from './reconcile-types.js'

/** The node's policy (the only one: the bench runs the node's catch-up). */
export type CatchUpPolicy = 'node'

export const CATCH_UP_POLICIES: readonly CatchUpPolicy[] = ['node']

/** Walk steps of A to B at most (each a newest-first fetch while B is ahead, then the idle check). */
const MAX_WALK_STEPS = 64

/** What a coded-symbol session did. */
export interface SymbolsOutcome {
  /** How the session ended. */
  end: SessionEnd | 'unfinished'
  /** Symbols consumed by the decoder. */
  symbols: number
  /** Symbols asked for (the last requests may bring more than decoding needed). */
  requested: number
  symbolsRequests: number
  /** Of the bundle-requests, those asking for what is newer than A's newest (newest first). */
  newerFetches: number
  /** Bundles those brought (differences found without naming them). */
  newerFetched: number
  bundleRequests: number
  /** Ids decoded and fetched by A / bundles pushed to B. */
  weLack: number
  theyLack: number
  /** Ids A fetched that never arrived. */
  notServed: number
  /** The estimate of d after the first window. */
  firstEstimate: number | null
  /** Datagrams a service dropped, by reason (none expected). */
  drops: Record<string, number>
}

/** One side's node services. */
interface Services {
  side: Side
  state: OverlayWalk
  catchUp: CatchUp
  bundles: BundleRequestComponents & { counters: Counters }
}

/** Builds a side's overlay state over its ledger (opened as a join does: the sketch by a scan of the store) and services. Returns the ledger's opening CPU ms. */
export async function nodeServices(link: Link, side: Side, options: Pick<ReconcileBenchOptions, 'symbolsPerDifference' | 'fullIds' | 'symbolsPerRootDifference' | 'firstWindowShare'>): Promise<{ services: Services; sketchCpuMs: number }> {
  const store = side.store
  const counters = new Counters()
  const start = process.cpuUsage()
  const ledger = await Ledger.open({ store, sync: link.sync, rng: side.rng.fork(), log: silentLogger, counters, expired: () => {} }, link.overlay)
  const used = process.cpuUsage(start)
  const state = new OverlayWalk(link.overlay, { clock: ledger.clock })
  side.sketch = ledger.sketch
  side.state = state
  side.ledger = ledger
  const send = (_to: unknown, _overlay: Uint8Array, packet: Packet): boolean => {
    link.send(side, packet)
    return true
  }
  const bundles = { counters, store, sync: link.sync, limits: link.limits, send, ledger: () => ledger }
  const catchUp = new CatchUp(
    {
      clock: link.clock,
      counters,
      store,
      sync: link.sync,
      limits: link.limits,
      log: silentLogger,
      rng: side.rng.fork(),
      send,
      ledger: () => ledger,
      answered: async () => {},
      serveBundles: (from, overlay, want) => onBundleRequest(bundles, from, overlay, { type: 'bundle-request', ...want, ids: want.ids })
    },
    {
      symbolsPerDifference: options.symbolsPerDifference,
      shortIds: options.fullIds !== true,
      ...(options.symbolsPerRootDifference === undefined ? {} : { symbolsPerRootDifference: options.symbolsPerRootDifference }),
      ...(options.firstWindowShare === undefined ? {} : { firstWindowShare: options.firstWindowShare })
    }
  )
  catchUp.start()
  return { services: { side, state, catchUp, bundles }, sketchCpuMs: (used.user + used.system) / 1000 }
}

/** One catch-up of A against B by the node's services, run until no datagram is in flight. */
export async function codedSymbols(link: Link, a: Services, b: Services): Promise<SymbolsOutcome> {
  const out: SymbolsOutcome = { end: 'unfinished', symbols: 0, requested: 0, symbolsRequests: 0, bundleRequests: 0, newerFetches: 0, newerFetched: 0, weLack: 0, theyLack: 0, notServed: 0, firstEstimate: null, drops: {} }
  const services = (side: Side): Services => (side === a.side ? a : b)
  // B met A on A's walk: a walk candidate, whose requests it answers.
  b.state.recordStumble(a.side.key, { lan: a.side.address, wan: a.side.address, connectionType: 'public' }, link.clock.now())
  let session: SymbolSession | undefined

  // src/node/dispatcher.ts, for the packet types of catch-up.
  const handle = async (to: Side, from: Side, packet: Packet): Promise<void> => {
    const s = services(to)
    switch (packet.type) {
      case 'symbols-request':
        return s.catchUp.onSymbolsRequest(from.address, s.state, packet)
      case 'symbols-response': {
        const before = session?.decoder.received ?? 0
        await s.catchUp.onSymbolsResponse(from.address, s.state, packet)
        if (session !== undefined && before === 0 && session.decoder.received > 0) out.firstEstimate = Math.round(session.decoder.estimate())
        return
      }
      case 'bundle-request':
        return onBundleRequest(s.bundles, from.address, s.state, packet)
      case 'bundles':
        await link.accept(to, packet.bundles)
        return
      default:
        throw new Error(`coded symbols: unexpected ${packet.type}`)
    }
  }
  const settle = async (): Promise<void> => {
    await a.catchUp.settled()
    await b.catchUp.settled()
  }

  // A's walk steps to B: what handlers/introduction-response.ts does with B's global time.
  let newerFetched = 0
  for (let step = 0; step < MAX_WALK_STEPS && session === undefined; step++) {
    const fresh = a.side.fresh
    newerFetched = fresh
    const sent = link.aToB.datagrams
    await link.work(a.side, () => {
      a.catchUp.maybeIdleCheck(a.state, b.side.address, b.state.clock.time)
      session = a.catchUp.session(a.state)?.session
      return a.catchUp.settled()
    })
    await link.drain(handle, settle)
    // Neither a fetch that brought something nor an idle check: the walk has nothing more to start.
    if (session === undefined && (link.aToB.datagrams === sent || a.side.fresh === fresh)) break
  }
  if (session === undefined) newerFetched = a.side.fresh
  const counters = a.catchUp.stats()
  out.newerFetches = counters.newerFetches
  out.weLack = counters.fetched
  out.theyLack = counters.pushed
  out.newerFetched = newerFetched
  out.symbolsRequests = link.byType.get('symbols-request')?.datagrams ?? 0
  out.bundleRequests = link.byType.get('bundle-request')?.datagrams ?? 0
  if (session !== undefined) {
    out.symbols = session.decoder.received
    out.requested = session.requested
    out.end = session.end ?? 'unfinished'
  }
  out.notServed = counters.fetched - (a.side.fresh - newerFetched)
  out.drops = { ...a.bundles.counters.snapshot().drops, ...prefixed('B ', b.bundles.counters.snapshot().drops) }
  return out
}

function prefixed(prefix: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v]))
}

export { DEFAULT_SYMBOLS_PER_DIFFERENCE }
