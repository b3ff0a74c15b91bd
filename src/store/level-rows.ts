/**
 * The row codec of a {@link LevelStore} (./level.ts): a row value decodes to the bundle its
 * key names, or it is skipped, counted in `corruptRows` and logged (rate-limited) with its
 * key. Every row read is re-hashed (node:crypto) to catch corruption.
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

/** Decodes rows and counts (and logs) the corrupt ones of one store. */
export class RowCodec {
  readonly #counters: { corruptRows: number }
  readonly #log: Logger | undefined
  readonly #location: string

  constructor(counters: { corruptRows: number }, log: Logger | undefined, location: string) {
    this.#counters = counters
    this.#log = log
    this.#location = location
  }

  /** Decodes a row value; undefined (and counted) when it is malformed or not its key's. */
  decode(overlay: Uint8Array, key: Uint8Array, value: Uint8Array): Bundle | undefined {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    const bundle = decodeBundle(bytes, DECODE_LIMITS, nativeBundleId)
    if (
      bundle === null ||
      bundle.globalTime !== rowKeyGlobalTime(key) ||
      compareBytes(bundle.id, rowKeyId(key)) !== 0 ||
      compareBytes(bundle.overlay, overlay) !== 0
    ) {
      this.corrupt(key, bundle === null ? 'does not decode' : 'does not match its key')
      return undefined
    }
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
