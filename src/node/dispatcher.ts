/**
 * Every inbound datagram takes the same path (DESIGN §1): cheap size check, decode-or-null
 * under the named limits, overlay lookup, then the one handler of its packet type. Nothing
 * throws to the socket: every failure is a counted drop.
 */
import { addressKey, decodePacketWithReason, MIN_DATAGRAM_BYTES, sameAddress, type Address, type Packet, type PacketType } from '../wire/index.js'
import type { NodeContext } from './context.js'
import type { OverlayState } from './overlay.js'
import { onBundles } from './handlers/bundles.js'
import { onBundleRequest } from './handlers/bundle-request.js'
import { onIntroductionRequest } from './handlers/introduction-request.js'
import { onIntroductionResponse } from './handlers/introduction-response.js'
import { onPuncture } from './handlers/puncture.js'
import { onPunctureRequest } from './handlers/puncture-request.js'

type Handler<P extends Packet> = (ctx: NodeContext, from: Address, overlay: OverlayState, packet: P) => void | Promise<void>
export type HandlerTable = { [T in PacketType]?: Handler<Extract<Packet, { type: T }>> }

/** Packet type → handler. mvds goes to the MVDS layer; types without a handler are dropped as unsupported. */
export const HANDLERS: HandlerTable = {
  'introduction-request': onIntroductionRequest,
  'introduction-response': onIntroductionResponse,
  'puncture-request': onPunctureRequest,
  puncture: onPuncture,
  bundles: onBundles,
  'bundle-request': onBundleRequest,
  'symbols-request': (ctx, from, overlay, packet) => ctx.catchUp.onSymbolsRequest(from, overlay, packet),
  'symbols-response': (ctx, from, overlay, packet) => ctx.catchUp.onSymbolsResponse(from, overlay, packet)
}

/** Finds (or, for a tracker, creates) the overlay state of an inbound packet. */
export type OverlayLookup = (overlay: Uint8Array, packet: Packet) => OverlayState | undefined

/** Handles one datagram; resolves when its handler is done. Never rejects. */
export async function dispatch(ctx: NodeContext, lookup: OverlayLookup, from: Address, bytes: Uint8Array, handlers: HandlerTable = HANDLERS): Promise<void> {
  try {
    ctx.guard.received(addressKey(from), bytes.length)
    if (bytes.length < MIN_DATAGRAM_BYTES) return ctx.counters.drop('too-short')
    if (bytes.length > ctx.limits.maxDatagram) return ctx.counters.drop('too-long')
    // Our socket address only: the voted WAN address can be steered by peers, and a wrong one must
    // not make a real peer's datagrams look like our own (issue 8).
    if (sameAddress(from, ctx.lan())) return ctx.counters.drop('self')
    const decoded = decodePacketWithReason(bytes, ctx.limits)
    if ('drop' in decoded) return ctx.counters.drop(decoded.drop)
    const { packet } = decoded
    // A private group's overlay is served to its members only (MVDS carries its messages):
    // a non-member gets no answer, count, global time or introduction (issue 19).
    if (packet.type !== 'mvds' && ctx.mvds !== undefined && !ctx.mvds.layer.admits(decoded.overlay, from)) return ctx.counters.drop('private-group')
    if (packet.type === 'mvds') {
      // MVDS payloads span groups: they go to the MVDS layer, not to one overlay's state.
      if (ctx.mvds === undefined) return ctx.counters.drop('unsupported')
      ctx.counters.received(packet.type, bytes.length)
      return ctx.mvds.layer.receive(from, packet.payload, ctx.mvds.epoch())
    }
    const overlay = lookup(decoded.overlay, packet)
    if (overlay === undefined) return ctx.counters.drop('unknown-overlay')
    const handler = handlers[packet.type] as Handler<Packet> | undefined
    if (handler === undefined) return ctx.counters.drop('unsupported')
    ctx.counters.received(packet.type, bytes.length)
    await handler(ctx, from, overlay, packet)
  } catch (err) {
    ctx.counters.drop('handler-error')
    ctx.log.warn('handler error', { from: addressKey(from), error: err instanceof Error ? err.message : String(err) })
  }
}
