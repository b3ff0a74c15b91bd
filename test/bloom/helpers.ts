/** Shared helpers for the bloom tests: deterministic random ids. */
import type { Rng } from '../../src/env/rng.js'

/** `count` random 32-byte ids, as views into one buffer (fast to make, no per-id copy). */
export function randomIds(rng: Rng, count: number): Uint8Array[] {
  const words = new Uint32Array(count * 8)
  for (let i = 0; i < words.length; i++) words[i] = rng.u32()
  const bytes = new Uint8Array(words.buffer)
  const ids: Uint8Array[] = new Array(count)
  for (let i = 0; i < count; i++) ids[i] = bytes.subarray(32 * i, 32 * i + 32)
  return ids
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
