/**
 * The mailserver's unreliability (docs/evaluation.md, "Mailserver"): a {@link Transport}
 * decorator that drops each outgoing datagram of the chosen kinds with probability
 * 1 − reliability before it reaches the network. With `bundles` chosen, a bloom
 * mailserver answers every offer but a tenth of its answer datagrams (at 90 %) never leave.
 */
import { chance, type Rng } from '../env/rng.js'
import type { Address, MemoryTransport, MulticastTransport, TransportStats } from '../transport/index.js'

export class UnreliableTransport implements MulticastTransport {
  readonly inner: MemoryTransport
  /** Datagrams and bytes dropped on purpose. */
  dropped = { datagrams: 0, bytes: 0 }
  readonly #reliability: number
  readonly #rng: Rng
  readonly #applies: (bytes: Uint8Array) => boolean

  /** `applies(bytes)` says whether a datagram is subject to the drop (default: all). */
  constructor(inner: MemoryTransport, reliability: number, rng: Rng, applies: (bytes: Uint8Array) => boolean = () => true) {
    this.inner = inner
    this.#reliability = reliability
    this.#rng = rng
    this.#applies = applies
  }

  get onPacket(): MulticastTransport['onPacket'] {
    return this.inner.onPacket
  }

  set onPacket(handler: MulticastTransport['onPacket']) {
    this.inner.onPacket = handler
  }

  send(to: Address, bytes: Uint8Array): void {
    if (!this.#drop(bytes)) this.inner.send(to, bytes)
  }

  publish(topic: string, bytes: Uint8Array): void {
    if (!this.#drop(bytes)) this.inner.publish(topic, bytes)
  }

  subscribe(topic: string): void {
    this.inner.subscribe(topic)
  }

  unsubscribe(topic: string): void {
    this.inner.unsubscribe(topic)
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

  #drop(bytes: Uint8Array): boolean {
    if (this.#reliability >= 1 || !this.#applies(bytes) || chance(this.#rng, this.#reliability)) return false
    this.dropped.datagrams++
    this.dropped.bytes += bytes.byteLength
    return true
  }
}
