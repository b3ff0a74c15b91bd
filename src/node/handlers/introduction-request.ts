/**
 * introduction-request (B's side of a walk step, DESIGN §6): mark the walker stumble, vote
 * our WAN address, introduce a peer, ask that peer to puncture toward the walker, then
 * answer the sync offer within the response and anti-amplification budgets — or, when the
 * 3× bound would cut the answer to an unvalidated walker, say so and answer its echo instead.
 */
import { BloomFilter } from '../../bloom/index.js'
import { addressKey, encodePacket, parseAddressKey, type Address, type IntroductionRequest, type IntroductionResponse } from '../../wire/index.js'
import type { Bundle } from '../../bundle/types.js'
import { subnetKeys } from '../../nat/index.js'
import { answerOffer } from '../../sync/answer.js'
import { packDatagrams } from '../../sync/pack.js'
import type { NodeContext } from '../context.js'
import type { OverlayState } from '../overlay.js'

export async function onIntroductionRequest(ctx: NodeContext, from: Address, overlay: OverlayState, req: IntroductionRequest): Promise<void> {
  const now = ctx.clock.now()
  const key = addressKey(from)
  ctx.guard.checkToken(key, req.token)
  overlay.candidates.recordStumble(key, { lan: req.sourceLan, wan: req.sourceWan, connectionType: req.connectionType }, now)
  // Only a validated address's view of us is a WAN vote: spoofed requests must not choose our WAN
  // address (70 of them made a peer's address "ours", and its datagrams were dropped as self; issue 8).
  if (ctx.guard.isValidated(key)) ctx.voter.vote(from, req.destination, req.sourceWan)
  if (ctx.role === 'peer' && ctx.guard.isValidated(key)) {
    // One median vote per /24 (IPv4) or /48 (IPv6): many ports or hosts of one subnet are one peer (issue 8).
    overlay.clock.reportPeer(subnetKeys(from.host)?.narrow ?? key, req.globalTime, now)
    overlay.notePeerTime(key, req.globalTime)
  }

  // A member's Bloom offer in a private group acknowledges the MVDS records it holds (mvds.bloomAck).
  ctx.mvds?.layer.walkedBy(from, overlay.id, req.sync, ctx.guard.isValidated(key))

  const introduced = req.advice ? overlay.candidates.pickIntroduction(key, req.connectionType, req.sourceWan.host, now, ctx.rng) : undefined
  // The introduced peer's WAN address is where we reach it: our own observation, not its claim.
  const introducedWan = introduced === undefined ? undefined : (parseAddressKey(introduced.key) ?? undefined)
  const respond = async (answered: boolean): Promise<void> => {
    // (No offer: nothing to wait for, the response leaves at once.)
    const datagrams = req.sync === undefined || !answered ? [] : await answer(ctx, overlay, req)
    const response: IntroductionResponse = {
      type: 'introduction-response',
      destination: from,
      sourceLan: ctx.lan(),
      sourceWan: ctx.wan(),
      introduced: introduced === undefined || introducedWan === undefined ? undefined : { lan: introduced.lan, wan: introducedWan },
      connectionType: ctx.connectionType(),
      identifier: req.identifier,
      globalTime: ctx.role === 'peer' ? overlay.clock.time : 0,
      token: ctx.guard.token(key)
    }
    // First contact (DESIGN §13): an answer the 3× bound would cut is not sent piecemeal. The
    // response says so; the walker echoes the token at once and its next request is answered whole.
    const deferred = datagrams.length > 0 && !ctx.guard.isValidated(key) && answerBytes(overlay, response, datagrams) > ctx.guard.remaining(key)
    if (deferred) response.answerDeferred = true
    ctx.send(from, overlay.id, response, 'destination')
    if (introduced !== undefined && introducedWan !== undefined && ctx.punctureRequests) {
      // The walker's WAN address is where its request came from.
      ctx.send(introducedWan, overlay.id, { type: 'puncture-request', walkerLan: req.sourceLan, walkerWan: from, identifier: req.identifier }, 'destination')
    }
    if (deferred) {
      ctx.counters.answersDeferred++
      return
    }
    for (const datagram of datagrams) {
      if (!ctx.send(from, overlay.id, { type: 'bundles', bundles: datagram }, 'destination')) break
    }
  }
  if (req.sync === undefined || ctx.role !== 'peer' || ctx.store === undefined) return respond(false)
  // Enough answers to this walker (or to all) are being read from the store already, or this
  // walker or its host had its rate of answers (a flood): introduce, answer nothing.
  if (!overlay.answers.admit(key, from, now)) {
    ctx.counters.answersShed++
    return respond(false)
  }
  // The walker's idle check waits for this answer (pending-answers.ts): it must not ask for these bundles again.
  await overlay.answers.track(key, () => respond(true))
}

/** The datagrams answering the request's sync offer (none without an offer, or on a tracker). */
async function answer(ctx: NodeContext, overlay: OverlayState, req: IntroductionRequest): Promise<Bundle[][]> {
  if (req.sync === undefined || ctx.role !== 'peer' || ctx.store === undefined) return []
  const bloom = BloomFilter.fromWire(req.sync.bloom)
  const answer = await answerOffer({ ...req.sync, bloom }, { store: ctx.store, overlay: overlay.id, globalTime: overlay.clock.time, rng: ctx.rng, activeFrom: ctx.activeFrom(overlay) }, ctx.sync)
  return packDatagrams(answer.bundles, ctx.sync.datagramBudget, ctx.limits.maxBundlesPerDatagram)
}

/** Bytes of the response (flagged) and of every answer datagram, as they would be sent. */
function answerBytes(overlay: OverlayState, response: IntroductionResponse, datagrams: readonly Bundle[][]): number {
  let bytes = encodePacket(overlay.id, { ...response, answerDeferred: true }).length
  for (const d of datagrams) bytes += encodePacket(overlay.id, { type: 'bundles', bundles: d }).length
  return bytes
}
