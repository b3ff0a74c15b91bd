/**
 * puncture-request (C's side): a peer we know says a walker is coming; send it a puncture
 * so our NAT opens toward it. The puncture goes to an address that never wrote to us, so
 * it is the walker's first-contact probe (unless the walker's own request already gave it a
 * budget) and is charged to the requester's anti-amplification budget as well. It carries
 * the walker's address-validation token: the walk that follows echoes it and is answered in
 * full, however many punctures we sent that walker before (each is charged to its 3×). The
 * introducer's global time ahead of ours, or fresh bundles it names that we lack, say it holds
 * what push did not bring us: we ask for it now.
 */
import { chooseAddress } from '../../nat/index.js'
import { addressKey, type Address, type PunctureRequest } from '../../wire/index.js'
import type { OverlayWalk } from '../overlay.js'
import type { WalkerView } from '../walker-types.js'

/** What this handler uses of the walker. */
export type PunctureRequestWalker = Pick<WalkerView, 'c' | 'lan' | 'wan' | 'isSelf' | 'peer'>

export function onPunctureRequest(w: PunctureRequestWalker, from: Address, overlay: OverlayWalk, req: PunctureRequest): void {
  const key = addressKey(from)
  if (overlay.candidates.get(key) === undefined) {
    w.c.counters.drop('unknown-source')
    return
  }
  const target = chooseAddress(req.walkerLan, req.walkerWan, w.wan().host)
  if (w.isSelf(target)) {
    w.c.counters.drop('self')
    return
  }
  const token = w.c.guard.token(addressKey(target))
  w.c.send(target, overlay.id, { type: 'puncture', sourceLan: w.lan(), sourceWan: w.wan(), identifier: req.identifier, token }, { probe: true, also: key })
  // The introducer's global time and freshest bundles: what it holds that we lack is asked of
  // it now. Only a validated introducer: a spoofed puncture-request must not aim our requests.
  if ((req.globalTime !== undefined || req.recentShort !== undefined) && w.c.guard.isValidated(key)) w.peer?.introducedBy(overlay, from, req)
}
