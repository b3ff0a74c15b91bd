/**
 * Bloom answers in progress, per walker (issue 22). A walker idle-checks the peer it walked
 * to as soon as the introduction-response arrives, while that peer is still reading the
 * bundles that answer the walker's offer from its store. Answered first, the symbols would
 * show the walker lacking exactly those bundles, and it would fetch them a second time: on
 * real processes that doubled the bundles sent (the simulator, where handlers take no time,
 * never showed it). So a symbols-request from a walker waits until our answer to its offer
 * has left. Bounded: beyond {@link MAX_PENDING_ANSWERS} answers in progress, more are not
 * tracked (a request then waits for none).
 */

/** Answers in progress tracked per overlay. */
export const MAX_PENDING_ANSWERS = 256

export class PendingAnswers {
  readonly #pending = new Map<string, Promise<void>>()
  readonly #max: number

  constructor(max = MAX_PENDING_ANSWERS) {
    this.#max = max
  }

  /** Answers in progress. */
  get size(): number {
    return this.#pending.size
  }

  /** Runs `answer` for the walker at `peerKey`, tracked until it settles; resolves or rejects as it does. */
  track(peerKey: string, answer: () => Promise<void>): Promise<void> {
    const work = answer()
    if (this.#pending.size >= this.#max && !this.#pending.has(peerKey)) return work
    const settled = work.then(
      () => undefined,
      () => undefined
    )
    this.#pending.set(peerKey, settled)
    void settled.then(() => {
      if (this.#pending.get(peerKey) === settled) this.#pending.delete(peerKey)
    })
    return work
  }

  /** Resolves once the answer to `peerKey` in progress (if any) has settled; never rejects. */
  settled(peerKey: string): Promise<void> {
    return this.#pending.get(peerKey) ?? Promise.resolve()
  }

  /** Forgets every answer (they finish on their own). */
  stop(): void {
    this.#pending.clear()
  }
}
