/**
 * Packet → protobufjs object. Checks only that every value fits its wire type (throws
 * INVALID_ARGUMENT otherwise); DecodeLimits are the receiver's policy and are NOT applied,
 * so a caller can build a datagram a peer will drop (the limit tests do so on purpose).
 *
 * Proto3 canonical form: fields in number order (protobufjs sorts them), default values
 * (0, false, empty bytes, absent messages) omitted.
 */
import { BloomwalkError } from '../../errors.js'
import { type Address, isValidPort, parseIp } from '../address.js'
import { mvdsPayloadToRaw } from '../mvds.js'
import type { BodyField, RawMessage } from '../schema.js'
import { checkBytes, checkSafeInt, checkSafeUint, checkU32, checkU64BigInt, longBits } from '../values.js'
import type { ConnectionType, IntroductionRequest, IntroductionResponse, Packet, SyncOffer, WireBloom } from './types.js'

const CONNECTION_TYPE_VALUES: Readonly<Record<ConnectionType, number>> = { unknown: 0, public: 1, 'symmetric-NAT': 2 }

/** Bytes of one symbol record in a symbols-response: id_xor (32) ‖ hash_xor (8, big-endian). */
export const SYMBOL_RECORD_BYTES = 40

/**
 * Bytes of one short symbol record (docs/reconcile.md §15): hash_xor (8, big-endian) ‖ the low
 * 24 bits of checksum_xor (3, big-endian) ‖ count mod 2^8 (1).
 */
export const SHORT_SYMBOL_RECORD_BYTES = 12
/** The checksum bits a short symbol record carries (its low 24). */
export const SHORT_SYMBOL_CHECK_MASK = 0xffffff

/** Bytes of a short-id prefix (docs/reconcile.md §15): the first 4 bytes of an 8-byte short id. */
export const SHORT_PREFIX_BYTES = 4

/** Ids of `size` bytes (32, 8 for short ids, 4 for their prefixes), concatenated. @throws {BloomwalkError} INVALID_ARGUMENT for an id of another length */
function packIds(name: string, ids: readonly Uint8Array[], size = 32): Uint8Array {
  const out = new Uint8Array(size * ids.length)
  ids.forEach((id, i) => out.set(checkBytes(`${name}[${i}]`, id, size), size * i))
  return out
}

/** Sets `raw[name] = value` unless value is the proto3 default. */
function put(raw: RawMessage, name: string, value: number | boolean | Uint8Array | RawMessage | readonly unknown[] | undefined): void {
  if (value === undefined || value === 0 || value === false) return
  if ((value instanceof Uint8Array || Array.isArray(value)) && value.length === 0) return
  raw[name] = value
}

/** The wire object of an address. @throws {BloomwalkError} INVALID_ARGUMENT */
export function addressToRaw(name: string, address: Address): RawMessage {
  if (typeof address !== 'object' || address === null) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be an Address`)
  const ip = parseIp(address.host)
  if (ip === null) throw new BloomwalkError('INVALID_ARGUMENT', `${name}.host is not an IPv4 or IPv6 address: ${JSON.stringify(address.host)}`)
  if (!isValidPort(address.port)) throw new BloomwalkError('INVALID_ARGUMENT', `${name}.port must be an integer in 1..65535, got ${address.port}`)
  return { ip, port: address.port }
}

function connectionTypeToRaw(value: ConnectionType): number {
  const n = CONNECTION_TYPE_VALUES[value]
  if (n === undefined) throw new BloomwalkError('INVALID_ARGUMENT', `unknown connectionType ${JSON.stringify(value)}`)
  return n
}

/** The wire object of a Bloom filter (bits may be empty: the size helpers rely on it). */
export function bloomToRaw(bloom: Pick<WireBloom, 'k' | 'salt'> & { bits?: Uint8Array }): RawMessage {
  const raw: RawMessage = {}
  if (bloom.bits !== undefined) put(raw, 'bits', checkBytes('sync.bloom.bits', bloom.bits))
  put(raw, 'k', checkU32('sync.bloom.k', bloom.k))
  put(raw, 'salt', checkU32('sync.bloom.salt', bloom.salt))
  return raw
}

/** The wire object of a sync offer without its bloom. */
export function syncToRaw(sync: Omit<SyncOffer, 'bloom'>): RawMessage {
  const raw: RawMessage = {}
  put(raw, 'timeLow', checkSafeUint('sync.timeLow', sync.timeLow))
  put(raw, 'timeHigh', checkSafeUint('sync.timeHigh', sync.timeHigh))
  put(raw, 'modulo', checkU32('sync.modulo', sync.modulo))
  put(raw, 'offset', checkU32('sync.offset', sync.offset))
  return raw
}

/** The wire object of an introduction-request without its sync offer. */
export function introductionRequestToRaw(p: Omit<IntroductionRequest, 'sync' | 'type'>): RawMessage {
  const raw: RawMessage = {}
  put(raw, 'destination', addressToRaw('destination', p.destination))
  put(raw, 'sourceLan', addressToRaw('sourceLan', p.sourceLan))
  put(raw, 'sourceWan', addressToRaw('sourceWan', p.sourceWan))
  if (typeof p.advice !== 'boolean') throw new BloomwalkError('INVALID_ARGUMENT', 'advice must be a boolean')
  put(raw, 'advice', p.advice)
  put(raw, 'connectionType', connectionTypeToRaw(p.connectionType))
  put(raw, 'identifier', checkU32('identifier', p.identifier))
  put(raw, 'globalTime', checkSafeUint('globalTime', p.globalTime))
  if (p.token !== undefined) put(raw, 'token', checkBytes('token', p.token))
  return raw
}

function introductionResponseToRaw(p: IntroductionResponse): RawMessage {
  const raw: RawMessage = {}
  put(raw, 'destination', addressToRaw('destination', p.destination))
  put(raw, 'sourceLan', addressToRaw('sourceLan', p.sourceLan))
  put(raw, 'sourceWan', addressToRaw('sourceWan', p.sourceWan))
  if (p.introduced !== undefined) {
    put(raw, 'introducedLan', addressToRaw('introduced.lan', p.introduced.lan))
    put(raw, 'introducedWan', addressToRaw('introduced.wan', p.introduced.wan))
  }
  put(raw, 'connectionType', connectionTypeToRaw(p.connectionType))
  put(raw, 'identifier', checkU32('identifier', p.identifier))
  put(raw, 'globalTime', checkSafeUint('globalTime', p.globalTime))
  if (p.token !== undefined) put(raw, 'token', checkBytes('token', p.token))
  put(raw, 'answerDeferred', p.answerDeferred === true)
  if (p.answerBundles !== undefined && p.answerBundles > 0) put(raw, 'answerBundles', checkU32('answerBundles', p.answerBundles))
  if (p.recentShort !== undefined && p.recentShort.length > 0) raw['recentShort'] = packIds('recentShort', p.recentShort, 8)
  return raw
}

/**
 * The envelope body field and wire object of a packet.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a value that does not fit its wire type
 */
export function packetToRaw(packet: Packet): { field: BodyField; raw: RawMessage } {
  switch (packet.type) {
    case 'introduction-request': {
      const raw = introductionRequestToRaw(packet)
      if (packet.sync !== undefined) raw['sync'] = { ...syncToRaw(packet.sync), bloom: bloomToRaw(packet.sync.bloom) }
      return { field: 'introductionRequest', raw }
    }
    case 'introduction-response':
      return { field: 'introductionResponse', raw: introductionResponseToRaw(packet) }
    case 'puncture-request': {
      const raw: RawMessage = {}
      put(raw, 'walkerLan', addressToRaw('walkerLan', packet.walkerLan))
      put(raw, 'walkerWan', addressToRaw('walkerWan', packet.walkerWan))
      put(raw, 'identifier', checkU32('identifier', packet.identifier))
      if (packet.globalTime !== undefined && packet.globalTime > 0) put(raw, 'globalTime', checkSafeUint('globalTime', packet.globalTime))
      if (packet.recentShort !== undefined && packet.recentShort.length > 0) raw['recentShort'] = packIds('recentShort', packet.recentShort, 8)
      return { field: 'punctureRequest', raw }
    }
    case 'puncture': {
      const raw: RawMessage = {}
      put(raw, 'sourceLan', addressToRaw('sourceLan', packet.sourceLan))
      put(raw, 'sourceWan', addressToRaw('sourceWan', packet.sourceWan))
      put(raw, 'identifier', checkU32('identifier', packet.identifier))
      if (packet.token !== undefined) put(raw, 'token', checkBytes('token', packet.token))
      return { field: 'puncture', raw }
    }
    case 'bundles':
      return { field: 'bundles', raw: { bundles: packet.bundles.map((b, i) => checkBytes(`bundles[${i}].bytes`, b.bytes)), ephemeral: packet.ephemeral === true } }
    case 'push': {
      const raw: RawMessage = { bundles: packet.bundles.map((b, i) => checkBytes(`bundles[${i}].bytes`, b.bytes)) }
      put(raw, 'hops', checkU32('hops', packet.hops))
      if (packet.ephemeral === true) raw['ephemeral'] = true
      if (packet.have !== undefined && packet.have.length > 0) raw['have'] = packIds('have', packet.have)
      if (packet.haveShort !== undefined && packet.haveShort.length > 0) raw['haveShort'] = packIds('haveShort', packet.haveShort, 8)
      return { field: 'push', raw }
    }
    case 'mvds':
      return { field: 'mvds', raw: mvdsPayloadToRaw(packet.payload) }
    case 'symbols-request': {
      const raw: RawMessage = {}
      put(raw, 'from', checkSafeUint('from', packet.from))
      put(raw, 'count', checkU32('count', packet.count))
      if (packet.digest !== undefined) {
        const digest: RawMessage = {}
        if (checkU64BigInt('digest.hashXor', packet.digest.hashXor) !== 0n) digest['hashXor'] = longBits(packet.digest.hashXor)
        put(digest, 'count', checkSafeUint('digest.count', packet.digest.count))
        raw['digest'] = digest
      }
      if (packet.fetch !== undefined) put(raw, 'fetch', packIds('fetch', packet.fetch))
      if (packet.countsOnly !== undefined) put(raw, 'countsOnly', checkU32('countsOnly', packet.countsOnly))
      if (packet.salt !== undefined) {
        if (checkU64BigInt('salt', packet.salt) === 0n) throw new BloomwalkError('INVALID_ARGUMENT', 'salt must be in [1, 2^64)')
        raw['salt'] = longBits(packet.salt)
      }
      if (packet.shortIds === true) raw['shortIds'] = true
      if (packet.fetchShort !== undefined) put(raw, 'fetchShort', packIds('fetchShort', packet.fetchShort, 8))
      if (packet.fetchPrefixes !== undefined) put(raw, 'fetchPrefixes', packIds('fetchPrefixes', packet.fetchPrefixes, SHORT_PREFIX_BYTES))
      return { field: 'symbolsRequest', raw }
    }
    case 'symbols-response': {
      const raw: RawMessage = {}
      put(raw, 'from', checkSafeUint('from', packet.from))
      const n = packet.symbols.length
      if (n > 0) {
        const records = new Uint8Array(n * SYMBOL_RECORD_BYTES)
        const view = new DataView(records.buffer)
        const counts: number[] = []
        packet.symbols.forEach((s, i) => {
          records.set(checkBytes(`symbols[${i}].idXor`, s.idXor, 32), i * SYMBOL_RECORD_BYTES)
          view.setBigUint64(i * SYMBOL_RECORD_BYTES + 32, checkU64BigInt(`symbols[${i}].hashXor`, s.hashXor))
          counts.push(checkSafeInt(`symbols[${i}].count`, s.count))
        })
        raw['symbols'] = records
        raw['counts'] = counts
      }
      const short = packet.shortSymbols ?? []
      if (short.length > 0) {
        if (n > 0) throw new BloomwalkError('INVALID_ARGUMENT', 'a symbols-response carries symbols or short symbols, not both')
        const records = new Uint8Array(short.length * SHORT_SYMBOL_RECORD_BYTES)
        const view = new DataView(records.buffer)
        short.forEach((s, i) => {
          const at = i * SHORT_SYMBOL_RECORD_BYTES
          view.setBigUint64(at, checkU64BigInt(`shortSymbols[${i}].hashXor`, s.hashXor))
          const check = checkU32(`shortSymbols[${i}].check`, s.check) & SHORT_SYMBOL_CHECK_MASK
          view.setUint8(at + 8, check >>> 16)
          view.setUint16(at + 9, check & 0xffff)
          view.setUint8(at + 11, checkSafeInt(`shortSymbols[${i}].count`, s.count) & 0xff)
        })
        raw['shortSymbols'] = records
        // Symbol 0's whole count: the estimate and the unwrapping of the others' counts start from it.
        if (packet.from === 0) put(raw, 'countZero', checkSafeUint('shortSymbols[0].count', short[0]!.count))
      }
      if (packet.check !== undefined && checkU64BigInt('check', packet.check) !== 0n) raw['check'] = longBits(packet.check)
      if (packet.inSync === true) raw['inSync'] = true
      if (packet.countsOnly !== undefined && packet.countsOnly.length > 0) {
        const bytes = new Uint8Array(2 * packet.countsOnly.length)
        const view = new DataView(bytes.buffer)
        packet.countsOnly.forEach((c, i) => {
          if (!Number.isInteger(c) || c < 0 || c > 0xffff) throw new BloomwalkError('INVALID_ARGUMENT', `countsOnly[${i}] must be an integer in [0, 65535], got ${String(c)}`)
          view.setUint16(2 * i, c)
        })
        raw['countsOnly'] = bytes
      }
      return { field: 'symbolsResponse', raw }
    }
    case 'bundle-request': {
      const raw: RawMessage = { ids: packIds('ids', packet.ids) }
      if (packet.newerThan !== undefined) put(raw, 'newerThan', checkSafeUint('newerThan', packet.newerThan))
      if (packet.upTo !== undefined) put(raw, 'upTo', checkSafeUint('upTo', packet.upTo))
      if (packet.shortIds !== undefined) put(raw, 'shortIds', packIds('shortIds', packet.shortIds, 8))
      if (packet.shortPrefixes !== undefined) put(raw, 'shortPrefixes', packIds('shortPrefixes', packet.shortPrefixes, SHORT_PREFIX_BYTES))
      return { field: 'bundleRequest', raw }
    }
    default:
      throw new BloomwalkError('INVALID_ARGUMENT', `unknown packet type ${JSON.stringify((packet as { type: unknown }).type)}`)
  }
}
