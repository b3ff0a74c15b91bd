/**
 * Signature checks shared by every simulated node: each distinct bundle (id and signature)
 * is verified once per run, not once per receiver. With no verifier injected this is the
 * library's `memoizedVerifier()` (@noble/curves); the CLI injects node:crypto's, ~15×
 * faster, which matters when a run preloads or receives 10⁵ distinct bundles.
 */
import { memoizedVerifier } from '../bundle/index.js'
import type { Bundle } from '../bundle/types.js'
import { equalBytes } from '../bytes.js'

/** Distinct bundles remembered before the memo starts over. */
const MEMO_SIZE = 4_000_000

/** A memoised signature check over `inner` (default: the library's Ed25519 verification). */
export function sharedVerifier(inner?: (bundle: Bundle) => boolean): (bundle: Bundle) => boolean {
  if (inner === undefined) return memoizedVerifier(MEMO_SIZE)
  // Keyed by the id's first 48 bits (no string per call); an entry matches only on the
  // whole id and signature, which together name the whole bundle.
  const verified = new Map<number, { id: Uint8Array; signature: Uint8Array; ok: boolean }[]>()
  let size = 0
  return (bundle) => {
    const { id, signature } = bundle
    const key = id[0]! + id[1]! * 0x100 + id[2]! * 0x10000 + id[3]! * 0x1000000 + id[4]! * 0x100000000 + id[5]! * 0x10000000000
    const entries = verified.get(key)
    const known = entries?.find((e) => equalBytes(e.id, id) && equalBytes(e.signature, signature))
    if (known !== undefined) return known.ok
    const ok = inner(bundle)
    if (size >= MEMO_SIZE) {
      verified.clear()
      size = 0
    }
    const entry = { id: id.slice(), signature: signature.slice(), ok }
    if (entries === undefined || verified.size === 0) verified.set(key, [entry])
    else entries.push(entry)
    size++
    return ok
  }
}
