/**
 * Transports: the datagram interface a node is given (DESIGN §1, STYLE 3), the UDP
 * implementation for production and the in-memory simulated network for tests and the
 * simulator.
 *
 * @example
 * ```ts
 * const net = new MemoryNetwork({ clock: new ManualClock(), rng: new SeededRng(1), latencyMs: 20 })
 * const a = net.bind()
 * const b = net.bind()
 * b.onPacket = (from, bytes) => { ... }
 * a.send(b.address(), bytes)
 * ```
 */
export {
  type Address,
  type Transport,
  type MulticastTransport,
  type TransportStats,
  type TransportDropReason,
  TRANSPORT_DROP_REASONS,
  DEFAULT_MAX_DATAGRAM,
  MAX_UDP_PAYLOAD,
  isMulticastTransport
} from './types.js'
export { type UdpTransportOptions, type UdpTransport, MAX_RECEIVE_BUFFER_BYTES, createUdpTransport } from './udp.js'
export { MemoryNetwork } from './memory.js'
export {
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  type LatencyModel,
  type LinkOptions,
  type Interceptor,
  type InterceptedPacket,
  DEFAULT_REORDER_DELAY_MS
} from './memory-options.js'
export { MemoryTransport } from './memory-transport.js'
