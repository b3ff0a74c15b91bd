/**
 * Storage of a run of coded symbols in typed arrays (internal to src/reconcile):
 * 32 bytes of id XOR as eight uint32 words, the 64-bit hash XOR as two uint32 halves
 * (interleaved hi, lo), the 32-bit XOR of the ids' short-id checksums (short.ts) and a
 * signed 32-bit count. 48 bytes per symbol; 2^14 symbols take 768 KiB. Conversion to and from the wire's {@link CodedSymbol} (bigint hash) happens here.
 *
 * The id words are a native-endian view of the id bytes: XOR is bytewise, so the byte
 * order of the words never matters as long as bytes go in and come out through the same view.
 */
import type { CodedSymbol, ShortSymbol } from '../wire/packets/types.js'
import { ID_BYTES, joinHash } from './hash.js'

/** Words of an id. */
export const ID_WORDS = ID_BYTES / 4

/** Largest count a peer's symbol may carry (an honest sketch's counts are in [0, items]). */
export const MAX_SYMBOL_COUNT = 0x7fffffff

const TWO_POW_64 = 1n << 64n
const MASK32 = 0xffffffffn

/** A fixed-length run of coded symbols. @internal */
export class SymbolTable {
  /** Number of symbols. */
  readonly length: number
  /** Id XORs, {@link ID_WORDS} words per symbol. */
  readonly words: Uint32Array
  /** The same memory as bytes (32 per symbol). */
  readonly bytes: Uint8Array
  /** Hash XORs: `hashes[2i]` high half, `hashes[2i + 1]` low half. */
  readonly hashes: Uint32Array
  /** XORs of the short-id checksums (`shortCheck` of each id's hash). */
  readonly checks: Uint32Array
  /** Signed counts. */
  readonly counts: Int32Array

  /** An all-zero table, or a copy of the first `length` symbols of `source`. */
  constructor(length: number, source?: SymbolTable) {
    this.length = length
    this.words = new Uint32Array(length * ID_WORDS)
    this.bytes = new Uint8Array(this.words.buffer)
    this.hashes = new Uint32Array(2 * length)
    this.checks = new Uint32Array(length)
    this.counts = new Int32Array(length)
    if (source !== undefined) this.copyFrom(source)
  }

  /** Overwrites this table with the first `length` symbols of `source`. */
  copyFrom(source: SymbolTable): void {
    const length = this.length
    this.words.set(source.words.subarray(0, length * ID_WORDS))
    this.hashes.set(source.hashes.subarray(0, 2 * length))
    this.checks.set(source.checks.subarray(0, length))
    this.counts.set(source.counts.subarray(0, length))
  }

  /** Symbol `i` in wire form (a copy). */
  coded(i: number): CodedSymbol {
    const h = 2 * i
    return {
      idXor: this.bytes.slice(i * ID_BYTES, (i + 1) * ID_BYTES),
      hashXor: joinHash(this.hashes[h]!, this.hashes[h + 1]!),
      count: this.counts[i]!
    }
  }

  /** Symbol `i` in short wire form (a copy): hash XOR, checksum XOR, count. */
  short(i: number): ShortSymbol {
    return { hashXor: joinHash(this.hashes[2 * i]!, this.hashes[2 * i + 1]!), check: this.checks[i]!, count: this.counts[i]! }
  }

  /**
   * True when symbol `i` is empty: zero hash XOR, count 0, and zero id XOR (`short` false) or
   * zero checksum XOR (`short` true: a short-id session never sees the id XOR).
   */
  isZero(i: number, short = false): boolean {
    if (this.counts[i] !== 0 || this.hashes[2 * i] !== 0 || this.hashes[2 * i + 1] !== 0) return false
    if (short) return this.checks[i] === 0
    const w = this.words
    for (let o = i * ID_WORDS, end = o + ID_WORDS; o < end; o++) if (w[o] !== 0) return false
    return true
  }

  /** True when both tables hold the same first `n` symbols. */
  samePrefix(other: SymbolTable, n: number): boolean {
    return equalRange(this.words, other.words, n * ID_WORDS) && equalRange(this.hashes, other.hashes, 2 * n) && equalRange(this.checks, other.checks, n) && equalRange(this.counts, other.counts, n)
  }
}

function equalRange(a: Uint32Array | Int32Array, b: Uint32Array | Int32Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false
  return true
}

/** A peer's symbol after validation, hash split into halves. @internal */
export interface CheckedSymbol {
  idXor: Uint8Array
  hashHi: number
  hashLo: number
  count: number
}

/**
 * Validates a symbol from a peer (a value decoded from the wire, or anything else): a
 * 32-byte `idXor`, a `hashXor` bigint in [0, 2^64), an integer count in
 * [0, {@link MAX_SYMBOL_COUNT}] (an honest sketch never holds a negative count). Null when
 * any of that fails; never throws.
 * @internal
 */
export function checkSymbol(symbol: unknown): CheckedSymbol | null {
  if (typeof symbol !== 'object' || symbol === null) return null
  const { idXor, hashXor, count } = symbol as Partial<CodedSymbol>
  if (!(idXor instanceof Uint8Array) || idXor.length !== ID_BYTES) return null
  if (typeof hashXor !== 'bigint' || hashXor < 0n || hashXor >= TWO_POW_64) return null
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_SYMBOL_COUNT) return null
  return { idXor, hashHi: Number(hashXor >> 32n), hashLo: Number(hashXor & MASK32), count }
}

/** A peer's short symbol after validation, hash split into halves. @internal */
export interface CheckedShortSymbol {
  hashHi: number
  hashLo: number
  check: number
  count: number
}

/**
 * Validates a short symbol from a peer: a `hashXor` bigint in [0, 2^64), a `check` integer
 * in [0, 2^32), an integer count in [0, {@link MAX_SYMBOL_COUNT}]. Null when any of that
 * fails; never throws.
 * @internal
 */
export function checkShortSymbol(symbol: unknown): CheckedShortSymbol | null {
  if (typeof symbol !== 'object' || symbol === null) return null
  const { hashXor, check, count } = symbol as Partial<ShortSymbol>
  if (typeof hashXor !== 'bigint' || hashXor < 0n || hashXor >= TWO_POW_64) return null
  if (typeof check !== 'number' || !Number.isInteger(check) || check < 0 || check > 0xffffffff) return null
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_SYMBOL_COUNT) return null
  return { hashHi: Number(hashXor >> 32n), hashLo: Number(hashXor & MASK32), check, count }
}
