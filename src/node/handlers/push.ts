/**
 * push: fresh bundles a peer sent unasked (DESIGN §13). Accepted only from peers in the
 * overlay's candidate table, as `bundles` are; then handed to the push service, the one
 * intake entry point for pushed bundles (it stores or delivers, and forwards what is fresh).
 */
import type { Address, PushPacket } from '../../wire/index.js'
import type { OverlayWalk } from '../overlay.js'
import type { PushService } from '../push.js'
import type { Counters } from '../stats.js'
import { takesBundlesFrom } from './bundles.js'

export async function onPush(counters: Pick<Counters, 'drop'>, push: Pick<PushService, 'receive'>, from: Address, overlay: OverlayWalk, packet: PushPacket): Promise<void> {
  if (!takesBundlesFrom(counters, from, overlay)) return
  await push.receive(overlay, packet, from)
}
