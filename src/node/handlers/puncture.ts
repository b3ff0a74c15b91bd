/**
 * puncture (A's side): the introduced peer opened its NAT toward us. Accepted only when it
 * echoes an identifier we expect from one of the introduced addresses; the sender becomes
 * an intro candidate at the address it punctured from.
 */
import { addressKey, type Address, type Puncture } from '../../wire/index.js'
import type { NodeContext } from '../context.js'
import type { OverlayState } from '../overlay.js'

export function onPuncture(ctx: NodeContext, from: Address, overlay: OverlayState, p: Puncture, after?: () => void): void {
  const now = ctx.clock.now()
  if (ctx.punctures.match(p.identifier, from, now) !== 'matched') {
    ctx.counters.drop('unexpected-puncture')
    return
  }
  // It is reaching out now: our probe to it need not wait out the interval of earlier ones its NAT dropped.
  ctx.guard.punctured(addressKey(from))
  if (overlay.candidates.recordIntro(addressKey(from), { lan: p.sourceLan, wan: p.sourceWan }, now) !== undefined) after?.()
}
