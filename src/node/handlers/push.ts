/**
 * push: fresh bundles a peer sent unasked (DESIGN §13). Accepted only from peers in the
 * overlay's candidate table, as `bundles` are; then handed to the push service, the one
 * intake entry point for pushed bundles (it stores or delivers, and forwards what is fresh).
 */
import type { Address, PushPacket } from '../../wire/index.js'
import type { NodeContext } from '../context.js'
import type { OverlayState } from '../overlay.js'
import type { PushService } from '../push.js'
import { takesBundlesFrom } from './bundles.js'

export async function onPush(ctx: NodeContext, from: Address, overlay: OverlayState, packet: PushPacket, push: PushService): Promise<void> {
  if (!takesBundlesFrom(ctx, from, overlay)) return
  await push.receive(overlay, packet, from)
}
