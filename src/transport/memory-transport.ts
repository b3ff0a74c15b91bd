/**
 * One endpoint of a {@link MemoryNetwork} (see `memory.ts`). It owns its counters and its
 * `onPacket`; routing, delays and loss belong to the network.
 */
import { BloomwalkError } from '../errors.js'
import type { Logger } from '../env/logger.js'
import { addressKey, canonicalAddress } from './address.js'
import { TransportCounters } from './counters.js'
import type { Address, MulticastTransport, TransportStats } from './types.js'

/** What a {@link MemoryTransport} needs from its network (implemented by `MemoryNetwork`). */
export interface MemoryNetworkPort {
  readonly maxDatagram: number
  readonly strict: boolean
  readonly log: Logger
  isOnlineKey(key: string): boolean
  route(sender: MemoryTransport, to: Address, bytes: Uint8Array): void
  publish(sender: MemoryTransport, topic: string, bytes: Uint8Array): void
  subscribe(transport: MemoryTransport, topic: string): void
  unsubscribe(transport: MemoryTransport, topic: string): void
  unbind(transport: MemoryTransport): void
}

/**
 * A transport bound to one address of a `MemoryNetwork`. Created by `MemoryNetwork.bind()`.
 * `send()` and `publish()` never deliver synchronously: the network schedules every delivery
 * on its clock.
 */
export class MemoryTransport implements MulticastTransport {
  onPacket: ((from: Address, bytes: Uint8Array) => void) | null = null

  /** The canonical key of {@link MemoryTransport.address} (`1.2.3.4:5`, `[::1]:5`). */
  readonly key: string
  readonly #net: MemoryNetworkPort
  readonly #address: Address
  readonly #counters = new TransportCounters()
  #closing: Promise<void> | undefined

  /** @internal Use `MemoryNetwork.bind()`. */
  constructor(net: MemoryNetworkPort, address: Address) {
    this.#net = net
    this.#address = { host: address.host, port: address.port }
    this.key = addressKey(address)
  }

  /** True once {@link MemoryTransport.close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /**
   * Sends one datagram through the network. Never throws, except in a `strict` network
   * when the destination is not bound (a test failure by design).
   */
  send(to: Address, bytes: Uint8Array): void {
    const dest = this.#admit(bytes, to)
    if (dest === undefined) return
    this.#net.route(this, dest, bytes)
  }

  /** Sends one datagram to every online subscriber of `topic` but this transport: one send, many receivers. */
  publish(topic: string, bytes: Uint8Array): void {
    if (typeof topic !== 'string' || topic.length === 0) {
      this.#counters.drop('invalidAddress')
      return
    }
    if (this.#admit(bytes) === undefined) return
    this.#net.publish(this, topic, bytes)
  }

  /**
   * Starts receiving datagrams published on `topic`. A no-op after close.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `topic` is not a non-empty string
   */
  subscribe(topic: string): void {
    checkTopic(topic)
    if (!this.closed) this.#net.subscribe(this, topic)
  }

  /**
   * Stops receiving datagrams published on `topic`.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `topic` is not a non-empty string
   */
  unsubscribe(topic: string): void {
    checkTopic(topic)
    this.#net.unsubscribe(this, topic)
  }

  address(): Address {
    return { host: this.#address.host, port: this.#address.port }
  }

  /** Unbinds the address at once (packets still in flight to it become `unroutable`); idempotent. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = Promise.resolve()
      this.#net.unbind(this)
    }
    return this.#closing
  }

  stats(): TransportStats {
    return this.#counters.snapshot()
  }

  /**
   * Hands a datagram to `onPacket` (called by the network from a clock timer). A handler
   * exception is counted; a `strict` network rethrows it so the test sees it.
   * @internal
   */
  deliver(from: Address, bytes: Uint8Array): void {
    const handler = this.onPacket
    if (handler === null) return this.#counters.drop('noHandler')
    this.#counters.received(bytes.byteLength)
    try {
      handler(from, bytes)
    } catch (err) {
      this.#counters.handlerErrors++
      if (this.#net.strict) throw err
      this.#net.log.warn('onPacket threw; datagram dropped', { to: this.key, error: err instanceof Error ? err.message : String(err) })
    }
  }

  /** The sender-side checks shared by send and publish; counts the datagram as sent when it passes. */
  #admit(bytes: Uint8Array, to?: Address): Address | undefined {
    if (this.closed) return this.#drop('closed')
    if (bytes.byteLength > this.#net.maxDatagram) return this.#drop('oversize')
    let dest: Address | undefined = this.#address
    if (to !== undefined) {
      dest = canonicalAddress(to)
      if (dest === undefined) return this.#drop('invalidAddress')
    }
    if (!this.#net.isOnlineKey(this.key)) return this.#drop('offline')
    this.#counters.sent(bytes.byteLength)
    return dest
  }

  #drop(reason: 'closed' | 'oversize' | 'invalidAddress' | 'offline'): undefined {
    this.#counters.drop(reason)
    return undefined
  }
}

function checkTopic(topic: unknown): void {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new BloomwalkError('INVALID_ARGUMENT', `MemoryTransport: topic must be a non-empty string, got ${String(topic)}`)
  }
}
