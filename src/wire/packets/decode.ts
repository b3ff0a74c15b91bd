/**
 * protobufjs object → Packet, with the semantic checks of docs/protocol.md. Returns a
 * {@link DropReason} instead of throwing. Counts are checked before per-item work.
 */
import { decodeBundle } from '../../bundle/codec.js'
import type { Bundle } from '../../bundle/types.js'
import { type Address, formatIp, isValidPort } from '../address.js'
import { type DecodeLimits, type DropReason, WIRE_ID_BYTES } from '../limits.js'
import { mvdsPayloadFromRaw } from '../mvds.js'
import type { BodyField, RawMessage } from '../schema.js'
import { bytesOf, listOf, messageOf, safeInt64, safeUint64, uint32, uint64BigInt } from '../values.js'
import { SHORT_PREFIX_BYTES, SHORT_SYMBOL_RECORD_BYTES, SYMBOL_RECORD_BYTES } from './encode.js'
import type { CodedSymbol, ShortSymbol, ConnectionType, IntroducedPeer, IntroductionRequest, IntroductionResponse, Packet, Puncture, PunctureRequest, PushPacket, BundleRequest, SymbolsRequest, SymbolsResponse, SyncOffer } from './types.js'

type Result<T> = T | DropReason

const isDrop = (value: unknown): value is DropReason => typeof value === 'string'

/** A required address: present, 4/16-byte ip, port 1..65535. */
function address(value: unknown): Result<Address> {
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

function connectionType(value: unknown): ConnectionType {
  // Unknown enum values (a newer peer) read as 'unknown', as proto3 open enums intend.
  return value === 1 ? 'public' : value === 2 ? 'symmetric-NAT' : 'unknown'
}

function globalTime(value: unknown): Result<number> {
  return safeUint64(value) ?? 'bad-global-time'
}

function token(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array | undefined> {
  const bytes = bytesOf(value)
  if (bytes === null) return 'malformed'
  if (bytes.length > limits.maxTokenBytes) return 'bad-token'
  return bytes.length === 0 ? undefined : bytes
}

function identifier(value: unknown): Result<number> {
  return uint32(value) ?? 'malformed'
}

function sync(value: unknown, limits: Readonly<DecodeLimits>): Result<SyncOffer | undefined> {
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

function introduced(lanValue: unknown, wanValue: unknown): Result<IntroducedPeer | undefined> {
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
function packedIds(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array[]> {
  return packedFixed(value, WIRE_ID_BYTES, limits.maxIdsPerRequest)
}

/** Packed 8-byte short ids (a bytes field): at most `maxIdsPerRequest`, a multiple of 8 bytes. Empty reads as []. */
function packedShortIds(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array[]> {
  return packedFixed(value, SHORT_ID_BYTES, limits.maxIdsPerRequest)
}

/** Sets `packet.recentShort` from the packed 8-byte short ids of fresh bundles (`recent_short`, at most `maxRecentIds`; absent or empty: left unset), or the drop reason. */
function withRecentShort<P extends { recentShort?: readonly Uint8Array[] | undefined }>(packet: P, value: unknown, limits: Readonly<DecodeLimits>): Result<P> {
  if (value === undefined) return packet
  const recent = packedFixed(value, SHORT_ID_BYTES, limits.maxRecentIds)
  if (isDrop(recent)) return recent
  if (recent.length > 0) packet.recentShort = recent
  return packet
}

/** Packed 4-byte short-id prefixes (a bytes field): at most `maxPrefixesPerRequest`, a multiple of 4 bytes. Empty reads as []. */
function packedPrefixes(value: unknown, limits: Readonly<DecodeLimits>): Result<Uint8Array[]> {
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

function bundles(value: unknown, limits: Readonly<DecodeLimits>, max = limits.maxBundlesPerDatagram): Result<Bundle[]> {
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
function symbols(recordsValue: unknown, countsValue: unknown, limits: Readonly<DecodeLimits>): Result<CodedSymbol[]> {
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
function shortSymbols(recordsValue: unknown, countsValue: unknown, countZeroValue: unknown, from: number, limits: Readonly<DecodeLimits>): Result<ShortSymbol[]> {
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
function countsAlone(value: unknown, limits: Readonly<DecodeLimits>): Result<number[]> {
  const bytes = bytesOf(value)
  if (bytes === null) return 'malformed'
  if (bytes.length % 2 !== 0) return 'bad-symbol'
  if (bytes.length / 2 > limits.maxCountsOnly) return 'too-many-symbols'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: number[] = []
  for (let at = 0; at < bytes.length; at += 2) out.push(view.getUint16(at))
  return out
}

/**
 * The packet of one envelope body, or why it is dropped.
 * Check order inside a packet: addresses, global time, token, then sync / lists.
 */
export function rawToPacket(field: BodyField, raw: RawMessage, limits: Readonly<DecodeLimits>): Result<Packet> {
  switch (field) {
    case 'introductionRequest': {
      const destination = address(raw['destination'])
      if (isDrop(destination)) return destination
      const sourceLan = address(raw['sourceLan'])
      if (isDrop(sourceLan)) return sourceLan
      const sourceWan = address(raw['sourceWan'])
      if (isDrop(sourceWan)) return sourceWan
      const id = identifier(raw['identifier'])
      if (isDrop(id)) return id
      const gt = globalTime(raw['globalTime'])
      if (isDrop(gt)) return gt
      const tok = token(raw['token'], limits)
      if (isDrop(tok)) return tok
      const offer = sync(raw['sync'], limits)
      if (isDrop(offer)) return offer
      if (typeof raw['advice'] !== 'boolean') return 'malformed'
      const packet: IntroductionRequest = { type: 'introduction-request', destination, sourceLan, sourceWan, advice: raw['advice'], connectionType: connectionType(raw['connectionType']), identifier: id, globalTime: gt }
      if (offer !== undefined) packet.sync = offer
      if (tok !== undefined) packet.token = tok
      return packet
    }
    case 'introductionResponse': {
      const destination = address(raw['destination'])
      if (isDrop(destination)) return destination
      const sourceLan = address(raw['sourceLan'])
      if (isDrop(sourceLan)) return sourceLan
      const sourceWan = address(raw['sourceWan'])
      if (isDrop(sourceWan)) return sourceWan
      const intro = introduced(raw['introducedLan'], raw['introducedWan'])
      if (isDrop(intro)) return intro
      const id = identifier(raw['identifier'])
      if (isDrop(id)) return id
      const gt = globalTime(raw['globalTime'])
      if (isDrop(gt)) return gt
      const tok = token(raw['token'], limits)
      if (isDrop(tok)) return tok
      const packet: IntroductionResponse = { type: 'introduction-response', destination, sourceLan, sourceWan, connectionType: connectionType(raw['connectionType']), identifier: id, globalTime: gt }
      if (intro !== undefined) packet.introduced = intro
      if (tok !== undefined) packet.token = tok
      if (raw['answerDeferred'] === true) packet.answerDeferred = true
      const answered = raw['answerBundles'] === undefined ? 0 : uint32(raw['answerBundles'])
      if (answered === null) return 'malformed'
      if (answered > 0) packet.answerBundles = answered
      return withRecentShort(packet, raw['recentShort'], limits)
    }
    case 'punctureRequest': {
      const walkerLan = address(raw['walkerLan'])
      if (isDrop(walkerLan)) return walkerLan
      const walkerWan = address(raw['walkerWan'])
      if (isDrop(walkerWan)) return walkerWan
      const id = identifier(raw['identifier'])
      if (isDrop(id)) return id
      const gt = raw['globalTime'] === undefined ? 0 : globalTime(raw['globalTime'])
      if (isDrop(gt)) return gt
      const packet: PunctureRequest = { type: 'puncture-request', walkerLan, walkerWan, identifier: id }
      if (gt > 0) packet.globalTime = gt
      return withRecentShort(packet, raw['recentShort'], limits)
    }
    case 'puncture': {
      const sourceLan = address(raw['sourceLan'])
      if (isDrop(sourceLan)) return sourceLan
      const sourceWan = address(raw['sourceWan'])
      if (isDrop(sourceWan)) return sourceWan
      const id = identifier(raw['identifier'])
      if (isDrop(id)) return id
      const tok = token(raw['token'], limits)
      if (isDrop(tok)) return tok
      const packet: Puncture = { type: 'puncture', sourceLan, sourceWan, identifier: id }
      if (tok !== undefined) packet.token = tok
      return packet
    }
    case 'bundles': {
      const list = bundles(raw['bundles'], limits)
      if (isDrop(list)) return list
      return raw['ephemeral'] === true ? { type: 'bundles', bundles: list, ephemeral: true } : { type: 'bundles', bundles: list }
    }
    case 'push': {
      const hops = uint32(raw['hops'])
      if (hops === null) return 'malformed'
      if (hops > limits.maxPushHops) return 'bad-hops'
      const have = raw['have'] === undefined ? [] : packedIds(raw['have'], limits)
      if (isDrop(have)) return have
      const haveShort = raw['haveShort'] === undefined ? [] : packedShortIds(raw['haveShort'], limits)
      if (isDrop(haveShort)) return haveShort
      const announced = have.length + haveShort.length > 0
      const list = announced && listOf(raw['bundles'])?.length === 0 ? [] : bundles(raw['bundles'], limits, limits.maxBundlesPerPush)
      if (isDrop(list)) return list
      if (announced) {
        if (raw['ephemeral'] === true) return 'malformed'
        const packet: PushPacket = { type: 'push', bundles: list, hops }
        if (have.length > 0) packet.have = have
        if (haveShort.length > 0) packet.haveShort = haveShort
        return packet
      }
      return raw['ephemeral'] === true ? { type: 'push', bundles: list, hops, ephemeral: true } : { type: 'push', bundles: list, hops }
    }
    case 'mvds': {
      const payload = mvdsPayloadFromRaw(raw, limits)
      return isDrop(payload) ? payload : { type: 'mvds', payload }
    }
    case 'symbolsRequest': {
      const from = safeUint64(raw['from'])
      const count = uint32(raw['count'])
      if (from === null || count === null || count < 1 || count > limits.maxSymbolsPerRequest) return 'bad-range'
      const request: SymbolsRequest = { type: 'symbols-request', from, count }
      const d = messageOf(raw['digest'])
      if (d !== null) {
        const hashXor = uint64BigInt(d['hashXor'])
        const n = safeUint64(d['count'])
        if (hashXor === null) return 'malformed'
        if (n === null) return 'bad-symbol'
        request.digest = { hashXor, count: n }
      }
      const fetch = packedIds(raw['fetch'], limits)
      if (isDrop(fetch)) return fetch
      if (fetch.length > 0) request.fetch = fetch
      if (raw['countsOnly'] !== undefined) {
        const countsOnly = uint32(raw['countsOnly'])
        if (countsOnly === null) return 'malformed'
        if (countsOnly > limits.maxCountsOnly) return 'bad-range'
        if (countsOnly > 0) request.countsOnly = countsOnly
      }
      if (raw['salt'] !== undefined) {
        const salt = uint64BigInt(raw['salt'])
        if (salt === null) return 'malformed'
        if (salt !== 0n) request.salt = salt
      }
      if (raw['shortIds'] === true) request.shortIds = true
      const fetchShort = packedShortIds(raw['fetchShort'], limits)
      if (isDrop(fetchShort)) return fetchShort
      if (fetchShort.length > 0) request.fetchShort = fetchShort
      const fetchPrefixes = packedPrefixes(raw['fetchPrefixes'], limits)
      if (isDrop(fetchPrefixes)) return fetchPrefixes
      if (fetchPrefixes.length > 0) request.fetchPrefixes = fetchPrefixes
      return request
    }
    case 'symbolsResponse': {
      const from = safeUint64(raw['from'])
      if (from === null) return 'bad-range'
      const shortRecords = bytesOf(raw['shortSymbols'])
      const isShort = shortRecords !== null && shortRecords.length > 0
      if (isShort && (bytesOf(raw['symbols'])?.length ?? 0) > 0) return 'bad-symbol'
      const list = isShort ? [] : symbols(raw['symbols'], raw['counts'], limits)
      if (isDrop(list)) return list
      const short = isShort ? shortSymbols(shortRecords, raw['counts'], raw['countZero'], from, limits) : []
      if (!isShort && raw['countZero'] !== undefined && safeUint64(raw['countZero']) !== 0) return 'bad-symbol'
      if (isDrop(short)) return short
      const countsOnly = raw['countsOnly'] === undefined ? [] : countsAlone(raw['countsOnly'], limits)
      if (isDrop(countsOnly)) return countsOnly
      const response: SymbolsResponse = { type: 'symbols-response', from, symbols: list }
      if (short.length > 0) response.shortSymbols = short
      if (raw['check'] !== undefined) {
        const check = uint64BigInt(raw['check'])
        if (check === null) return 'malformed'
        if (check !== 0n) response.check = check
      }
      if (raw['inSync'] === true) {
        if (list.length > 0 || short.length > 0 || countsOnly.length > 0) return 'bad-symbol'
        response.inSync = true
        return response
      }
      if (countsOnly.length > 0) response.countsOnly = countsOnly
      return response
    }
    case 'bundleRequest': {
      const list = packedIds(raw['ids'], limits)
      if (isDrop(list)) return list
      const shortIds = packedShortIds(raw['shortIds'], limits)
      if (isDrop(shortIds)) return shortIds
      const shortPrefixes = packedPrefixes(raw['shortPrefixes'], limits)
      if (isDrop(shortPrefixes)) return shortPrefixes
      const newerThan = raw['newerThan'] === undefined ? 0 : safeUint64(raw['newerThan'])
      const upTo = raw['upTo'] === undefined ? 0 : safeUint64(raw['upTo'])
      if (newerThan === null || upTo === null || (upTo > 0 && (newerThan === 0 || upTo <= newerThan))) return 'bad-range'
      if (list.length === 0 && shortIds.length === 0 && shortPrefixes.length === 0 && newerThan === 0) return 'empty'
      const request: BundleRequest = { type: 'bundle-request', ids: list }
      if (newerThan > 0) request.newerThan = newerThan
      if (upTo > 0) request.upTo = upTo
      if (shortIds.length > 0) request.shortIds = shortIds
      if (shortPrefixes.length > 0) request.shortPrefixes = shortPrefixes
      return request
    }
  }
}
