/**
 * puncture-request (C's side): a peer we know says a walker is coming; send it a puncture
 * so our NAT opens toward it. The puncture goes to an address that never wrote to us, so
 * it is the walker's first-contact probe (unless the walker's own request already gave it a
 * budget) and is charged to the requester's anti-amplification budget as well.
 */
import { chooseAddress } from '../../nat/index.js'
import { addressKey, type Address, type PunctureRequest } from '../../wire/index.js'
import type { NodeContext } from '../context.js'
import type { OverlayState } from '../overlay.js'

export function onPunctureRequest(ctx: NodeContext, from: Address, overlay: OverlayState, req: PunctureRequest): void {
  const key = addressKey(from)
  if (overlay.candidates.get(key) === undefined) {
    ctx.counters.drop('unknown-source')
    return
  }
  const target = chooseAddress(req.walkerLan, req.walkerWan, ctx.wan().host)
  if (ctx.isSelf(target)) {
    ctx.counters.drop('self')
    return
  }
  ctx.send(target, overlay.id, { type: 'puncture', sourceLan: ctx.lan(), sourceWan: ctx.wan(), identifier: req.identifier }, { probe: true, also: key })
}
