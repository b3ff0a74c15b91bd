/** Mutable counters behind {@link TransportStats} (internal to `transport`). */
import { type TransportDropReason, type TransportStats, TRANSPORT_DROP_REASONS } from './types.js'

/** The live counters of one transport; {@link TransportCounters.snapshot} freezes a copy. */
export class TransportCounters {
  datagramsSent = 0
  bytesSent = 0
  datagramsReceived = 0
  bytesReceived = 0
  sendErrors = 0
  socketErrors = 0
  handlerErrors = 0
  readonly drops: Record<TransportDropReason, number> = { oversize: 0, closed: 0, invalidAddress: 0, offline: 0, noHandler: 0 }

  sent(bytes: number): void {
    this.datagramsSent++
    this.bytesSent += bytes
  }

  received(bytes: number): void {
    this.datagramsReceived++
    this.bytesReceived += bytes
  }

  drop(reason: TransportDropReason): void {
    this.drops[reason]++
  }

  snapshot(): TransportStats {
    const drops = { ...this.drops }
    return Object.freeze({
      datagramsSent: this.datagramsSent,
      bytesSent: this.bytesSent,
      datagramsReceived: this.datagramsReceived,
      bytesReceived: this.bytesReceived,
      sendErrors: this.sendErrors,
      socketErrors: this.socketErrors,
      handlerErrors: this.handlerErrors,
      dropped: TRANSPORT_DROP_REASONS.reduce((n, r) => n + drops[r], 0),
      drops: Object.freeze(drops)
    })
  }
}
