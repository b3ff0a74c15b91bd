/**
 * The field readers packet decoding (./decode.ts) is built of: each reads one protobufjs
 * field — an address, a global time, a token, a Bloom offer, packed ids, bundles, coded
 * symbols — checks it against the decode limits and returns its value or a
 * {@link DropReason}, never throwing. Counts are checked before per-item work.
 */
import { decodeBundle } from '../../bundle/codec.js'
import type { Bundle } from '../../bundle/types.js'
import { type Address, formatIp, isValidPort } from '../address.js'
import { type DecodeLimits, type DropReason, WIRE_ID_BYTES } from '../limits.js'
import { bytesOf, listOf, messageOf, safeInt64, safeUint64, uint32 } from '../values.js'
import { SHORT_PREFIX_BYTES, SHORT_SYMBOL_RECORD_BYTES, SYMBOL_RECORD_BYTES } from './encode.js'
import type { CodedSymbol, ShortSymbol, ConnectionType, IntroducedPeer, SyncOffer } from './types.js'

/** A field's value, or why its packet is dropped. */
export type Result<T> = T | DropReason

/** Whether a reader returned a drop reason rather than a value. */
export const isDrop = (value: unknown): value is DropReason => typeof value === 'string'

/** A required address: present, 4/16-byte ip, port 1..65535. */
export function address(value: unknown): Result<Address> {
  const m = messageOf(value)
  if (m === null) return 'bad-address'
  const ip = bytesOf(m['ip'])
  const port = uint32(m['port'])
  if (ip === null || port === null) return 'malformed'
  const host = formatIp(ip)
  if (host === null || !isValidPort(port)) return 'bad-address'
  return { host, port }
}

/** An optional address: absent, or all-zero (no ip or a zero ip, port 0), reads as undefined. */
function optionalAddress(value: unknown): Result<Address | undefined> {
  const m = messageOf(value)
  if (m === null) return undefined
  const ip = bytesOf(m['ip'])
  if (ip !== null && m['port'] === 0 && ip.every((b) => b === 0)) return undefined
  return address(value)
}

export function connectionType(value: unknown): ConnectionType {
  // Unknown enum values (a newer peer) read as 'unknown', as proto3 open enums intend.
  return value === 1 ? 'public' : value === 2 ? 'symmetric-NAT' : 'unknown'
}

export function globalTime(value: unknown): Result<number> {
  return safeUint64(value) ?? 'bad-global-time'
}

export function token(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array | undefined> {
  const bytes = bytesOf(value)
  if (bytes === null) return 'malformed'
  if (bytes.length > limits.maxTokenBytes) return 'bad-token'
  return bytes.length === 0 ? undefined : bytes
}

export function identifier(value: unknown): Result<number> {
  return uint32(value) ?? 'malformed'
}

export function sync(value: unknown, limits: Readonly<DecodeLimits>): Result<SyncOffer | undefined> {
  const m = messageOf(value)
  if (m === null) return undefined
  const timeLow = safeUint64(m['timeLow'])
  const timeHigh = safeUint64(m['timeHigh'])
  const modulo = uint32(m['modulo'])
  const offset = uint32(m['offset'])
  if (timeLow === null || timeHigh === null || modulo === null || offset === null) return 'bad-sync'
  if (modulo < 1 || offset >= modulo || (timeHigh !== 0 && timeLow > timeHigh)) return 'bad-sync'
  const b = messageOf(m['bloom'])
  if (b === null) return 'bad-bloom'
  const bits = bytesOf(b['bits'])
  const k = uint32(b['k'])
  const salt = uint32(b['salt'])
  if (bits === null || k === null || salt === null) return 'malformed'
  if (bits.length < 1 || bits.length > limits.maxBloomBytes || k < limits.minK || k > limits.maxK) return 'bad-bloom'
  return { timeLow, timeHigh, modulo, offset, bloom: { bits, k, salt } }
}

export function introduced(lanValue: unknown, wanValue: unknown): Result<IntroducedPeer | undefined> {
  const lan = optionalAddress(lanValue)
  const wan = optionalAddress(wanValue)
  if (isDrop(lan)) return lan
  if (isDrop(wan)) return wan
  if (lan === undefined && wan === undefined) return undefined
  if (lan === undefined || wan === undefined) return 'bad-address'
  return { lan, wan }
}

/** A list field, null-safe, with a count limit checked before anything else. */
function boundedList(value: unknown, max: number, tooMany: DropReason): Result<readonly unknown[]> {
  const list = listOf(value)
  if (list === null) return 'malformed'
  return list.length > max ? tooMany : list
}

/** Packed 32-byte ids (a bytes field): at most `maxIdsPerRequest`, a multiple of 32 bytes. Empty reads as []. */
export function packedIds(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array[]> {
  return packedFixed(value, WIRE_ID_BYTES, limits.maxIdsPerRequest)
}

/** Packed 8-byte short ids (a bytes field): at most `maxIdsPerRequest`, a multiple of 8 bytes. Empty reads as []. */
export function packedShortIds(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array[]> {
  return packedFixed(value, SHORT_ID_BYTES, limits.maxIdsPerRequest)
}

/** Sets `packet.recentShort` from the packed 8-byte short ids of fresh bundles (`recent_short`, at most `maxRecentIds`; absent or empty: left unset), or the drop reason. */
export function withRecentShort<P extends { recentShort?: readonly Uint8Array[] | undefined }>(packet: P, value: unknown, limits: Readonly<DecodeLimits>): Result<P> {
  if (value === undefined) return packet
  const recent = packedFixed(value, SHORT_ID_BYTES, limits.maxRecentIds)
  if (isDrop(recent)) return recent
  if (recent.length > 0) packet.recentShort = recent
  return packet
}

/** Packed 4-byte short-id prefixes (a bytes field): at most `maxPrefixesPerRequest`, a multiple of 4 bytes. Empty reads as []. */
export function packedPrefixes(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array[]> {
  return packedFixed(value, SHORT_PREFIX_BYTES, limits.maxPrefixesPerRequest)
}

/** A bytes field of at most `max` packed values of `size` bytes each. */
function packedFixed(value: unknown, size: number, max: number): Result<Uint8Array[]> {
  const bytes = bytesOf(value)
  if (bytes === null) return 'malformed'
  if (bytes.length % size !== 0) return 'bad-id'
  const n = bytes.length / size
  if (n > max) return 'too-many-ids'
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) out.push(bytes.slice(i * size, (i + 1) * size))
  return out
}

const SHORT_ID_BYTES = 8

export function bundles(value: unknown, limits: Readonly<DecodeLimits>, max = limits.maxBundlesPerDatagram): Result<Bundle[]> {
  const list = boundedList(value, max, 'too-many-bundles')
  if (isDrop(list)) return list
  if (list.length === 0) return 'empty'
  const out: Bundle[] = []
  const bundleLimits = { maxParents: limits.maxParents, maxBody: limits.maxBody }
  for (const item of list) {
    const bytes = bytesOf(item)
    if (bytes === null) return 'malformed'
    const bundle = decodeBundle(bytes, bundleLimits)
    if (bundle === null) return 'bad-bundle'
    out.push(bundle)
  }
  return out
}

/** The packed symbols of a response: k 40-byte records and exactly k counts. */
export function symbols(recordsValue: unknown, countsValue: unknown, limits: Readonly<DecodeLimits>): Result<CodedSymbol[]> {
  return packedRecords(recordsValue, countsValue, SYMBOL_RECORD_BYTES, limits.maxSymbolsPerDatagram, (records, view, at, count) => ({
    idXor: records.slice(at, at + WIRE_ID_BYTES),
    hashXor: view.getBigUint64(at + WIRE_ID_BYTES),
    count
  }))
}

/**
 * The packed short symbols of a response (docs/reconcile.md §15): k 12-byte records, each its
 * count mod 2^8, and no counts; from 0, `count_zero` is symbol 0's whole count (and must agree
 * with its record mod 2^8), and nowhere else.
 */
export function shortSymbols(recordsValue: unknown, countsValue: unknown, countZeroValue: unknown, from: number, limits: Readonly<DecodeLimits>): Result<ShortSymbol[]> {
  const records = bytesOf(recordsValue)
  if (records === null) return 'malformed'
  if (records.length % SHORT_SYMBOL_RECORD_BYTES !== 0) return 'bad-symbol'
  const n = records.length / SHORT_SYMBOL_RECORD_BYTES
  if (n > limits.maxShortSymbolsPerDatagram) return 'too-many-symbols'
  const counts = listOf(countsValue ?? [])
  if (counts === null) return 'malformed'
  if (counts.length > 0) return 'bad-symbol'
  const countZero = countZeroValue === undefined ? 0 : safeUint64(countZeroValue)
  if (countZero === null) return 'malformed'
  if (from !== 0 && countZero !== 0) return 'bad-symbol'
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength)
  const out: ShortSymbol[] = []
  for (let at = 0; at < records.length; at += SHORT_SYMBOL_RECORD_BYTES) {
    out.push({ hashXor: view.getBigUint64(at), check: (view.getUint8(at + 8) << 16) | view.getUint16(at + 9), count: view.getUint8(at + 11) })
  }
  if (from === 0 && out.length > 0) {
    if ((countZero & 0xff) !== out[0]!.count) return 'bad-symbol'
    out[0]!.count = countZero
  }
  return out
}

/** k fixed-size records packed in one bytes field, at most `max`, with exactly k int64 counts beside them. */
function packedRecords<T>(recordsValue: unknown, countsValue: unknown, recordBytes: number, max: number, read: (records: Uint8Array, view: DataView, at: number, count: number) => T): Result<T[]> {
  const records = bytesOf(recordsValue)
  if (records === null) return 'malformed'
  if (records.length % recordBytes !== 0) return 'bad-symbol'
  const n = records.length / recordBytes
  if (n > max) return 'too-many-symbols'
  const counts = boundedList(countsValue, n, 'bad-symbol')
  if (isDrop(counts)) return counts
  if (counts.length !== n) return 'bad-symbol'
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength)
  const out: T[] = []
  for (let i = 0; i < n; i++) {
    const count = safeInt64(counts[i])
    if (count === null) return 'bad-symbol'
    out.push(read(records, view, i * recordBytes, count))
  }
  return out
}

/** Counts alone: 2-byte big-endian counts mod 2^16, at most `maxCountsOnly`. */
export function countsAlone(value: unknown, limits: Readonly<DecodeLimits>): Result<number[]> {
  const bytes = bytesOf(value)
  if (bytes === null) return 'malformed'
  if (bytes.length % 2 !== 0) return 'bad-symbol'
  if (bytes.length / 2 > limits.maxCountsOnly) return 'too-many-symbols'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: number[] = []
  for (let at = 0; at < bytes.length; at += 2) out.push(view.getUint16(at))
  return out
}
