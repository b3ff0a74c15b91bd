/**
 * The data of `npm run reconcile-bench`: N + D distinct bundles with the real layout and
 * ids, split into two sets that share N and differ in D (half held by each side only).
 *
 * Built like bench/fixtures.ts `syntheticBundles` (which src/ cannot import: bench/ is not
 * shipped): canonical bytes from `encodeCanonical`, the id from `bundleIdOf`, and a dummy
 * signature, because signing 10^6 bundles takes too long. The bench therefore never verifies
 * signatures (see reconcile-link.ts); every bundle decodes with `decodeBundle`.
 */
import { bundleIdOf, encodeCanonical, SIGNATURE_BYTES, type Bundle } from '../src/bundle/index.js'
import { int, SeededRng, shuffle } from '../src/env/rng.js'
import { MemoryStore } from '../src/store/memory.js'

/**
 * Where the differences lie in global time: `random` anywhere, half held by each side;
 * `recent` the newest D, half held by each side; `newest` the newest D, all held by B (A was
 * offline while they were written: the common catch-up case); `lacking` anywhere, all held
 * by B (a one-sided difference the newest-first fetch cannot name).
 */
export type Layout = 'random' | 'recent' | 'newest' | 'lacking'

export const LAYOUTS: readonly Layout[] = ['random', 'recent', 'newest', 'lacking']

/** Layouts whose differences are all held by B. */
const ONE_SIDED: ReadonlySet<Layout> = new Set(['newest', 'lacking'])

/** Body bytes that make 196-byte bundles, the Dispersy test bed's size (DESIGN §10). */
export const BENCH_BODY_BYTES = 54

/** The two sets, as bundles sorted by global time (the order a store appends fastest). */
export interface BenchSets {
  overlay: Uint8Array
  /** What A holds: the shared bundles and A's half of the differences. */
  a: Bundle[]
  /** What B holds. */
  b: Bundle[]
  /** The differences held by A only, and by B only. */
  onlyA: number
  onlyB: number
  /** Bytes of one bundle (all are equal). */
  bundleBytes: number
}

/**
 * `count` distinct bundles of one author in `overlay`, global times uniform in
 * [1, count] (so some share a global time, as in a busy room), sorted by global time.
 */
export function benchBundles(overlay: Uint8Array, count: number, seed: number): Bundle[] {
  const rng = new SeededRng(seed)
  const author = rng.bytes(32)
  const signature = rng.bytes(SIGNATURE_BYTES)
  const out: Bundle[] = new Array<Bundle>(count)
  for (let i = 0; i < count; i++) {
    const body = rng.bytes(BENCH_BODY_BYTES)
    new DataView(body.buffer).setUint32(0, i) // distinct ids
    const fields = { overlay, globalTime: 1 + int(rng, count), author, kind: 1, parents: [], body, expiresAt: undefined }
    const bytes = encodeCanonical(fields)
    const canonicalLength = bytes.length - SIGNATURE_BYTES
    bytes.set(signature, canonicalLength)
    const id = bundleIdOf(bytes.subarray(0, canonicalLength))
    out[i] = { ...fields, body: bytes.subarray(canonicalLength - BENCH_BODY_BYTES, canonicalLength), signature: bytes.subarray(canonicalLength), id, bytes }
  }
  return out.sort((x, y) => x.globalTime - y.globalTime)
}

/** True when every difference of `layout` is held by B. */
export function oneSided(layout: Layout): boolean {
  return ONE_SIDED.has(layout)
}

/**
 * Splits `all` (sorted by global time) into A's and B's sets: `diff` differences, the newest
 * ones (`recent`, `newest`) or drawn uniformly (`random`, `lacking`), given alternately to A
 * and B (A gets the odd one out), or all to B (`newest`, `lacking`); the rest is shared.
 */
export function splitSets(overlay: Uint8Array, all: readonly Bundle[], diff: number, layout: Layout, seed: number): BenchSets {
  const indices = layout === 'recent' || layout === 'newest' ? Array.from({ length: diff }, (_, i) => all.length - 1 - i) : shuffle(new SeededRng(seed ^ 0x5eed), Array.from({ length: all.length }, (_, i) => i)).slice(0, diff)
  const owner = new Uint8Array(all.length) // 0 shared, 1 A only, 2 B only
  indices.forEach((at, k) => {
    owner[at] = !ONE_SIDED.has(layout) && k % 2 === 0 ? 1 : 2
  })
  const a: Bundle[] = []
  const b: Bundle[] = []
  for (let i = 0; i < all.length; i++) {
    const o = owner[i]
    if (o !== 2) a.push(all[i]!)
    if (o !== 1) b.push(all[i]!)
  }
  const onlyA = ONE_SIDED.has(layout) ? 0 : Math.ceil(diff / 2)
  return { overlay, a, b, onlyA, onlyB: diff - onlyA, bundleBytes: all[0]?.bytes.length ?? 0 }
}

/** A fresh open memory store holding `bundles`. */
export async function storeOf(bundles: readonly Bundle[]): Promise<MemoryStore> {
  const store = new MemoryStore()
  await store.open()
  await store.putMany(bundles)
  return store
}
