/**
 * Every inbound datagram takes the same path (DESIGN §1): cheap size and source checks, decode-or-null
 * under the named limits, overlay lookup, then the one handler of its packet type, which the
 * service handling that type registered (walker, responder, catch-up, push, intake). Nothing
 * throws to the socket: every failure is a counted drop.
 */
import { addressKey, decodePacketWithReason, MIN_DATAGRAM_BYTES, sameAddress, type Address, type DecodeLimits, type Packet, type PacketType } from '../wire/index.js'
import type { Logger } from '../env/logger.js'
import type { AmplificationGuard } from './amplification.js'
import type { OverlayWalk } from './overlay.js'
import type { Counters } from './stats.js'

export type Handler<P extends Packet> = (from: Address, overlay: OverlayWalk, packet: P) => void | Promise<void>
export type HandlerTable = { [T in PacketType]?: Handler<Extract<Packet, { type: T }>> }

/** The packet types a peer handles (mvds goes to the MVDS layer when the node runs it). */
export const PEER_PACKET_TYPES: readonly PacketType[] = ['introduction-request', 'introduction-response', 'puncture-request', 'puncture', 'bundles', 'bundle-request', 'symbols-request', 'symbols-response', 'push']

/** Finds (or, for a tracker, creates) the walker's state of an inbound packet's overlay. */
export type OverlayLookup = (overlay: Uint8Array, packet: Packet) => OverlayWalk | undefined

/** MVDS as the dispatcher sees it: payloads span groups, and a private group's overlay is served to its members only. */
export interface DispatchMvds {
  admits(overlay: Uint8Array, from: Address): boolean
  receive(from: Address, payload: Extract<Packet, { type: 'mvds' }>['payload']): void
}

/** What dispatching uses of the node. */
export interface DispatchComponents {
  readonly guard: Pick<AmplificationGuard, 'received'>
  readonly counters: Pick<Counters, 'drop' | 'received'>
  readonly limits: Readonly<DecodeLimits>
  readonly log: Logger
  /** Our socket address (datagrams from it are dropped as `self`). */
  lan(): Address
  lookup: OverlayLookup
  readonly mvds?: DispatchMvds
  /**
   * The drop reason for a datagram of `bytes` bytes from `from` that must not be decoded — its
   * source is in debt for failed signature checks (./budgets.ts `inDebt`) or over its datagram
   * budget (./datagram-budget.ts) — or undefined.
   */
  admitsSource?(from: Address, bytes: number): string | undefined
}

/** Handles one datagram; resolves when its handler is done. Never rejects. */
export async function dispatch(c: DispatchComponents, handlers: HandlerTable, from: Address, bytes: Uint8Array): Promise<void> {
  const counters = c.counters
  try {
    c.guard.received(addressKey(from), bytes.length)
    if (bytes.length < MIN_DATAGRAM_BYTES) return counters.drop('too-short')
    if (bytes.length > c.limits.maxDatagram) return counters.drop('too-long')
    // Our socket address only: the voted WAN address can be steered by peers, and a wrong one must
    // not make a real peer's datagrams look like our own (issue 8).
    if (sameAddress(from, c.lan())) return counters.drop('self')
    const refused = c.admitsSource?.(from, bytes.length)
    if (refused !== undefined) return counters.drop(refused)
    const decoded = decodePacketWithReason(bytes, c.limits)
    if ('drop' in decoded) return counters.drop(decoded.drop)
    const { packet } = decoded
    // A private group's overlay is served to its members only (MVDS carries its messages):
    // a non-member gets no answer, count, global time or introduction (issue 19).
    if (packet.type !== 'mvds' && c.mvds !== undefined && !c.mvds.admits(decoded.overlay, from)) return counters.drop('private-group')
    if (packet.type === 'mvds') {
      // MVDS payloads span groups: they go to the MVDS layer, not to one overlay's state.
      if (c.mvds === undefined) return counters.drop('unsupported')
      counters.received(packet.type, bytes.length)
      return c.mvds.receive(from, packet.payload)
    }
    const overlay = c.lookup(decoded.overlay, packet)
    if (overlay === undefined) return counters.drop('unknown-overlay')
    const handler = handlers[packet.type] as Handler<Packet> | undefined
    if (handler === undefined) return counters.drop('unsupported')
    counters.received(packet.type, bytes.length)
    await handler(from, overlay, packet)
  } catch (err) {
    counters.drop('handler-error')
    c.log.warn('handler error', { from: addressKey(from), error: err instanceof Error ? err.message : String(err) })
  }
}
