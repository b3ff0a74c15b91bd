/**
 * The production transport: one UDP socket (node:dgram through dgram-as-promised).
 *
 * - `send()` is fire-and-forget: the outcome of the underlying promise is counted
 *   (`datagramsSent` on success, `sendErrors` on failure), never thrown.
 * - Datagrams longer than `maxDatagram` are dropped and counted before they reach the
 *   socket; so are sends after `close()` and destinations that are not an IP literal and a
 *   port (the transport never resolves host names).
 * - The socket's `'error'` events are counted, never rethrown, so they cannot crash the process.
 * - Received datagrams reach `onPacket` from the socket's `'message'` event, which is always
 *   asynchronous to `send()`. Exceptions thrown by `onPacket` are caught and counted.
 *
 * Dual stack: a `udp6` socket bound to `::` also carries IPv4. The operating system then
 * reports IPv4 senders as IPv4-mapped IPv6 (`::ffff:1.2.3.4`); this transport reports them
 * as plain `1.2.3.4`, so a peer has one address whichever socket type sees it, and it maps
 * plain IPv4 destinations back to `::ffff:1.2.3.4` on the way out (the kernel refuses plain
 * IPv4 on an IPv6 socket). A `udp4` socket sending to an IPv4-mapped address sends to the
 * IPv4 address behind it. Other hosts are passed on as Node printed them (an IPv6 link-local
 * sender keeps its `%zone` suffix).
 *
 * Receive buffer: datagrams that arrive while the socket's buffer is full are dropped by the
 * kernel before the node sees them (a flood of 2 000 datagrams/s from one source made the
 * default ~208 KB buffer drop 17–19 %; docs/security.md, "A datagram flood").
 * `receiveBufferBytes` asks for a larger one; the kernel caps the request at
 * `net.core.rmem_max` (Linux: /proc/sys/net/core/rmem_max) without an error, so
 * {@link UdpTransport.receiveBufferBytes} reports the size the kernel granted.
 */
import DgramAsPromised, { type RemoteInfo, type SocketAsPromised } from 'dgram-as-promised'
import { silentLogger, type Logger } from '../env/logger.js'
import { BloomwalkError } from '../errors.js'
import { canonicalHost, ipFamily, unmapIpv4, isValidPort } from './address.js'
import { TransportCounters } from './counters.js'
import { type Address, type Transport, type TransportStats, DEFAULT_MAX_DATAGRAM, MAX_UDP_PAYLOAD } from './types.js'

/** Options of {@link createUdpTransport}. */
export interface UdpTransportOptions {
  /** Local IP literal to bind; default `'0.0.0.0'` for `udp4`, `'::'` (dual stack) for `udp6`. */
  host?: string
  /** Local port; 0 (the default) lets the operating system pick a free one. */
  port?: number
  /** Socket family; default `udp6` when `host` is an IPv6 literal, else `udp4`. */
  type?: 'udp4' | 'udp6'
  /**
   * Outgoing datagrams longer than this many bytes are dropped and counted as `oversize`
   * (default {@link DEFAULT_MAX_DATAGRAM}; 1 ≤ value ≤ {@link MAX_UDP_PAYLOAD}). Over IPv6 the
   * unfragmented Ethernet figure is 1452. Incoming datagrams are not limited here: the node's
   * decode limits check them.
   */
  maxDatagram?: number
  /**
   * Socket receive buffer to ask for, in bytes (1 ≤ value ≤ {@link MAX_RECEIVE_BUFFER_BYTES});
   * default: the operating system's (`net.core.rmem_default` on Linux). The kernel caps it at
   * `net.core.rmem_max`; {@link UdpTransport.receiveBufferBytes} says what it granted.
   */
  receiveBufferBytes?: number
  /** Aborting it before the socket is bound rejects with `ABORTED`; aborting later closes the transport. */
  signal?: AbortSignal
  /** Where socket errors and handler exceptions are reported; default silent (they are counted anyway). */
  logger?: Logger
}

/** Largest receive buffer one may ask for (SO_RCVBUF is an int). */
export const MAX_RECEIVE_BUFFER_BYTES = 2 ** 31 - 1

/** The UDP {@link Transport}, which also reports its socket's receive buffer. */
export interface UdpTransport extends Transport {
  /**
   * The socket's receive buffer in bytes, as the kernel reports it (SO_RCVBUF). Untouched,
   * Linux reports `net.core.rmem_default` (212 992 on most systems); asked for a size, it
   * grants min(size, `net.core.rmem_max`) and reports twice that (it counts its bookkeeping in
   * the buffer): asking for 4 MiB with rmem_max ≥ 4 MiB reads 8 MiB.
   */
  receiveBufferBytes(): number
}

/**
 * Binds a UDP socket and wraps it as a {@link Transport}.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a malformed option (a `host` that is not an IP
 *   literal of the socket's family, a port outside 0–65535, a bad `maxDatagram` or
 *   `receiveBufferBytes`)
 * @throws {BloomwalkError} ABORTED when `signal` fires before the socket is bound
 * @throws the operating system's bind error (e.g. `code: 'EADDRINUSE'`, `'EADDRNOTAVAIL'`)
 */
export async function createUdpTransport(options: UdpTransportOptions = {}): Promise<UdpTransport> {
  const { type, host, port, maxDatagram, receiveBufferBytes } = checkOptions(options)
  const signal = options.signal
  if (isAborted(signal)) throw aborted(signal)

  const socket = DgramAsPromised.createSocket({ type })
  // dgram-as-promised remembers the last 'error' event and rejects the *next* send() with
  // it, without sending. Our own listener counts errors instead, so drop the library's
  // listeners; its bind/send/close promises keep working without them.
  socket.destroy()
  const log = options.logger ?? silentLogger
  const transport = new DgramTransport(socket, type, maxDatagram, log)

  let local: Address
  try {
    const info = await socket.bind(port, host)
    local = { host: info.address, port: info.port }
    // Only a bound socket has a buffer to size. Above rmem_max the kernel grants rmem_max.
    if (receiveBufferBytes !== undefined) {
      socket.socket.setRecvBufferSize(receiveBufferBytes)
      log.debug('udp receive buffer', { requested: receiveBufferBytes, granted: socket.socket.getRecvBufferSize() })
    }
  } catch (err) {
    await transport.close()
    throw err
  }
  // Binding is one local system call, so it is not interrupted; an abort during it is honoured here.
  if (isAborted(signal)) {
    await transport.close()
    throw aborted(signal)
  }
  transport.start(local, signal)
  return transport
}

function isAborted(signal: AbortSignal | undefined): signal is AbortSignal {
  return signal?.aborted === true
}

function aborted(signal: AbortSignal): BloomwalkError {
  return new BloomwalkError('ABORTED', 'createUdpTransport: aborted', { cause: signal.reason })
}

function invalid(message: string): BloomwalkError {
  return new BloomwalkError('INVALID_ARGUMENT', `createUdpTransport: ${message}`)
}

function checkOptions(options: UdpTransportOptions): { type: 'udp4' | 'udp6'; host: string; port: number; maxDatagram: number; receiveBufferBytes: number | undefined } {
  const family = options.host === undefined ? undefined : ipFamily(options.host)
  if (family === 0) throw invalid(`host must be an IPv4 or IPv6 literal, got ${String(options.host)}`)
  const type = options.type ?? (family === 6 ? 'udp6' : 'udp4')
  if (type !== 'udp4' && type !== 'udp6') throw invalid(`type must be 'udp4' or 'udp6', got ${String(type)}`)
  if (family !== undefined && family !== (type === 'udp4' ? 4 : 6)) throw invalid(`host ${String(options.host)} does not match type ${type}`)
  const host = options.host ?? (type === 'udp4' ? '0.0.0.0' : '::')
  const port = options.port ?? 0
  if (port !== 0 && !isValidPort(port)) throw invalid(`port must be an integer in 0..65535, got ${String(port)}`)
  const maxDatagram = options.maxDatagram ?? DEFAULT_MAX_DATAGRAM
  if (!Number.isInteger(maxDatagram) || maxDatagram < 1 || maxDatagram > MAX_UDP_PAYLOAD) {
    throw invalid(`maxDatagram must be an integer in 1..${MAX_UDP_PAYLOAD}, got ${String(maxDatagram)}`)
  }
  const receiveBufferBytes = options.receiveBufferBytes
  if (receiveBufferBytes !== undefined && (!Number.isInteger(receiveBufferBytes) || receiveBufferBytes < 1 || receiveBufferBytes > MAX_RECEIVE_BUFFER_BYTES)) {
    throw invalid(`receiveBufferBytes must be an integer in 1..${MAX_RECEIVE_BUFFER_BYTES}, got ${String(receiveBufferBytes)}`)
  }
  return { type, host, port, maxDatagram, receiveBufferBytes }
}

/** A bound UDP socket as a {@link Transport}. Built only by {@link createUdpTransport}. */
class DgramTransport implements UdpTransport {
  onPacket: ((from: Address, bytes: Uint8Array) => void) | null = null

  readonly #socket: SocketAsPromised
  readonly #udp6: boolean
  readonly #maxDatagram: number
  readonly #log: Logger
  readonly #counters = new TransportCounters()
  #local: Address = { host: '', port: 0 }
  #closed = false
  #closing: Promise<void> | undefined
  #unlisten: (() => void) | undefined

  constructor(socket: SocketAsPromised, type: 'udp4' | 'udp6', maxDatagram: number, log: Logger) {
    this.#socket = socket
    this.#udp6 = type === 'udp6'
    this.#maxDatagram = maxDatagram
    this.#log = log
    const raw = socket.socket
    raw.on('error', (err: Error) => {
      this.#counters.socketErrors++
      this.#log.debug('udp socket error', { error: err.message })
    })
    raw.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.#receive(msg, rinfo))
    raw.on('close', () => {
      this.#closed = true
    })
  }

  /** Records the bound address and ties the transport's life to `signal`. */
  start(local: Address, signal: AbortSignal | undefined): void {
    this.#local = local
    if (signal === undefined) return
    const onAbort = (): void => void this.close()
    signal.addEventListener('abort', onAbort, { once: true })
    this.#unlisten = () => signal.removeEventListener('abort', onAbort)
  }

  send(to: Address, bytes: Uint8Array): void {
    if (this.#closed) return this.#counters.drop('closed')
    if (bytes.byteLength > this.#maxDatagram) return this.#counters.drop('oversize')
    const host = this.#outboundHost(to)
    if (host === undefined) return this.#counters.drop('invalidAddress')
    // Copy: the caller may reuse its buffer as soon as send() returns.
    const copy = Buffer.from(bytes)
    this.#socket.send(copy, to.port, host).then(
      () => this.#counters.sent(copy.byteLength),
      (err: unknown) => {
        this.#counters.sendErrors++
        this.#log.debug('udp send failed', { to: `${host}:${to.port}`, error: err instanceof Error ? err.message : String(err) })
      }
    )
  }

  address(): Address {
    return { host: this.#local.host, port: this.#local.port }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  stats(): TransportStats {
    return this.#counters.snapshot()
  }

  receiveBufferBytes(): number {
    return this.#socket.socket.getRecvBufferSize()
  }

  async #close(): Promise<void> {
    this.#closed = true
    this.#unlisten?.()
    try {
      await this.#socket.close()
    } catch {
      // Already closed (or never bound): nothing left to release.
    }
  }

  /** The host to hand to the socket, or `undefined` when `to` is not an IP literal and a port. */
  #outboundHost(to: Address): string | undefined {
    if (to === null || typeof to !== 'object' || !isValidPort(to.port)) return undefined
    // Canonical text: an IPv4-mapped destination reads as plain IPv4.
    const host = canonicalHost(to.host)
    if (host === undefined) return undefined
    const ipv6 = host.includes(':')
    if (this.#udp6) return ipv6 ? host : `::ffff:${host}`
    return host // an IPv6 destination on a udp4 socket fails in send() and is counted
  }

  #receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return
    const handler = this.onPacket
    if (handler === null) return this.#counters.drop('noHandler')
    const from: Address = { host: this.#udp6 ? unmapIpv4(rinfo.address) : rinfo.address, port: rinfo.port }
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)
    this.#counters.received(bytes.byteLength)
    try {
      handler(from, bytes)
    } catch (err) {
      this.#counters.handlerErrors++
      this.#log.warn('onPacket threw; datagram dropped', { from: `${from.host}:${from.port}`, error: err instanceof Error ? err.message : String(err) })
    }
  }
}
