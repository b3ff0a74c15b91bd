/**
 * The Bloom walk alone, two parties (reconcile-bench). A and B walk to each other in turn;
 * each walk step is what the node does (src/node/walker.ts, handlers/introduction-request.ts,
 * handlers/introduction-response.ts, handlers/bundles.ts):
 *
 *   walker:    OfferBuilder.claim (trackAnswers) → introduction-request with the offer
 *   responder: introduction-response, then answerOffer → packDatagrams → bundles datagrams
 *   walker:    onAnswered on the response; stores new bundles and tells the builder (onStored)
 *
 * Left out, as in a steady two-peer overlay: candidate bookkeeping, NAT voting, introductions
 * (with one peer there is nobody to introduce), anti-amplification (both addresses are
 * validated; the walker echoes the 16-byte token it was issued), the Lamport clock's
 * acceptable-range check (all bundles are in range) and signature verification.
 */
import { BloomFilter } from '../src/bloom/index.js'
import { DEFAULT_ACCEPTABLE_RANGE } from '../src/clock/index.js'
import { answerOffer } from '../src/sync/answer.js'
import { offerSize } from '../src/sync/capacity.js'
import { OfferBuilder, type OfferStats } from '../src/sync/offer.js'
import { packDatagrams } from '../src/sync/pack.js'
import type { Packet } from '../src/wire/index.js'
import type { Link, Side } from './reconcile-link.js'

/** What a Bloom walk run did. */
export interface BloomOutcome {
  /** Walk steps taken, both sides together (each is one request-response round trip). */
  steps: number
  /** Offers built by each side's builder (fresh, reused, skipped; by strategy). */
  offers: { a: OfferStats; b: OfferStats }
}

interface Walker {
  builder: OfferBuilder
  /** The peer's global time from its last introduction-response. */
  peerGlobalTime: number | undefined
  /** The identifier of the outstanding introduction-request. */
  identifier: number | undefined
  /** The token the peer issued to us, echoed in the next request. */
  token: Uint8Array
}

/**
 * Walk steps, alternately A → B and B → A, until every difference is on both sides or
 * `maxSteps` steps were taken (at least one step, so an idle walk is measured too).
 */
export async function bloomWalk(link: Link, differences: number, maxSteps: number): Promise<BloomOutcome> {
  const { overlay, sync } = link
  const size = offerSize(sync.datagramBudget, sync.falsePositiveRate, 'ipv4')
  const walkers = new Map<Side, Walker>()
  for (const side of [link.a, link.b]) {
    walkers.set(side, { builder: new OfferBuilder(overlay, sync, { store: side.store, rng: side.rng }), peerGlobalTime: undefined, identifier: undefined, token: link.peer(side).issued })
  }
  const state = (side: Side): Walker => walkers.get(side)!

  const handle = async (to: Side, from: Side, packet: Packet): Promise<void> => {
    switch (packet.type) {
      case 'introduction-request': {
        const globalTime = await to.store.maxGlobalTime(overlay)
        link.send(to, {
          type: 'introduction-response',
          destination: from.address,
          sourceLan: to.address,
          sourceWan: to.address,
          connectionType: 'public',
          identifier: packet.identifier,
          globalTime,
          token: to.issued
        })
        if (packet.sync === undefined) return
        const bloom = BloomFilter.fromWire(packet.sync.bloom)
        const answer = await answerOffer({ ...packet.sync, bloom }, { store: to.store, overlay, globalTime, rng: to.rng }, sync)
        for (const datagram of packDatagrams(answer.bundles, sync.datagramBudget, link.limits.maxBundlesPerDatagram)) link.send(to, { type: 'bundles', bundles: datagram })
        return
      }
      case 'introduction-response': {
        const w = state(to)
        if (packet.identifier !== w.identifier) return
        w.identifier = undefined
        if (packet.globalTime > 0) {
          // As the node: a responder at global time 0 (a tracker, an empty peer) is not counted as answering.
          w.builder.onAnswered(from.key)
          w.peerGlobalTime = packet.globalTime
        }
        if (packet.token !== undefined) w.token = packet.token
        return
      }
      case 'bundles': {
        const fresh = await link.accept(to, packet.bundles)
        state(to).builder.onStored(fresh, from.key)
        return
      }
      default:
        throw new Error(`bloom walk: unexpected ${packet.type}`)
    }
  }

  let steps = 0
  do {
    const walker = steps % 2 === 0 ? link.a : link.b
    const peer = link.peer(walker)
    const w = state(walker)
    await link.work(walker, async () => {
      const globalTime = await walker.store.maxGlobalTime(overlay)
      const offer = await w.builder.claim({
        globalTime,
        acceptable: globalTime + DEFAULT_ACCEPTABLE_RANGE,
        size,
        peerKey: peer.key,
        peerGlobalTime: w.peerGlobalTime,
        trackAnswers: true
      })
      w.identifier = walker.rng.u32()
      link.send(walker, {
        type: 'introduction-request',
        destination: peer.address,
        sourceLan: walker.address,
        sourceWan: walker.address,
        advice: true,
        connectionType: 'public',
        identifier: w.identifier,
        globalTime,
        sync: offer === null ? undefined : { timeLow: offer.timeLow, timeHigh: offer.timeHigh, modulo: offer.modulo, offset: offer.offset, bloom: { bits: offer.bloom.bits, k: offer.bloom.k, salt: offer.bloom.salt } },
        token: w.token
      })
    })
    await link.drain(handle)
    steps++
  } while (steps < maxSteps && link.a.fresh + link.b.fresh < differences)
  return { steps, offers: { a: { ...state(link.a).builder.stats }, b: { ...state(link.b).builder.stats } } }
}
