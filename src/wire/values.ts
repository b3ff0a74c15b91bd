/**
 * Checked conversions between protobufjs values and bloomwalk values. Decoders return null
 * for anything out of range (never throw); encoders throw INVALID_ARGUMENT.
 *
 * protobufjs decodes 64-bit fields to `Long` objects (`{ low, high, unsigned }`, 32-bit
 * halves) when the `long` package is present, and to numbers otherwise; absent bytes
 * fields read as a frozen empty array from the prototype. Both are handled here.
 */
import { BloomwalkError } from '../errors.js'
import type { RawMessage } from './schema.js'

const TWO_POW_32 = 4294967296
const MAX_U64 = (1n << 64n) - 1n

interface LongLike {
  low: number
  high: number
}

function isLongLike(value: unknown): value is LongLike {
  return typeof value === 'object' && value !== null && typeof (value as LongLike).low === 'number' && typeof (value as LongLike).high === 'number'
}

/** An unsigned 64-bit value as a safe integer, or null when it exceeds 2^53 − 1 or is not a number. */
export function safeUint64(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null
  if (!isLongLike(value)) return null
  const high = value.high >>> 0
  if (high > 0x1fffff) return null
  return high * TWO_POW_32 + (value.low >>> 0)
}

/** A signed 64-bit value (int64 / sint64) as a safe integer, or null when |value| > 2^53 − 1. */
export function safeInt64(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null
  if (!isLongLike(value)) return null
  // Exact while |result| <= 2^53; anything rounded is >= 2^53 in magnitude and rejected.
  const result = (value.high | 0) * TWO_POW_32 + (value.low >>> 0)
  return Number.isSafeInteger(result) ? result : null
}

/** An unsigned 64-bit value (fixed64) as a bigint in [0, 2^64). */
export function uint64BigInt(value: unknown): bigint | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : null
  if (!isLongLike(value)) return null
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)
}

/** A 32-bit unsigned value, or null. */
export function uint32(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < TWO_POW_32 ? value : null
}

/** A bytes field as a plain Uint8Array view (never a Buffer), or null when it is not bytes. */
export function bytesOf(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (Array.isArray(value) && value.length === 0) return new Uint8Array(0)
  return null
}

/** A plain Uint8Array view of the same bytes (protobufjs hands back Buffer slices of a Buffer). */
export function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A present sub-message, or null when the field is absent. */
export function messageOf(value: unknown): RawMessage | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) ? (value as RawMessage) : null
}

/** A repeated field as an array (empty when absent), or null when it is not an array. */
export function listOf(value: unknown): readonly unknown[] | null {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : null
}

/** `{ low, high }` halves of a bigint in [0, 2^64) for protobufjs' 64-bit writers. */
export function longBits(value: bigint): LongLike & { unsigned: boolean } {
  return { low: Number(value & 0xffffffffn) | 0, high: Number(value >> 32n) | 0, unsigned: true }
}

function invalid(name: string, what: string, value: unknown): BloomwalkError {
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'number' ? String(value) : typeof value
  return new BloomwalkError('INVALID_ARGUMENT', `${name} must be ${what}, got ${shown}`)
}

/** @throws {BloomwalkError} INVALID_ARGUMENT unless an integer in [0, 2^32) */
export function checkU32(name: string, value: number): number {
  if (uint32(value) === null) throw invalid(name, 'an integer in [0, 2^32)', value)
  return value
}

/** @throws {BloomwalkError} INVALID_ARGUMENT unless a safe integer ≥ 0 */
export function checkSafeUint(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(name, 'a safe integer >= 0', value)
  return value
}

/** @throws {BloomwalkError} INVALID_ARGUMENT unless a safe integer */
export function checkSafeInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value)) throw invalid(name, 'a safe integer', value)
  return value
}

/** @throws {BloomwalkError} INVALID_ARGUMENT unless a bigint in [0, 2^64) */
export function checkU64BigInt(name: string, value: bigint): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) throw invalid(name, 'a bigint in [0, 2^64)', value)
  return value
}

/** @throws {BloomwalkError} INVALID_ARGUMENT unless a Uint8Array (of `length` bytes, if given) */
export function checkBytes(name: string, value: Uint8Array, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(name, 'a Uint8Array', value)
  if (length !== undefined && value.length !== length) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be ${length} bytes, got ${value.length}`)
  return value
}
