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
export type PunctureWalker = Pick<WalkerView, 'c' | 'punctures' | 'peer' | 'keepToken'>

export function onPuncture(w: PunctureWalker, from: Address, overlay: OverlayWalk, p: Puncture): void {
  const now = w.c.clock.now()
  if (w.punctures.match(p.identifier, from, now) !== 'matched') {
    w.c.counters.drop('unexpected-puncture')
    return
  }
  const key = addressKey(from)
  // It is reaching out now: our probe to it need not wait out the interval of earlier ones its NAT dropped.
  w.c.guard.punctured(key)
  // Its token, echoed by our walk to it, validates us there: the walk is answered in full
  // even when its earlier punctures to us used up our 3× there.
  if (p.token !== undefined) w.keepToken(key, p.token)
  if (overlay.recordIntro(key, { lan: p.sourceLan, wan: p.sourceWan }, now) !== undefined) w.peer?.punctured(overlay, from)
}
