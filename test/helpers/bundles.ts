/** Deterministic bundle factories for tests and benchmarks. */
import { SeededRng, int } from '../../src/env/rng.js'
import { generateKeyPair, roomId, signBundle, type Bundle, type KeyPair } from '../../src/bundle/index.js'

export interface MakeBundlesOptions {
  seed?: number
  overlay?: Uint8Array
  /** Number of distinct authors (keys derived from the seed). Default 3. */
  authors?: number
  /** Global times are drawn uniformly from [1, maxGlobalTime]; duplicates are expected. Default 10 × count. */
  maxGlobalTime?: number
  /** Body size in bytes. Default 32. */
  bodyBytes?: number
  kind?: number
  /** Global times 1, 2, 3, … in order (a chat history) instead of random ones. */
  sequential?: boolean
}

/** Author key pairs derived from a seed (the same seed gives the same keys). */
export function makeAuthors(count: number, seed = 1): KeyPair[] {
  const rng = new SeededRng(seed)
  return Array.from({ length: count }, () => generateKeyPair(rng))
}

/** `count` signed bundles with random global times, bodies and authors, all distinct ids. */
export function makeBundles(count: number, options: MakeBundlesOptions = {}): Bundle[] {
  const rng = new SeededRng(options.seed ?? 7)
  const authors = makeAuthors(options.authors ?? 3, (options.seed ?? 7) + 1000)
  const overlay = options.overlay ?? roomId('test')
  const maxGt = options.maxGlobalTime ?? count * 10
  const out: Bundle[] = []
  for (let i = 0; i < count; i++) {
    const body = rng.bytes(options.bodyBytes ?? 32)
    // The index in the body makes every id distinct even for equal random bytes.
    new DataView(body.buffer).setUint32(0, i)
    out.push(signBundle({ overlay, globalTime: options.sequential === true ? i + 1 : 1 + int(rng, maxGt), kind: options.kind ?? 1, body }, authors[i % authors.length]!))
  }
  return out
}

/** Lowercase hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
