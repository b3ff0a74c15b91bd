/**
 * A preloaded overlay history (the DBS regime: "up to 100 000 bundles"): `bundles` old
 * bundles at global times 1..n, signed by a few history authors, held by every peer except
 * a random `missing` share per peer (old, scattered differences to catch up on).
 */
import { generateKeyPair, signBundle, type KeyPair } from '../bundle/index.js'
import type { Bundle } from '../bundle/types.js'
import { BUNDLE_FIXED_BYTES, SIGNATURE_BYTES, bundleIdOf, decodeBundle, encodeCanonical } from '../bundle/codec.js'
import { int, type Rng } from '../env/rng.js'
import type { HistorySpec } from './scenario.js'

/** Authors of the history (the bundles are spread over them round-robin). */
const HISTORY_AUTHORS = 16

export interface History {
  bundles: Bundle[]
  /** Per peer: indexes of the history bundles it lacks. */
  missing: Set<number>[]
  /** Per history bundle: the peers lacking it (ascending). */
  lackedBy: number[][]
}

/** Builds a history deterministically from `rng`; `sign` (message, secret) → signature replaces @noble/curves when given. */
export function buildHistory(spec: HistorySpec, peers: number, overlay: Uint8Array, bundleBytes: number, rng: Rng, sign?: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array): History {
  const authors: KeyPair[] = Array.from({ length: HISTORY_AUTHORS }, () => generateKeyPair(rng))
  const bodyBytes = Math.max(0, bundleBytes - BUNDLE_FIXED_BYTES)
  const bundles: Bundle[] = []
  for (let i = 0; i < spec.bundles; i++) {
    const body = rng.bytes(bodyBytes)
    const draft = { overlay, globalTime: i + 1, kind: 1, body }
    const keys = authors[i % HISTORY_AUTHORS]!
    bundles.push(sign === undefined ? signBundle(draft, keys) : signWith(draft, keys, sign))
  }
  const perPeer = Math.min(spec.bundles, Math.round(spec.missing * spec.bundles))
  const missing: Set<number>[] = []
  const lackedBy: number[][] = bundles.map(() => [])
  for (let p = 0; p < peers; p++) {
    const lacks = new Set<number>()
    while (lacks.size < perPeer) lacks.add(int(rng, spec.bundles))
    missing.push(lacks)
    for (const i of [...lacks].sort((a, b) => a - b)) lackedBy[i]!.push(p)
  }
  return { bundles, missing, lackedBy }
}

/** What `signBundle` builds, with another Ed25519 implementation (signatures are deterministic, so the bytes are the same). */
export function signWith(draft: { overlay: Uint8Array; globalTime: number; kind: number; body: Uint8Array; identityNonce?: Uint8Array }, keys: KeyPair, sign: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array): Bundle {
  const bytes = encodeCanonical({ ...draft, author: keys.publicKey, parents: [], expiresAt: undefined })
  const canonical = bytes.length - SIGNATURE_BYTES
  bytes.set(sign(bundleIdOf(bytes.subarray(0, canonical)), keys.secretKey), canonical)
  const bundle = decodeBundle(bytes, { maxParents: 0, maxBody: draft.body.length })
  if (bundle === null) throw new Error('history bundle does not decode')
  return bundle
}
