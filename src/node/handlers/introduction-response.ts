/**
 * introduction-response (A's side): accepted only from the walked address echoing an
 * outstanding identifier. Marks the responder walk, votes our WAN address, keeps its
 * address-validation token, and adds the introduced peer as intro, expecting its puncture.
 * `after` runs once the token is kept (first-contact follow-ups, ../first-contact.ts).
 */
import { chooseAddress, subnetKeys } from '../../nat/index.js'
import { addressKey, type Address, type IntroductionResponse } from '../../wire/index.js'
import type { NodeContext } from '../context.js'
import type { OverlayState } from '../overlay.js'
import type { OutstandingRequest } from '../requests.js'

/** Tokens remembered (one per responder address). */
const MAX_TOKENS = 1024

export function onIntroductionResponse(ctx: NodeContext, from: Address, overlay: OverlayState, res: IntroductionResponse, after?: (request: OutstandingRequest) => void): void {
  const now = ctx.clock.now()
  const key = addressKey(from)
  const request = ctx.requests.take(res.identifier, key)
  if (request === undefined || request.overlayKey !== overlay.key) {
    ctx.counters.drop('unexpected-response')
    return
  }
  // It received our random identifier at this address: the address is proven.
  ctx.guard.validate(key)
  overlay.candidates.recordWalkReply(key, { lan: res.sourceLan, wan: res.sourceWan, connectionType: res.connectionType }, now)
  // An answered round counts toward the skip curve; a silent address's does not (issue 8).
  // A responder at global time 0 (a tracker, or a peer with an empty store) holds nothing to
  // answer a filter with: its round says nothing about being in sync and is not counted.
  // A held-back answer (first contact) is not an answered round either: the retry asks again.
  // Nor is the answer to a validation probe, which carried no offer (walker.ts).
  if (res.globalTime > 0 && res.answerDeferred !== true && request.probe !== true) overlay.builder?.onAnswered(key)
  ctx.voter.vote(from, res.destination, res.sourceWan)
  if (res.globalTime > 0) {
    // One median vote per /24 (IPv4) or /48 (IPv6): many ports or hosts of one subnet are one peer (issue 8).
    overlay.clock.reportPeer(subnetKeys(from.host)?.narrow ?? key, res.globalTime, now)
    overlay.notePeerTime(key, res.globalTime)
  }
  if (res.token !== undefined) {
    ctx.tokens.delete(key)
    ctx.tokens.set(key, res.token)
    if (ctx.tokens.size > MAX_TOKENS) ctx.tokens.delete(ctx.tokens.keys().next().value as string)
  }
  after?.(request)
  // Global time 0: a tracker or an empty peer, with no sketch worth checking. After a
  // validation probe the check waits for the response to the offer that follows it.
  if (ctx.catchUpEnabled && ctx.role === 'peer' && res.globalTime > 0 && request.probe !== true) ctx.catchUp.maybeIdleCheck(overlay, from, res.globalTime)
  const intro = res.introduced
  if (intro === undefined) return
  const target = chooseAddress(intro.lan, intro.wan, ctx.wan().host)
  if (ctx.isSelf(target) || ctx.isSelf(intro.wan)) return
  overlay.candidates.recordIntro(addressKey(target), { lan: intro.lan, wan: intro.wan }, now)
  ctx.punctures.expect(res.identifier, [intro.lan, intro.wan], now)
}
