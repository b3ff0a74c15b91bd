/**
 * The join's use of a sketch persisted with the store (docs/store.md, "The persisted
 * sketch"): restore it instead of scanning the overlay, or, after a scan, checkpoint it so
 * that the next join restores it. The store logs every later put and delete with its row,
 * so the persisted sketch follows intake, expiry and retention without the node's help.
 */
import type { Logger } from '../env/logger.js'
import type { Sketch } from '../reconcile/index.js'
import type { SketchStore, SketchSummary } from '../store/types.js'
import { isSyncable, type SyncConfig } from '../sync/config.js'
import { hex } from '../bytes.js'

/** The kinds the node syncs (those its sketch holds), as the 256-bit map a persisted sketch is keyed by. */
export function syncedKinds(sync: SyncConfig): Uint8Array {
  const out = new Uint8Array(32)
  for (let k = 0; k < 256; k++) if (isSyncable(sync, k)) out[k >> 3]! |= 1 << (k & 7)
  return out
}

/**
 * Fills the overlay's (empty) sketch from the store's persisted one; returns the figures
 * kept with it, or, when the store has none usable, the mark to pass to
 * {@link persistSketch} once a scan has built the sketch.
 */
export async function restoreSketch(store: SketchStore, overlay: Uint8Array, sync: SyncConfig, into: Sketch): Promise<{ summary: SketchSummary } | { mark: number }> {
  const mark = store.sketchMark(overlay)
  const summary = await store.loadSketch(overlay, syncedKinds(sync), into)
  return summary === undefined ? { mark } : { summary }
}

/**
 * Checkpoints the sketch a scan just built (the join holds the overlay: nothing else writes
 * it meanwhile; if something did, the store refuses and the next join scans again).
 */
export async function persistSketch(store: SketchStore, overlay: Uint8Array, sync: SyncConfig, sketch: Sketch, summary: SketchSummary, mark: number, log: Logger): Promise<void> {
  const saved = await store.saveSketch(overlay, syncedKinds(sync), sketch, summary, mark)
  if (!saved) log.debug('sketch not persisted: the overlay changed during the join; the next join scans again', { overlay: hex(overlay) })
}
