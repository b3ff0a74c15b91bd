/**
 * No stall at first contact (DESIGN §13). Two peers that never met validate each other's
 * address in their first exchange instead of one walk step (27.5 s) later:
 *
 * - a response to a validation probe (our walk to an address that had not validated carried
 *   no offer, walker.ts) is followed at once by the walk's real request: the full offer,
 *   echoing the responder's token so it validates us too;
 * - a response that says our sync answer was held back (the responder had not validated us,
 *   and the 3× bound would have cut it) is followed at once by a new request echoing its
 *   token, with a fresh offer: that one is answered whole;
 * - while the overlay has fewer validated candidates than the push fanout, a first response
 *   (our request carried no token of theirs) is followed at once by a small request echoing
 *   the token (no offer, no introduction), so the responder can push to us too;
 * - in that same state, a peer whose puncture just arrived (its NAT is open toward us) is
 *   walked to at once rather than at a later step.
 *
 * Each follow-up answers one response or one matched puncture, and a follow-up's own
 * response never starts another: the work is bounded by the walks and punctures.
 */
import type { OverlayWalk } from './overlay.js'
import type { OutstandingRequest } from './requests.js'
import type { Walker } from './walker.js'
import { addressKey, type Address, type IntroductionResponse } from '../wire/index.js'

export interface FirstContactStats {
  /** Requests re-sent at once with the token after a held-back answer. */
  retries: number
  /** Requests with the full offer sent at once after a validation probe was answered. */
  afterProbe: number
  /** Small requests sent at once to echo a first token. */
  echoes: number
  /** Walks made at once to a peer whose puncture arrived. */
  punctureWalks: number
}

/** What first contact uses of the node (a peer's: a tracker never follows up). */
export interface FirstContactComponents {
  /** Sends the follow-ups; keeps the node's `stop()` waiting for one in flight. */
  walker: Pick<Walker, 'request' | 'track'>
  /** Validated push candidates of the overlay now, and how many push wants. */
  validated(overlay: OverlayWalk): number
  wanted: number
}

export class FirstContact {
  readonly #c: FirstContactComponents
  readonly #stats: FirstContactStats = { retries: 0, afterProbe: 0, echoes: 0, punctureWalks: 0 }
  #stopped = false

  constructor(components: FirstContactComponents) {
    this.#c = components
  }

  stats(): FirstContactStats {
    return { ...this.#stats }
  }

  start(): void {
    this.#stopped = false
  }

  stop(): void {
    this.#stopped = true
  }

  /** After an accepted introduction-response to `request`. */
  onResponse(overlay: OverlayWalk, from: Address, res: IntroductionResponse, request: OutstandingRequest): void {
    if (this.#stopped || request.followUp === true || res.token === undefined) return
    if (res.answerDeferred === true) {
      this.#stats.retries++
      this.#c.walker.track(this.#c.walker.request(overlay, from, { advice: false, offer: true, followUp: true }))
    } else if (request.probe === true && res.globalTime > 0) {
      // The responder holds bundles: the offer the probe left out goes now (the skip curve
      // applies to it as to any walk's offer).
      this.#stats.afterProbe++
      this.#c.walker.track(this.#c.walker.request(overlay, from, { advice: false, offer: true, followUp: true, retry: false }))
    } else if (request.sentToken !== true && this.#c.validated(overlay) < this.#c.wanted) {
      this.#stats.echoes++
      this.#c.walker.track(this.#c.walker.request(overlay, from, { advice: false, offer: false, followUp: true }))
    }
  }

  /** After a matched puncture from `from` (now an intro candidate). */
  onPunctured(overlay: OverlayWalk, from: Address): void {
    if (this.#stopped || this.#c.validated(overlay) >= this.#c.wanted) return
    const c = overlay.candidates.get(addressKey(from))
    if (c === undefined || c.lastWalk !== undefined) return
    this.#stats.punctureWalks++
    this.#c.walker.track(this.#c.walker.request(overlay, from, { advice: true, offer: true, followUp: false }))
  }
}
