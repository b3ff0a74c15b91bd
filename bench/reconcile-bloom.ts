/**
 * The Bloom walk alone, two parties (reconcile-bench): each side runs the node's own walk
 * services — a peer's wiring (src/node/peer.ts): the `Walker` with its introduction-request
 * and introduction-response handlers, the `Responder` answering the offer, the overlay's
 * `Ledger` with its offer builder — over the link. Nothing of the protocol is modelled here;
 * the bench plays the parts of the node that are not the walk:
 *
 * - the schedule: A and B walk to each other in turn, one walk step (`Walker.request`, as a
 *   walk step sends it: with an offer, asking for an introduction) each, with
 *   {@link STEP_GAP_MS} of virtual time between steps that is not counted as round trips
 *   (the node's answer rates, per walker and per host, are bounds for a real room's pace;
 *   two peers walking each other back to back would only hit them);
 * - the dispatch of the walk's packet types to the services' handlers, as
 *   src/node/dispatcher.ts does;
 * - storing what arrives (`Link.accept`: validation without signatures, then the side's
 *   ledger, whose `settle` tells the offer builder what was stored and from whom), the
 *   node's intake minus delivery, as the coded-symbol half does.
 *
 * Steady state between two peers that met before: each address is validated for the other's
 * anti-amplification guard, and each is the other's walk candidate.
 */
import { generateKeyPair } from '../src/bundle/sign.js'
import { silentLogger } from '../src/env/logger.js'
import { AmplificationGuard } from '../src/node/amplification.js'
import { TypedEvents, type NodeEvents } from '../src/node/events.js'
import type { HandlerTable, Handler } from '../src/node/dispatcher.js'
import type { Ledger } from '../src/node/ledger.js'
import { resolveNodeOptions } from '../src/node/options.js'
import type { OverlayWalk } from '../src/node/overlay.js'
import { Peer } from '../src/node/peer.js'
import { Counters } from '../src/node/stats.js'
import { offerSize } from '../src/sync/capacity.js'
import type { OfferStats } from '../src/sync/offer.js'
import type { Packet } from '../src/wire/index.js'
import type { Link, Side } from './reconcile-link.js'

/** Virtual time between two walk steps, not counted as round trips (ms). */
export const STEP_GAP_MS = 1000

/** What a Bloom walk run did. */
export interface BloomOutcome {
  /** Walk steps taken, both sides together (each is one request-response round trip). */
  steps: number
  /** Offers built by each side's builder (fresh, reused, skipped; by strategy). */
  offers: { a: OfferStats; b: OfferStats }
}

/** One side's walk services. */
interface Walking {
  peer: Peer
  overlay: OverlayWalk
  ledger: Ledger
  handlers: HandlerTable
  counters: Counters
}

/** A side's peer wiring over its store and the link (the walk's packets go through `Link.send`). */
async function walking(link: Link, side: Side): Promise<Walking> {
  const rng = side.rng.fork()
  const opts = resolveNodeOptions({
    components: { transport: side.transport, clock: link.clock, rng, store: side.store, verifyBundle: () => true },
    // The walk alone: no catch-up, no push.
    settings: { sync: { ...link.sync }, limits: link.limits, catchUp: false, push: { fanout: 0 }, punctureRequests: false }
  })
  const counters = new Counters()
  const guard = new AmplificationGuard({ secret: rng.bytes(32), factor: opts.amplificationFactor })
  const send = (_to: unknown, _overlay: Uint8Array, packet: Packet): boolean => {
    link.send(side, packet)
    return true
  }
  const sync = link.sync
  const sizes = { ipv4: offerSize(sync.datagramBudget, sync.falsePositiveRate, 'ipv4', sync.hashFunctions), ipv6: offerSize(sync.datagramBudget, sync.falsePositiveRate, 'ipv6', sync.hashFunctions) }
  const peer = new Peer(
    { clock: link.clock, rng, log: silentLogger, counters, guard, events: new TypedEvents<NodeEvents>(), send, store: side.store, transport: side.transport, keys: generateKeyPair(rng), sync, limits: link.limits, overlays: new Map(), deliver: () => {}, track: () => {} },
    opts,
    { lan: side.address, sizes, stepIntervalMs: opts.stepIntervalMs, requestTimeoutMs: opts.requestTimeoutMs, punctureRequests: false }
  )
  const overlay = await peer.open(link.overlay, undefined)
  const ledger = peer.ledger(overlay)!
  side.state = overlay
  side.ledger = ledger
  side.sketch = ledger.sketch
  // Steady state: the peer's address answered us before (validated), and it is a candidate.
  const other = link.peer(side)
  guard.validate(other.key)
  overlay.recordWalkReply(other.key, { lan: other.address, wan: other.address, connectionType: 'public' }, link.clock.now())
  return { peer, overlay, ledger, handlers: peer.handlers(), counters }
}

/**
 * Walk steps, alternately A → B and B → A, until every difference is on both sides or
 * `maxSteps` steps were taken (at least one step, so an idle walk is measured too).
 */
export async function bloomWalk(link: Link, differences: number, maxSteps: number): Promise<BloomOutcome> {
  const sides = new Map<Side, Walking>()
  for (const side of [link.a, link.b]) sides.set(side, await walking(link, side))
  const of = (side: Side): Walking => sides.get(side)!

  // src/node/dispatcher.ts, for the walk's packet types.
  const handle = async (to: Side, from: Side, packet: Packet): Promise<void> => {
    const s = of(to)
    if (packet.type === 'bundles') {
      s.ledger.settle(await link.accept(to, packet.bundles), from.key)
      return
    }
    if (packet.type !== 'introduction-request' && packet.type !== 'introduction-response') throw new Error(`bloom walk: unexpected ${packet.type}`)
    const handler = s.handlers[packet.type] as Handler<Packet>
    await handler(from.address, s.overlay, packet)
  }

  let steps = 0
  do {
    const walker = steps % 2 === 0 ? link.a : link.b
    const s = of(walker)
    if (steps > 0) link.idle(STEP_GAP_MS)
    await link.work(walker, () => s.peer.walker.request(s.overlay, link.peer(walker).address, { advice: true, offer: true, followUp: false }))
    await link.drain(handle)
    steps++
  } while (steps < maxSteps && link.a.fresh + link.b.fresh < differences)
  for (const [side, s] of sides) {
    const drops = { ...s.counters.snapshot().drops }
    if (Object.keys(drops).length > 0 || s.counters.answersShed > 0) throw new Error(`bloom walk: side ${side.name} dropped datagrams or shed answers (${JSON.stringify({ ...drops, answersShed: s.counters.answersShed })}); the bench expects none`)
    await s.peer.walker.stop()
  }
  return { steps, offers: { a: { ...of(link.a).ledger.builder.stats }, b: { ...of(link.b).ledger.builder.stats } } }
}
