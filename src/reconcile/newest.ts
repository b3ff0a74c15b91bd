/**
 * Newest first (docs/reconcile.md §9.0): how a node behind a peer asks for what the peer
 * holds above its own newest bundle. One bundle-request answers at most four response budgets
 * (≈ 100 bundles of 196 B), so a gap expected to hold more is cut into global-time slices
 * `(newerThan, upTo]`, asked all at once: one round trip instead of one per 100 bundles. The
 * expected number of bundles in the gap is our own density (bundles stored per unit of
 * global time) times its width; the last slice has no upper bound.
 */

/** Bundles a slice is sized for: below what one answer carries, for headroom. */
export const NEWER_SLICE_BUNDLES = 64
/** Most slices asked at once (≈ 1 000 bundles per round trip). */
export const MAX_NEWER_SLICES = 16

/** One bundle-request of a newest-first fetch. */
export interface NewerSlice {
  newerThan: number
  upTo?: number
}

/**
 * The slices to ask a peer whose global time is `peerTime` for, when our newest stored
 * bundle is at `ourNewest` and we hold `ourCount` bundles; empty when the peer is not ahead.
 */
export function newerSlices(ourNewest: number, peerTime: number, ourCount: number, options: { sliceBundles?: number; maxSlices?: number } = {}): NewerSlice[] {
  const from = Math.max(1, Math.floor(ourNewest))
  if (!(peerTime > from) || !Number.isSafeInteger(peerTime)) return []
  const sliceBundles = Math.max(1, options.sliceBundles ?? NEWER_SLICE_BUNDLES)
  const maxSlices = Math.max(1, options.maxSlices ?? MAX_NEWER_SLICES)
  const gap = peerTime - from
  const density = ourCount > 0 ? ourCount / from : 1
  const slices = Math.min(maxSlices, gap, Math.max(1, Math.ceil((gap * density) / sliceBundles)))
  const width = Math.ceil(gap / slices)
  const out: NewerSlice[] = []
  for (let k = 0; k < slices; k++) {
    const newerThan = from + k * width
    if (newerThan >= peerTime) break
    out.push(k === slices - 1 || newerThan + width >= peerTime ? { newerThan } : { newerThan, upTo: newerThan + width })
  }
  return out
}
