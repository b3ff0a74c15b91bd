/**
 * Signature checks shared by every simulated node: each distinct bundle (id and signature)
 * is verified once per run, not once per receiver. With no verifier injected this is the
 * library's `memoizedVerifier()` (@noble/curves); the CLI injects node:crypto's, ~15×
 * faster, which matters when a run preloads or receives 10⁵ distinct bundles.
 */
import { memoizedVerifier } from '../bundle/index.js'
import type { Bundle } from '../bundle/types.js'

/** Distinct bundles remembered before the memo starts over. */
const MEMO_SIZE = 4_000_000

/** A memoised signature check over `inner` (default: the library's Ed25519 verification). */
export function sharedVerifier(inner?: (bundle: Bundle) => boolean): (bundle: Bundle) => boolean {
  if (inner === undefined) return memoizedVerifier(MEMO_SIZE)
  const verified = new Map<string, boolean>()
  return (bundle) => {
    // The id commits to every canonical field; with the signature it names the whole bundle.
    const key = Buffer.concat([bundle.id, bundle.signature]).toString('base64')
    const known = verified.get(key)
    if (known !== undefined) return known
    const ok = inner(bundle)
    if (verified.size >= MEMO_SIZE) verified.clear()
    verified.set(key, ok)
    return ok
  }
}
