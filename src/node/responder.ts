/**
 * The responder (DESIGN §12): answers what peers ask of our store — the Bloom offer riding
 * on an introduction-request, and bundle-requests by id or `newer_than` — within the
 * response budget, the per-walker and per-overlay bounds on answers in progress
 * (./pending-answers.ts) and the anti-amplification limit (the node's `send` charges it).
 * It keeps no timers: every answer is awaited by the handler that asked for it.
 */
import { BloomFilter } from '../bloom/index.js'
import type { Bundle } from '../bundle/types.js'
import type { Clock } from '../env/clock.js'
import type { Rng } from '../env/rng.js'
import { answerOffer } from '../sync/answer.js'
import { packDatagrams } from '../sync/pack.js'
import { addressKey, type Address, type IntroductionRequest } from '../wire/index.js'
import type { HandlerTable } from './dispatcher.js'
import { onBundleRequest, serveBundles, type BundleRequestComponents, type WantedBundles } from './handlers/bundle-request.js'
import type { Ledger } from './ledger.js'
import type { Overlay, OverlayWalk } from './overlay.js'
import { answerRatePerWalker, PendingAnswers } from './pending-answers.js'
import type { Counters } from './stats.js'

/** What the responder uses of the node. */
export interface ResponderComponents extends BundleRequestComponents {
  readonly clock: Clock
  /** For the scan order of an answer (random within the offered range). */
  readonly rng: Rng
  readonly counters: Pick<Counters, 'drop' | 'answersShed'>
}

export class Responder {
  readonly c: ResponderComponents
  /** Our Bloom answers in progress, per overlay and walker (bounded, ./pending-answers.ts). */
  readonly #answers = new Map<string, PendingAnswers>()

  constructor(components: ResponderComponents) {
    this.c = components
  }

  /** Resolves once our answer in progress to the walker `peerKey`'s offer (if any) has left; never rejects. Catch-up's symbols wait for it. */
  settled(overlay: OverlayWalk, peerKey: string): Promise<void> {
    return this.#answersOf(overlay).settled(peerKey)
  }

  #answersOf(overlay: OverlayWalk): PendingAnswers {
    let answers = this.#answers.get(overlay.key)
    if (answers === undefined) {
      answers = new PendingAnswers(undefined, { ratePerWalker: answerRatePerWalker(overlay.candidates.options.walkEligibleDelayMs) })
      this.#answers.set(overlay.key, answers)
    }
    return answers
  }

  /** The packet types the responder handles. */
  handlers(): HandlerTable {
    return { 'bundle-request': (from, overlay, req) => onBundleRequest(this.c, from, overlay, req) }
  }

  /** Answers a request for bundles by id or short id (a symbols-request's `fetch`, `fetch_short`), as a bundle-request is answered. */
  serveBundles(from: Address, overlay: OverlayWalk, want: WantedBundles): Promise<void> {
    return serveBundles(this.c, from, overlay, want)
  }

  /**
   * Answers the Bloom offer of an introduction-request: `respond(datagrams)` sends the
   * introduction-response and says whether the answer is held back (first contact). While
   * enough answers to this walker (or to all) are being read from the store already, or this
   * walker or its host had its rate of answers (a flood), the walker is introduced and
   * answered nothing.
   */
  async answerOffer(from: Address, overlay: OverlayWalk, req: IntroductionRequest, respond: (datagrams: readonly Bundle[][]) => boolean): Promise<void> {
    const key = addressKey(from)
    const answers = this.#answersOf(overlay)
    if (!answers.admit(key, from, this.c.clock.now())) {
      this.c.counters.answersShed++
      respond([])
      return
    }
    // The walker's idle check waits for this answer (pending-answers.ts): it must not ask for these bundles again.
    await answers.track(key, async () => {
      const datagrams = await this.#answer(overlay, req)
      if (respond(datagrams)) return
      for (const datagram of datagrams) {
        if (!this.c.send(from, overlay.id, { type: 'bundles', bundles: datagram }, 'destination')) break
      }
    })
  }

  /** The datagrams answering the request's sync offer (none without one, or without a ledger). */
  async #answer(overlay: Overlay, req: IntroductionRequest): Promise<Bundle[][]> {
    const ledger = this.c.ledger(overlay)
    if (req.sync === undefined || ledger === undefined) return []
    const bloom = BloomFilter.fromWire(req.sync.bloom)
    // Nothing the policy no longer answers, nor what the walker's time has pruned (DESIGN §14).
    const activeFrom = Math.max(ledger.activeFrom(), ledger.keptAt(req.globalTime))
    const answer = await answerOffer({ ...req.sync, bloom }, { store: this.c.store, overlay: overlay.id, globalTime: ledger.clock.time, rng: this.c.rng, activeFrom }, this.c.sync)
    return packDatagrams(answer.bundles, this.c.sync.datagramBudget, this.c.limits.maxBundlesPerDatagram)
  }
}
