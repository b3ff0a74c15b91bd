/**
 * puncture (A's side): the introduced peer opened its NAT toward us. Accepted only when it
 * echoes an identifier we expect from one of the introduced addresses; the sender becomes
 * an intro candidate at the address it punctured from (and, on a peer, may be walked to at
 * once: ../first-contact.ts).
 */
import { addressKey, type Address, type Puncture } from '../../wire/index.js'
import type { OverlayWalk } from '../overlay.js'
import type { WalkerView } from '../walker-types.js'

/** What this handler uses of the walker. */
export type PunctureWalker = Pick<WalkerView, 'c' | 'punctures' | 'peer'>

export function onPuncture(w: PunctureWalker, from: Address, overlay: OverlayWalk, p: Puncture): void {
  const now = w.c.clock.now()
  if (w.punctures.match(p.identifier, from, now) !== 'matched') {
    w.c.counters.drop('unexpected-puncture')
    return
  }
  // It is reaching out now: our probe to it need not wait out the interval of earlier ones its NAT dropped.
  w.c.guard.punctured(addressKey(from))
  if (overlay.recordIntro(addressKey(from), { lan: p.sourceLan, wan: p.sourceWan }, now) !== undefined) w.peer?.punctured(overlay, from)
}
