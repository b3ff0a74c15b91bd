/**
 * The row codec of a {@link LevelStore} (./level.ts): a row value decodes to the bundle its
 * key names, or it is skipped, counted in `corruptRows` and logged (rate-limited) with its
 * key. A row is re-hashed (node:crypto) to catch corruption unless its bytes are, byte for
 * byte, those of a row under the same key that this codec decoded and checked before: those
 * come from a bounded cache of decoded rows ({@link DecodedRows}), so a walk step's scans do
 * not decode and hash the same bundles again and again (issue 22: the 50-peer demo spent 13 %
 * of its CPU there, and more in the garbage they left).
 */
import { createHash } from 'node:crypto'
import { BUNDLE_ID_DOMAIN, decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD } from '../bundle/codec.js'
import type { Bundle } from '../bundle/types.js'
import type { Logger } from '../env/logger.js'
import { rowKeyGlobalTime, rowKeyId } from './level-keys.js'
import { compareBytes, hexKey } from './range.js'

/** Corrupt rows logged one by one; after that, one line per {@link CORRUPT_LOG_EVERY}. */
const CORRUPT_LOG_FIRST = 10
const CORRUPT_LOG_EVERY = 1000
/** Structural decode limits: the store keeps whatever passed validation when it was put. */
const DECODE_LIMITS = { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD }

/** Default bound of a store's {@link DecodedRows}: 16 MiB counted as row bytes plus {@link DECODED_ROW_OVERHEAD} each, about 18 000 chat bundles. */
export const DECODED_ROWS_BYTES = 16 * 1024 * 1024
/** What a decoded bundle costs in memory besides its row bytes (its object and views), counted against the bound. */
export const DECODED_ROW_OVERHEAD = 512

/** Decodes rows and counts (and logs) the corrupt ones of one store. */
export class RowCodec {
  readonly #counters: { corruptRows: number }
  readonly #log: Logger | undefined
  readonly #location: string
  readonly #decoded: DecodedRows

  constructor(counters: { corruptRows: number }, log: Logger | undefined, location: string, cacheBytes = DECODED_ROWS_BYTES) {
    this.#counters = counters
    this.#log = log
    this.#location = location
    this.#decoded = new DecodedRows(cacheBytes)
  }

  /** Decodes a row value; undefined (and counted) when it is malformed or not its key's. */
  decode(overlay: Uint8Array, key: Uint8Array, value: Uint8Array): Bundle | undefined {
    const name = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
    const known = this.#decoded.get(name, value)
    if (known !== undefined) return known
    // A copy: the cache must not hold on to whatever larger buffer LevelDB handed the row in.
    const bundle = decodeBundle(Uint8Array.from(value), DECODE_LIMITS, nativeBundleId)
    if (
      bundle === null ||
      bundle.globalTime !== rowKeyGlobalTime(key) ||
      compareBytes(bundle.id, rowKeyId(key)) !== 0 ||
      compareBytes(bundle.overlay, overlay) !== 0
    ) {
      this.corrupt(key, bundle === null ? 'does not decode' : 'does not match its key')
      return undefined
    }
    this.#decoded.set(name, bundle)
    return bundle
  }

  /** Counts a corrupt row and logs it: the first ten one by one, then every thousandth. */
  corrupt(key: Uint8Array, why: string): void {
    const n = ++this.#counters.corruptRows
    if (n <= CORRUPT_LOG_FIRST || n % CORRUPT_LOG_EVERY === 0) {
      this.#log?.warn(`corrupt row skipped: ${why}`, { location: this.#location, key: hexKey(key), corruptRows: n })
    }
  }
}

/** A plain Uint8Array view (LevelDB hands back Buffers). */
export function plainView(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/** The bundle id with node:crypto's SHA-256: every row read is re-hashed to catch corruption. */
export function nativeBundleId(canonical: Uint8Array): Uint8Array {
  return createHash('sha256').update(BUNDLE_ID_DOMAIN).update(canonical).digest()
}

/**
 * Rows decoded and checked, by row key, least recently used first; bounded by the bytes of
 * their rows plus {@link DECODED_ROW_OVERHEAD} each. A row is served from here only when its value equals the cached bundle's bytes,
 * so a row changed on disk is decoded (and found corrupt) as if it had never been cached.
 */
export class DecodedRows {
  readonly #rows = new Map<string, Bundle>()
  readonly #maxBytes: number
  #bytes = 0
  hits = 0

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  get size(): number {
    return this.#rows.size
  }

  get bytes(): number {
    return this.#bytes
  }

  /** The bundle decoded from a row under `name` whose bytes equal `value`, else undefined. */
  get(name: string, value: Uint8Array): Bundle | undefined {
    const bundle = this.#rows.get(name)
    if (bundle === undefined || bundle.bytes.length !== value.length || Buffer.compare(bundle.bytes, value) !== 0) return undefined
    this.#rows.delete(name)
    this.#rows.set(name, bundle)
    this.hits++
    return bundle
  }

  set(name: string, bundle: Bundle): void {
    const size = bundle.bytes.length + DECODED_ROW_OVERHEAD
    if (size > this.#maxBytes) return
    const old = this.#rows.get(name)
    if (old !== undefined) {
      this.#rows.delete(name)
      this.#bytes -= old.bytes.length + DECODED_ROW_OVERHEAD
    }
    this.#rows.set(name, bundle)
    this.#bytes += size
    for (const [oldest, b] of this.#rows) {
      if (this.#bytes <= this.#maxBytes) break
      this.#rows.delete(oldest)
      this.#bytes -= b.bytes.length + DECODED_ROW_OVERHEAD
    }
  }
}
