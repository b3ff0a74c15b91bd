/**
 * Range selection for offers, after Dispersy's `_select_and_fix` and
 * `_select_bloomfilter_range` (community.py): choose up to `capacity` syncable bundles on
 * one side of a global time, never splitting one global time across two filters.
 */
import type { Bundle } from '../bundle/types.js'
import type { BundleStore } from '../store/types.js'
import { MAX_GLOBAL_TIME } from '../bundle/codec.js'

/** The part of a store the sync core reads. */
export type SyncStoreView = Pick<BundleStore, 'count' | 'range'>

/** What a selection reads from: the store, the overlay, which bundles count, and a row budget. */
export interface SelectContext {
  store: SyncStoreView
  overlay: Uint8Array
  /** Whether a bundle takes part in sync (kind above the threshold, not expired). */
  syncable: (bundle: Bundle) => boolean
  /** Rows left to read for this offer; decremented as rows are read. */
  rows: { left: number }
}

export interface Picked {
  /** Selected bundles in ascending global-time order. */
  bundles: Bundle[]
  /** True when more bundles existed beyond the selection (the last global time was cut off). */
  fixed: boolean
}

/**
 * Up to `toSelect` syncable bundles strictly above (higher) or below `globalTime`, nearest
 * first. When more exist, the farthest global time is dropped entirely so no global time
 * is split (`fixed`). Result in ascending order.
 */
export async function selectAndFix(ctx: SelectContext, globalTime: number, toSelect: number, higher: boolean): Promise<Picked> {
  const query = higher
    ? { overlay: ctx.overlay, from: globalTime + 1, to: MAX_GLOBAL_TIME, order: 'asc' as const }
    : { overlay: ctx.overlay, from: 0, to: Math.max(0, globalTime - 1), order: 'desc' as const }
  const data: Bundle[] = []
  if (!higher && globalTime <= 1) return { bundles: data, fixed: false }
  for await (const b of ctx.store.range({ ...query, maxRows: ctx.rows.left })) {
    ctx.rows.left--
    if (!ctx.syncable(b)) continue
    data.push(b)
    if (data.length > toSelect) break
  }
  let fixed = false
  if (data.length > toSelect) {
    fixed = true
    const cut = data.pop()!.globalTime
    while (data.length > 0 && data[data.length - 1]!.globalTime === cut) data.pop()
  }
  if (!higher) data.reverse()
  return { bundles: data, fixed }
}

/** A candidate filter range with the bundles it holds. */
export interface PickedRange {
  low: number
  /** Upper bound; `acceptable` when the selection reached the newest bundle. */
  high: number
  bundles: Bundle[]
}

/**
 * Dispersy's `_select_bloomfilter_range`: select on one side of `globalTime`; when that side
 * is short by more than 25, top up from the other side; widen the bounds to what was
 * provably covered. `null` when nothing could be selected without splitting a global time.
 */
export async function selectRange(ctx: SelectContext, globalTime: number, toSelect: number, higher: boolean, acceptable: number): Promise<PickedRange | null> {
  const first = await selectAndFix(ctx, globalTime, toSelect, higher)
  let data = first.bundles
  let lowerFixed = true
  let higherFixed = true
  if (data.length < toSelect) {
    const remaining = toSelect - data.length
    if (remaining > 25) {
      if (higher) {
        const lower = await selectAndFix(ctx, globalTime + 1, remaining, false)
        data = lower.bundles.concat(data)
        lowerFixed = lower.fixed
      } else {
        const upper = await selectAndFix(ctx, globalTime - 1, remaining, true)
        data = data.concat(upper.bundles)
        higherFixed = upper.fixed
      }
    }
  }
  if (data.length === 0) return null
  let low = data[0]!.globalTime
  let high = data[data.length - 1]!.globalTime
  if (higher) {
    // Everything above globalTime was selected up to `high`.
    low = Math.min(low, globalTime + 1)
    if (!first.fixed) high = acceptable
    if (!lowerFixed) low = 1
  } else {
    high = Math.max(high, globalTime - 1)
    if (!first.fixed) low = 1
    if (!higherFixed) high = acceptable
  }
  return { low, high, bundles: data }
}

/**
 * Up to `capacity` syncable bundles with (gt + offset) % modulo == 0, from global time 1
 * upward (or from `acceptable` downward), not splitting the last global time. The range
 * covers [1, acceptable] when the whole residue class fits; otherwise it stops at the last
 * global time fully selected. Callers alternate the direction at random so an overfull
 * class has both of its ends covered over successive filters.
 */
export async function selectModulo(ctx: SelectContext, modulo: number, offset: number, capacity: number, acceptable: number, descending = false): Promise<PickedRange> {
  const data: Bundle[] = []
  const order = descending ? ('desc' as const) : ('asc' as const)
  for await (const b of ctx.store.range({ overlay: ctx.overlay, from: 1, to: acceptable, order, modulo, offset, maxRows: ctx.rows.left })) {
    ctx.rows.left--
    if (!ctx.syncable(b)) continue
    data.push(b)
    if (data.length > capacity) break
  }
  if (data.length <= capacity) return { low: 1, high: acceptable, bundles: descending ? data.reverse() : data }
  const cut = data.pop()!.globalTime
  const whole = data.slice()
  while (data.length > 0 && data[data.length - 1]!.globalTime === cut) data.pop()
  // More than `capacity` bundles share one global time: the one case where a global time is
  // split (else no progress). The peer then also returns some we hold.
  if (data.length === 0) return descending ? { low: cut, high: acceptable, bundles: whole.reverse() } : { low: 1, high: cut, bundles: whole }
  return descending ? { low: cut + 1, high: acceptable, bundles: data.reverse() } : { low: 1, high: cut - 1, bundles: data }
}
