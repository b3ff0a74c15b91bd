/**
 * Deletes expired bundles from the store (DESIGN §3: an expiring bundle is neither synced
 * nor kept once its expiry global time has passed). Without an expiry index, each call
 * scans a bounded window of rows from a cursor that walks the overlay's history and wraps
 * around, so the work per walk step is bounded and every bundle is visited in turn. A node
 * holding no expiring bundle does not sweep at all.
 */
import type { Bundle } from '../bundle/types.js'
import type { BundleStore } from '../store/types.js'
import type { OverlayState } from './overlay.js'

/** Rows examined per sweep call. */
export const EXPIRY_ROWS_PER_SWEEP = 256

/** Scans the next window; deletes what expired; returns the deleted bundles. */
export async function sweepExpired(store: BundleStore, overlay: OverlayState, rows = EXPIRY_ROWS_PER_SWEEP): Promise<Bundle[]> {
  if (overlay.expiring <= 0) return []
  const now = overlay.clock.time
  const expired: Bundle[] = []
  let read = 0
  let last = overlay.expiryCursor
  for await (const b of store.range({ overlay: overlay.id, from: overlay.expiryCursor, to: Number.MAX_SAFE_INTEGER, maxRows: rows })) {
    read++
    last = b.globalTime
    if (b.expiresAt !== undefined && b.expiresAt < now) expired.push(b)
  }
  // Fewer rows than asked: the end of history was reached, start over next time.
  // A window that ended inside one global time resumes there (or past it if the window never left it).
  overlay.expiryCursor = read < rows ? 0 : last > overlay.expiryCursor ? last : last + 1
  for (const b of expired) {
    if (!(await store.delete(overlay.id, b.id))) continue
    overlay.stored--
    overlay.expiring--
  }
  return expired
}
