/**
 * Outstanding introduction-requests: a random 32-bit identifier bound to the address it
 * was sent to and the overlay. A response is accepted only from that address, echoing an
 * outstanding identifier (DESIGN §9). Bounded: the oldest is dropped first.
 */

export interface OutstandingRequest {
  identifier: number
  overlayKey: string
  /** Address key the request was sent to. */
  peerKey: string
  sentAt: number
  cancelTimeout: () => void
  /** The request echoed a token the peer issued us (so it was not our first contact). */
  sentToken?: boolean
  /** A first-contact follow-up: its response never starts another one. */
  followUp?: boolean
  /** A validation probe: sent without a sync offer because the address had not validated (walker.ts). */
  probe?: boolean
}

export class RequestCache {
  readonly #byId = new Map<number, OutstandingRequest>()
  readonly #max: number
  #evicted = 0

  constructor(max = 1024) {
    this.#max = max
  }

  /** Requests dropped (and their timeouts cancelled) at the bound, oldest first. */
  get evicted(): number {
    return this.#evicted
  }

  get size(): number {
    return this.#byId.size
  }

  has(identifier: number): boolean {
    return this.#byId.has(identifier)
  }

  add(request: OutstandingRequest): void {
    this.#byId.set(request.identifier, request)
    while (this.#byId.size > this.#max) {
      const oldest = this.#byId.values().next().value as OutstandingRequest
      oldest.cancelTimeout()
      this.#byId.delete(oldest.identifier)
      this.#evicted++
    }
  }

  /** Removes and returns the request when `identifier` is outstanding and was sent to `peerKey`. */
  take(identifier: number, peerKey: string): OutstandingRequest | undefined {
    const r = this.#byId.get(identifier)
    if (r === undefined || r.peerKey !== peerKey) return undefined
    this.#byId.delete(identifier)
    r.cancelTimeout()
    return r
  }

  /** Removes the request (its timeout fired). */
  expire(identifier: number): OutstandingRequest | undefined {
    const r = this.#byId.get(identifier)
    if (r !== undefined) this.#byId.delete(identifier)
    return r
  }

  clear(): void {
    for (const r of this.#byId.values()) r.cancelTimeout()
    this.#byId.clear()
  }
}
