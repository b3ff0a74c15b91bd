/**
 * Bundle factories for benchmarks (bench/ is compiled; test/helpers is not).
 *
 * Signing 100 000 bundles with noble Ed25519 takes minutes, and stores never verify
 * signatures, so {@link syntheticBundles} signs only the first `signed` bundles for real and
 * builds the rest with the real canonical layout and id (`encodeCanonical` + `bundleIdOf`)
 * but a dummy signature. Every bundle decodes with `decodeBundle`; only the dummy-signed ones
 * would fail `verifyBundleSignature`.
 */
import { bundleIdOf, encodeCanonical, generateKeyPair, roomId, SIGNATURE_BYTES, signBundle, type Bundle } from '../src/bundle/index.js'
import { int, SeededRng } from '../src/env/rng.js'

export interface SyntheticOptions {
  /** Overlay id, or a room name hashed into one. */
  overlay: Uint8Array | string
  count: number
  /** Global times are uniform in [1, maxGlobalTime] (duplicates expected). */
  maxGlobalTime: number
  seed?: number
  /** Body bytes; default 54, which makes 196-byte bundles (the Dispersy test bed's size). */
  bodyBytes?: number
  /** How many of the bundles get a real Ed25519 signature. Default 256. */
  signed?: number
  /** Authors, taking turns (bundle i is by author i mod authors). Default 1. */
  authors?: number
}

/** `count` distinct bundles with valid layout and ids; see the file comment on signatures. */
export function syntheticBundles(options: SyntheticOptions): Bundle[] {
  const rng = new SeededRng(options.seed ?? 1)
  const overlay = typeof options.overlay === 'string' ? roomId(options.overlay) : options.overlay
  const authors = [generateKeyPair(rng)]
  // Only a room of several authors draws more keys: the default's bundles stay those of before.
  while (authors.length < (options.authors ?? 1)) authors.push(generateKeyPair(rng))
  const bodyBytes = Math.max(4, options.bodyBytes ?? 54)
  const signed = Math.min(options.count, options.signed ?? 256)
  const dummySignature = rng.bytes(SIGNATURE_BYTES)
  const out: Bundle[] = []
  for (let i = 0; i < options.count; i++) {
    const body = rng.bytes(bodyBytes)
    new DataView(body.buffer).setUint32(0, i) // distinct ids
    const globalTime = 1 + int(rng, options.maxGlobalTime)
    const keys = authors[i % authors.length]!
    if (i < signed) {
      out.push(signBundle({ overlay, globalTime, kind: 1, body }, keys))
      continue
    }
    const fields = { overlay, globalTime, author: keys.publicKey, kind: 1, parents: [], body, expiresAt: undefined }
    const bytes = encodeCanonical(fields)
    const canonicalLength = bytes.length - SIGNATURE_BYTES
    bytes.set(dummySignature, canonicalLength)
    const id = bundleIdOf(bytes.subarray(0, canonicalLength))
    const bodyAt = canonicalLength - bodyBytes
    out.push({ ...fields, body: bytes.subarray(bodyAt, canonicalLength), signature: bytes.subarray(canonicalLength), id, bytes })
  }
  return out
}

/** Splits an array into consecutive chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
