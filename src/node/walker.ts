/**
 * The walker (DESIGN §6, §12): the walk steps of every overlay on their timers, the
 * introduction-requests they send and their 10.5 s timeouts, the tokens peers issued us, the
 * punctures we expect and the WAN address peers vote for. It handles introduction-request,
 * introduction-response, puncture-request and puncture (one handler file each, ./handlers),
 * and owns every timer it arms: {@link Walker.stop} cancels them and waits for the steps in
 * flight.
 *
 * A walk step purges expired candidates, picks a target, claims a sync offer and sends the
 * introduction-request. A target that has not validated its address (a stumble candidate
 * whose request may have been spoofed, an introduced peer we never heard from, a tracker not
 * yet answered) gets a validation probe: the introduction-request without a sync offer (~100
 * bytes instead of ~1.2 KB), charged to its anti-amplification budget ('probe': 3× what it
 * sent us, or its one first-contact probe per 20 s; an introduced one, 'vouched-probe', keeps
 * that probe after it sent us something). Its response validates it, and first-contact.ts
 * follows up at once with the full offer. A probe that is not answered drops the candidate
 * from the table (trusted entries stay): a spoofed source is walked to at most once. Walks to
 * validated or operator-configured (trusted) addresses are counted, never refused ('initiated').
 *
 * A tracker runs a walker without a {@link WalkerPeer}: it answers introductions and never
 * walks, answers offers or follows up.
 */
import { addressKey, isIPv6, parseAddressKey, sameAddress, type Address } from '../wire/index.js'
import { PunctureTracker, WanVoter, type ConnectionType } from '../nat/index.js'
import type { HandlerTable } from './dispatcher.js'
import { onIntroductionRequest } from './handlers/introduction-request.js'
import { onIntroductionResponse } from './handlers/introduction-response.js'
import { onPuncture } from './handlers/puncture.js'
import { onPunctureRequest } from './handlers/puncture-request.js'
import type { OverlayWalk } from './overlay.js'
import { RequestCache } from './requests.js'
import type { Cancel } from '../env/clock.js'
import type { RequestOptions, WalkerComponents, WalkerInit, WalkerPeer, WalkerView } from './walker-types.js'

export type { RequestOptions, WalkerComponents, WalkerInit, WalkerPeer } from './walker-types.js'

/** Tokens remembered (one per responder address). */
const MAX_TOKENS = 1024

export class Walker implements WalkerView {
  readonly init: Readonly<WalkerInit>
  readonly c: WalkerComponents
  readonly peer: WalkerPeer | undefined
  readonly requests = new RequestCache()
  readonly punctures: PunctureTracker
  readonly voter: WanVoter
  /** Tokens peers issued to us, by their address key (echoed in our next request). */
  readonly #tokens = new Map<string, Uint8Array>()
  /** The walked overlays and their step: the timer of the next one, and whether one is in flight. */
  readonly #walking = new Map<OverlayWalk, { cancel: Cancel | undefined; stepping: boolean }>()
  readonly #inflight = new Set<Promise<void>>()
  #running = false

  constructor(components: WalkerComponents, init: WalkerInit, peer?: WalkerPeer) {
    this.c = components
    this.init = init
    this.peer = peer
    this.voter = new WanVoter({ lan: init.lan })
    this.punctures = new PunctureTracker({ timeoutMs: init.requestTimeoutMs })
  }

  /** The packet types the walker handles. */
  handlers(): HandlerTable {
    return {
      'introduction-request': (from, overlay, req) => onIntroductionRequest(this, from, overlay, req),
      'introduction-response': (from, overlay, res) => onIntroductionResponse(this, from, overlay, res),
      'puncture-request': (from, overlay, req) => onPunctureRequest(this, from, overlay, req),
      puncture: (from, overlay, p) => onPuncture(this, from, overlay, p)
    }
  }

  /** Our LAN address. */
  lan(): Address {
    return this.voter.lan
  }

  /** Our WAN address as voted by peers (the LAN address until votes arrive). */
  wan(): Address {
    return this.voter.wan ?? this.voter.lan
  }

  connectionType(): ConnectionType {
    return this.voter.connectionType()
  }

  /** True when `address` is one of ours. */
  isSelf(a: Address): boolean {
    return sameAddress(a, this.voter.lan) || (this.voter.wan !== undefined && sameAddress(a, this.voter.wan))
  }

  /** Keeps the token a responder issued us (bounded; the oldest responder's dropped first). */
  keepToken(key: string, token: Uint8Array): void {
    this.#tokens.delete(key)
    this.#tokens.set(key, token)
    if (this.#tokens.size > MAX_TOKENS) this.#tokens.delete(this.#tokens.keys().next().value as string)
  }

  /** The walker (re)started: walking overlays may step again. */
  start(): void {
    this.#running = true
  }

  /** Walks the overlay: its first step at once (`delay` 0), then one per step interval. */
  walk(overlay: OverlayWalk, delay = 0): void {
    let step = this.#walking.get(overlay)
    if (step === undefined) this.#walking.set(overlay, (step = { cancel: undefined, stepping: false }))
    this.#schedule(overlay, step, delay)
  }

  /** Whether the overlay is walked now (a step is scheduled). */
  isWalking(overlay: OverlayWalk): boolean {
    return this.#walking.get(overlay)?.cancel !== undefined
  }

  /** Stops walking the overlay (a private group is never walked). */
  unwalk(overlay: OverlayWalk): void {
    const step = this.#walking.get(overlay)
    if (step === undefined) return
    step.cancel?.()
    step.cancel = undefined
  }

  /** Cancels every step timer: nothing new starts. The steps in flight finish ({@link stop} waits for them). */
  halt(): void {
    this.#running = false
    for (const step of this.#walking.values()) {
      step.cancel?.()
      step.cancel = undefined
    }
  }

  /** Halts, waits for the steps in flight, then cancels every request's timeout. Idempotent. */
  async stop(): Promise<void> {
    this.halt()
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight])
    this.requests.clear()
  }

  /** Keeps {@link stop} waiting for a walk started elsewhere (a first-contact follow-up). */
  track(p: Promise<void>): void {
    this.#inflight.add(p)
    void p.finally(() => this.#inflight.delete(p))
  }

  #schedule(overlay: OverlayWalk, step: { cancel: Cancel | undefined; stepping: boolean }, delay: number): void {
    step.cancel?.()
    step.cancel = this.c.clock.setTimeout(() => {
      if (!this.#running) return
      this.#schedule(overlay, step, this.init.stepIntervalMs)
      if (step.stepping) return
      step.stepping = true
      this.c.counters.walkSteps++
      this.track(
        this.#step(overlay)
          .then(() => this.peer?.afterStep(overlay))
          .catch((err: unknown) => {
            // A store that stopped serving (a failed write) makes the step fail; it re-opens
            // itself on a later step. Nothing here may reject into the timer.
            const counters = this.c.counters
            counters.walkErrors++
            if (counters.walkErrors <= 10 || counters.walkErrors % 1000 === 0) {
              this.c.log.warn('walk step failed', { overlay: overlay.key, walkErrors: counters.walkErrors, error: err instanceof Error ? err.message : String(err) })
            }
          })
          .finally(() => {
            step.stepping = false
          })
      )
    }, delay)
  }

  /** One walk step of one overlay. */
  async #step(overlay: OverlayWalk): Promise<void> {
    const now = this.c.clock.now()
    overlay.purgeCandidates(now)
    this.punctures.expire(now)
    // Within the drawn category, peers that have forwarded us a bundle first: a Sybil that
    // forwards nothing is walked to only when no forwarder of that category is eligible.
    // A trusted peer that reported a global time above ours is ahead of us: trusted peers get
    // a larger share of the steps until we have caught up (docs/security.md, rule 6).
    const builder = this.peer?.offers(overlay)
    const ahead = (k: string): boolean => (overlay.peerTime(k) ?? 0) > overlay.clock.time
    const target = overlay.candidates.nextWalkTarget(now, this.c.rng, builder === undefined ? undefined : (k) => builder.isForwarder(k), ahead)
    if (target === undefined) return
    const to = parseAddressKey(target.key)
    if (to === null) return
    await this.request(overlay, to, { advice: true, offer: true, followUp: false })
  }

  /**
   * Sends one introduction-request to `to` (a walk step, or a first-contact follow-up):
   * claims a sync offer when asked, records the walk, arms the 10.5 s timeout.
   */
  async request(overlay: OverlayWalk, to: Address, o: RequestOptions): Promise<void> {
    const { clock, rng, guard, counters } = this.c
    const now = clock.now()
    const key = addressKey(to)
    const probe = !guard.isValidated(key)
    const candidate = overlay.candidates.get(key)
    const trusted = candidate?.trusted === true
    // Introduced by a validated peer (or punctured us with the identifier we gave it): vouched for.
    const vouched = candidate?.lastIntro !== undefined
    let identifier = rng.u32()
    while (this.requests.has(identifier)) identifier = rng.u32()
    const offers = this.peer?.offers(overlay)
    const offer =
      offers === undefined || !o.offer || probe
        ? null
        : await offers.claim({
            globalTime: overlay.clock.time,
            acceptable: overlay.clock.acceptableUpper(now),
            size: this.init.sizes[isIPv6(to) ? 'ipv6' : 'ipv4'],
            peerKey: key,
            peerGlobalTime: overlay.peerTime(key),
            trackAnswers: true,
            // A Sybil that claims to be in sync and forwards nothing must not make us skip offers to everybody.
            barrenFromForwardersOnly: true,
            retry: o.retry ?? o.followUp
          })
    overlay.recordWalk(key, now)
    const cancelTimeout = clock.setTimeout(() => {
      if (this.requests.expire(identifier) === undefined) return
      counters.walkTimeouts++
      // An address that never proved it receives, and did not answer now: forget it (a trusted one stays).
      const unanswered = probe && !guard.isValidated(key) && overlay.candidates.get(key)?.trusted === false
      overlay.walkTimedOut(key, clock.now())
      if (unanswered) {
        overlay.removeCandidate(key)
        counters.probesDropped++
      }
    }, this.init.requestTimeoutMs)
    const token = this.#tokens.get(key)
    this.requests.add({ identifier, overlayKey: overlay.key, peerKey: key, sentAt: now, cancelTimeout, sentToken: token !== undefined, followUp: o.followUp, probe })
    counters.walks++
    const sent = this.c.send(
      to,
      overlay.id,
      {
        type: 'introduction-request',
        destination: to,
        sourceLan: this.lan(),
        sourceWan: this.wan(),
        advice: o.advice,
        connectionType: this.connectionType(),
        identifier,
        globalTime: overlay.clock.time,
        sync: offer === null ? undefined : { timeLow: offer.timeLow, timeHigh: offer.timeHigh, modulo: offer.modulo, offset: offer.offset, bloom: { bits: offer.bloom.bits, k: offer.bloom.k, salt: offer.bloom.salt } },
        token
      },
      !probe || trusted ? 'initiated' : vouched ? 'vouched-probe' : 'probe'
    )
    if (probe && sent) counters.walkProbes++
    this.c.events.emit('walk', { overlay: overlay.id, to })
  }
}
