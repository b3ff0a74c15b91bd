/**
 * A {@link Transport} decorator that records the size of every datagram handed to
 * `send()`, before the inner transport sees it (so a datagram the inner transport would drop
 * as oversize is still counted and seen). The demo sums these; the loopback test asserts
 * the datagram budget on every send.
 */
import type { Address, Transport, TransportStats } from '../transport/types.js'

/** What a {@link CountingTransport} has seen sent. */
export interface SendCounts {
  datagrams: number
  bytes: number
  /** Largest datagram, bytes (0 before the first send). */
  maxDatagramBytes: number
}

export class CountingTransport implements Transport {
  readonly inner: Transport
  datagrams = 0
  bytes = 0
  maxDatagramBytes = 0
  /** Called with every datagram before it is forwarded. */
  readonly #onSend: ((to: Address, bytes: Uint8Array) => void) | undefined

  constructor(inner: Transport, onSend?: (to: Address, bytes: Uint8Array) => void) {
    this.inner = inner
    this.#onSend = onSend
  }

  get onPacket(): Transport['onPacket'] {
    return this.inner.onPacket
  }

  set onPacket(handler: Transport['onPacket']) {
    this.inner.onPacket = handler
  }

  send(to: Address, bytes: Uint8Array): void {
    this.datagrams++
    this.bytes += bytes.byteLength
    if (bytes.byteLength > this.maxDatagramBytes) this.maxDatagramBytes = bytes.byteLength
    this.#onSend?.(to, bytes)
    this.inner.send(to, bytes)
  }

  address(): Address {
    return this.inner.address()
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  stats(): TransportStats {
    return this.inner.stats()
  }

  counts(): SendCounts {
    return { datagrams: this.datagrams, bytes: this.bytes, maxDatagramBytes: this.maxDatagramBytes }
  }
}
