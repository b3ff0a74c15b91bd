/**
 * The join's use of a sketch persisted with the store (docs/store.md, "The persisted
 * sketch"): restore it instead of scanning the overlay, or, after a scan, checkpoint it so
 * that the next join restores it. The store logs every later put and delete with its row,
 * so the persisted sketch follows intake, expiry and retention without the node's help.
 */
import type { Logger } from '../env/logger.js'
import type { SketchStore, SketchSummary } from '../store/types.js'
import { isSyncable, type SyncConfig } from '../sync/config.js'
import type { OverlayState } from './overlay.js'

/** The kinds the node syncs (those its sketch holds), as the 256-bit map a persisted sketch is keyed by. */
export function syncedKinds(sync: SyncConfig): Uint8Array {
  const out = new Uint8Array(32)
  for (let k = 0; k < 256; k++) if (isSyncable(sync, k)) out[k >> 3]! |= 1 << (k & 7)
  return out
}

/**
 * Fills the overlay's (empty) sketch from the store's persisted one and sets its expiring
 * count; returns the figures kept with it, or, when the store has none usable, the mark to
 * pass to {@link persistSketch} once a scan has built the sketch.
 */
export async function restoreSketch(store: SketchStore, state: OverlayState, sync: SyncConfig): Promise<{ summary: SketchSummary } | { mark: number | undefined }> {
  if (state.sketch === undefined) return { mark: undefined }
  const mark = store.sketchMark(state.id)
  const summary = await store.loadSketch(state.id, syncedKinds(sync), state.sketch)
  if (summary === undefined) return { mark }
  state.expiring = summary.expiring
  return { summary }
}

/**
 * Checkpoints the sketch a scan just built (the join holds the overlay: nothing else writes
 * it meanwhile; if something did, the store refuses and the next join scans again).
 */
export async function persistSketch(store: SketchStore, state: OverlayState, sync: SyncConfig, bytes: number, mark: number, log: Logger): Promise<void> {
  if (state.sketch === undefined) return
  const saved = await store.saveSketch(state.id, syncedKinds(sync), state.sketch, { expiring: state.expiring, bytes }, mark)
  if (!saved) log.debug('sketch not persisted: the overlay changed during the join; the next join scans again', { overlay: state.key })
}
