/**
 * One walk step of one overlay (DESIGN §6): purge expired candidates, pick a target, claim
 * a sync offer, send the introduction-request, and arm its 10.5 s timeout.
 *
 * A target that has not validated its address (a stumble candidate whose request may have
 * been spoofed, an introduced peer we never heard from, a tracker not yet answered) gets a
 * validation probe: the introduction-request without a sync offer (~100 bytes instead of
 * ~1.2 KB), charged to its anti-amplification budget ('probe': 3× what it sent us, or its
 * one first-contact probe per 20 s; an introduced one, 'vouched-probe', keeps that probe
 * after it sent us something). Its response validates it, and first-contact.ts follows up at
 * once with the full offer. A probe that is not answered drops the candidate from the table
 * (trusted entries stay): a spoofed source is walked to at most once. Walks to validated or
 * operator-configured (trusted) addresses are counted, never refused ('initiated').
 */
import { addressKey, isIPv6, parseAddressKey, type Address } from '../wire/index.js'
import type { OfferSize } from '../sync/offer.js'
import type { NodeContext } from './context.js'
import type { TypedEvents, NodeEvents } from './events.js'
import type { OverlayState } from './overlay.js'

export interface WalkDeps {
  sizes: Record<'ipv4' | 'ipv6', OfferSize>
  requestTimeoutMs: number
  events: TypedEvents<NodeEvents>
}

export async function walkStep(ctx: NodeContext, overlay: OverlayState, deps: WalkDeps): Promise<void> {
  const now = ctx.clock.now()
  overlay.candidates.purge(now)
  ctx.punctures.expire(now)
  // Within the drawn category, peers that have forwarded us a bundle first: a Sybil that
  // forwards nothing is walked to only when no forwarder of that category is eligible.
  // A trusted peer that reported a global time above ours is ahead of us: trusted peers get
  // a larger share of the steps until we have caught up (docs/security.md, rule 6).
  const builder = overlay.builder
  const ahead = (k: string): boolean => (overlay.peerTime(k) ?? 0) > overlay.clock.time
  const target = overlay.candidates.nextWalkTarget(now, ctx.rng, builder === undefined ? undefined : (k) => builder.isForwarder(k), ahead)
  if (target === undefined) return
  const to = parseAddressKey(target.key)
  if (to === null) return
  await sendIntroductionRequest(ctx, overlay, to, deps, { advice: true, offer: true, followUp: false })
}

/**
 * Sends one introduction-request to `to` (a walk step, or a first-contact follow-up):
 * claims a sync offer when asked, records the walk, arms the 10.5 s timeout.
 * `followUp`: a request sent at once after a first contact (its response never starts another).
 * `retry` (default `followUp`): the offer repeats one that said nothing, so the skip curve does not apply.
 */
export async function sendIntroductionRequest(ctx: NodeContext, overlay: OverlayState, to: Address, deps: WalkDeps, o: { advice: boolean; offer: boolean; followUp: boolean; retry?: boolean }): Promise<void> {
  const now = ctx.clock.now()
  const key = addressKey(to)
  const probe = !ctx.guard.isValidated(key)
  const candidate = overlay.candidates.get(key)
  const trusted = candidate?.trusted === true
  // Introduced by a validated peer (or punctured us with the identifier we gave it): vouched for.
  const vouched = candidate?.lastIntro !== undefined
  let identifier = ctx.rng.u32()
  while (ctx.requests.has(identifier)) identifier = ctx.rng.u32()
  const offer =
    overlay.builder === undefined || !o.offer || probe
      ? null
      : await overlay.builder.claim({
          globalTime: overlay.clock.time,
          acceptable: overlay.clock.acceptableUpper(now),
          size: deps.sizes[isIPv6(to) ? 'ipv6' : 'ipv4'],
          peerKey: key,
          peerGlobalTime: overlay.peerTime(key),
          trackAnswers: true,
          // A Sybil that claims to be in sync and forwards nothing must not make us skip offers to everybody.
          barrenFromForwardersOnly: true,
          retry: o.retry ?? o.followUp
        })
  overlay.candidates.recordWalk(key, now)
  const cancelTimeout = ctx.clock.setTimeout(() => {
    if (ctx.requests.expire(identifier) === undefined) return
    ctx.counters.walkTimeouts++
    // An address that never proved it receives, and did not answer now: forget it (a trusted one stays).
    const unanswered = probe && !ctx.guard.isValidated(key) && overlay.candidates.get(key)?.trusted === false
    overlay.candidates.walkTimedOut(key, ctx.clock.now())
    if (unanswered) {
      overlay.candidates.remove(key)
      ctx.counters.probesDropped++
    }
  }, deps.requestTimeoutMs)
  const token = ctx.tokens.get(key)
  ctx.requests.add({ identifier, overlayKey: overlay.key, peerKey: key, sentAt: now, cancelTimeout, sentToken: token !== undefined, followUp: o.followUp, probe })
  ctx.counters.walks++
  const sent = ctx.send(
    to,
    overlay.id,
    {
      type: 'introduction-request',
      destination: to,
      sourceLan: ctx.lan(),
      sourceWan: ctx.wan(),
      advice: o.advice,
      connectionType: ctx.connectionType(),
      identifier,
      globalTime: overlay.clock.time,
      sync: offer === null ? undefined : { timeLow: offer.timeLow, timeHigh: offer.timeHigh, modulo: offer.modulo, offset: offer.offset, bloom: { bits: offer.bloom.bits, k: offer.bloom.k, salt: offer.bloom.salt } },
      token
    },
    !probe || trusted ? 'initiated' : vouched ? 'vouched-probe' : 'probe'
  )
  if (probe && sent) ctx.counters.walkProbes++
  deps.events.emit('walk', { overlay: overlay.id, to })
}
