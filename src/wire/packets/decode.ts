/**
 * protobufjs object → Packet, with the semantic checks of docs/protocol.md. Returns a
 * {@link DropReason} instead of throwing. Counts are checked before per-item work; each
 * field is read by ./decode-fields.ts.
 */
import type { DecodeLimits } from '../limits.js'
import { mvdsPayloadFromRaw } from '../mvds.js'
import type { BodyField, RawMessage } from '../schema.js'
import { bytesOf, listOf, messageOf, safeUint64, uint32, uint64BigInt } from '../values.js'
import { address, bundles, connectionType, countsAlone, globalTime, identifier, introduced, isDrop, packedIds, packedPrefixes, packedShortIds, shortSymbols, symbols, sync, token, withRecentShort, type Result } from './decode-fields.js'
import type { IntroductionRequest, IntroductionResponse, Packet, Puncture, PunctureRequest, PushPacket, BundleRequest, SymbolsRequest, SymbolsResponse } from './types.js'

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
