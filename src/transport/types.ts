/**
 * The datagram interface between a node and the network (DESIGN §1, STYLE 3). A node is
 * handed a {@link Transport}; production uses UDP (`createUdpTransport`), tests and the
 * simulator use `MemoryNetwork`. The transport reports upward through the `onPacket`
 * callback field, never through an emitter, and never throws from `send()`.
 */

/** Largest UDP payload that crosses Ethernet (1500-byte MTU) unfragmented over IPv4: 1500 − 20 − 8 bytes. */
export const DEFAULT_MAX_DATAGRAM = 1472

/** Largest UDP payload IPv4 can carry at all (65 535 − 20 − 8 bytes); the ceiling for any `maxDatagram`. */
export const MAX_UDP_PAYLOAD = 65507

/**
 * A UDP endpoint: the one `Address` type of bloomwalk (defined with the wire codec, which
 * encodes it). `host` is an IP literal in the text Node prints: an IPv4 dotted quad
 * (`1.2.3.4`) or a lowercase, compressed IPv6 address without brackets (`2001:db8::1`).
 */
import type { Address } from '../wire/address.js'
export type { Address }

/**
 * Why a transport discarded a datagram itself (counted in {@link TransportStats.drops}):
 * - `oversize`: an outgoing datagram longer than the transport's `maxDatagram`;
 * - `closed`: `send()`/`publish()` after `close()`;
 * - `invalidAddress`: a destination whose host is not an IP literal or whose port is not 1–65535;
 * - `offline`: sent while the (simulated) host is offline;
 * - `noHandler`: a datagram arrived while `onPacket` was `null`.
 */
export type TransportDropReason = 'oversize' | 'closed' | 'invalidAddress' | 'offline' | 'noHandler'

/** Every {@link TransportDropReason}, for building and checking counters. */
export const TRANSPORT_DROP_REASONS: readonly TransportDropReason[] = ['oversize', 'closed', 'invalidAddress', 'offline', 'noHandler']

/** Counters of one transport since it was created. A snapshot: later traffic does not change it. */
export interface TransportStats {
  /** Datagrams that left this transport (UDP: the OS accepted them; memory: they entered the network). */
  readonly datagramsSent: number
  /** Payload bytes of {@link TransportStats.datagramsSent}. */
  readonly bytesSent: number
  /** Datagrams handed to `onPacket`. */
  readonly datagramsReceived: number
  /** Payload bytes of {@link TransportStats.datagramsReceived}. */
  readonly bytesReceived: number
  /** Datagrams the operating system refused to send (e.g. `EINVAL`, `EMSGSIZE`, `ENETUNREACH`). */
  readonly sendErrors: number
  /** Asynchronous `'error'` events on the socket that belong to no particular send. */
  readonly socketErrors: number
  /** Exceptions thrown by `onPacket`; caught so that a bad handler cannot crash the process. */
  readonly handlerErrors: number
  /** Datagrams the transport discarded itself: the sum of {@link TransportStats.drops}. */
  readonly dropped: number
  /** {@link TransportStats.dropped}, by reason. */
  readonly drops: Readonly<Record<TransportDropReason, number>>
}

/** A datagram transport: one bound local address, fire-and-forget sends, one receive callback. */
export interface Transport {
  /** Sends one datagram. Never throws: failures are counted in stats(). */
  send(to: Address, bytes: Uint8Array): void
  /** Set by the owner; called once per received datagram, never re-entrantly from send(). */
  onPacket: ((from: Address, bytes: Uint8Array) => void) | null
  /** The bound local address. */
  address(): Address
  /** Idempotent; the same promise on repeated calls. */
  close(): Promise<void>
  /** A snapshot of this transport's counters. */
  stats(): TransportStats
}

/**
 * A transport that can also reach every listener of a topic with one send (the multicast
 * channel of DESIGN §10, simulations 4 and 5). Only `MemoryNetwork` implements it; receivers
 * get topic datagrams through the same `onPacket` as unicast ones.
 */
export interface MulticastTransport extends Transport {
  /** Sends one datagram to every online subscriber of `topic` except this transport. Never throws. */
  publish(topic: string, bytes: Uint8Array): void
  /** Starts receiving datagrams published on `topic`; subscribing twice is harmless. */
  subscribe(topic: string): void
  /** Stops receiving datagrams published on `topic`; harmless when not subscribed. */
  unsubscribe(topic: string): void
}

/** True when `transport` offers the {@link MulticastTransport} capability. */
export function isMulticastTransport(transport: Transport): transport is MulticastTransport {
  const t = transport as Partial<MulticastTransport>
  return typeof t.publish === 'function' && typeof t.subscribe === 'function' && typeof t.unsubscribe === 'function'
}
