/**
 * Byte helpers on `Uint8Array`, in one place: hex keys for maps, a sort comparator and
 * equality. Pure; used by the core (causal, mvds, store, …) and the shells alike.
 */

/** Lowercase hex of `bytes`: the key of maps and sets of ids. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Lexicographic byte order: negative, zero or positive like a sort comparator. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** Byte equality, constant-shape (it reads every byte of equal-length inputs, whatever they hold). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
