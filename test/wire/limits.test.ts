/**
 * One test per decode limit (at the limit decodes, one past it drops with the right
 * reason), and one per drop reason. Over-limit datagrams are built with encodePacket (which
 * does not apply limits) or, for values it refuses, through the raw schema.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { signBundle } from '../../src/bundle/index.js'
import { decodePacket, decodePacketWithReason, encodePacket } from '../../src/wire/codec.js'
import { DEFAULT_DECODE_LIMITS, DROP_REASONS, type DecodeLimits, type DropReason, decodeLimits } from '../../src/wire/limits.js'
import type { Packet } from '../../src/wire/packets/types.js'
import { EnvelopeType, encodeWith } from '../../src/wire/schema.js'
import { introductionRequestSize } from '../../src/wire/size.js'
import { isBloomwalkError } from '../../src/errors.js'
import { makeAuthors } from '../helpers/bundles.js'
import { OVERLAY, V4, bundlePool, sampleRequest } from './arbitraries.js'

const seen = new Set<DropReason>()
const ROOMY = decodeLimits({ maxDatagram: 65_535 })

function expectDrop(bytes: Uint8Array, reason: DropReason, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): void {
  const result = decodePacketWithReason(bytes, limits)
  expect('drop' in result ? result.drop : 'decoded').toBe(reason)
  expect(decodePacket(bytes, limits)).toBeNull()
  seen.add(reason)
}

function expectOk(bytes: Uint8Array, limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS): Packet {
  const result = decodePacketWithReason(bytes, limits)
  if ('drop' in result) throw new Error(`dropped: ${result.drop}`)
  return result.packet
}

const enc = (p: Packet) => encodePacket(OVERLAY, p)
/** An envelope written through the raw schema (for values encodePacket refuses). */
const raw = (fields: Record<string, unknown>) => encodeWith(EnvelopeType, { version: 1, overlay: OVERLAY, ...fields })
const ip4 = { ip: new Uint8Array([192, 0, 2, 1]), port: 7759 }
const rawRequest = (over: Record<string, unknown>) => raw({ introductionRequest: { destination: ip4, sourceLan: ip4, sourceWan: ip4, ...over } })
const rawResponse = (over: Record<string, unknown>) => raw({ introductionResponse: { destination: ip4, sourceLan: ip4, sourceWan: ip4, ...over } })
const withBloom = (bits: number, k = 7) => ({ ...sampleRequest('v4', 0), sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: { bits: new Uint8Array(bits), k, salt: 1 } } })
const ids = (n: number, length = 32) => Array.from({ length: n }, (_, i) => new Uint8Array(length).fill(i))
const emptyMvds = { acks: [], offers: [], requests: [], messages: [] }
const U53 = { low: 0, high: 0x200000, unsigned: true } // 2^53

/** An introduction-request of exactly `size` bytes (filter and token lengths adjusted). */
function requestOfSize(size: number): Uint8Array {
  for (let token = 0; token <= 32; token++) {
    const template = sampleRequest('v4', 0, false)
    if (token > 0) template.token = new Uint8Array(token)
    for (let L = 1; L <= size; L++) {
      if (introductionRequestSize(template, L) === size) return enc({ ...template, sync: { ...template.sync!, bloom: { ...template.sync!.bloom, bits: new Uint8Array(L) } } })
    }
  }
  throw new Error(`no request of ${size} bytes`)
}

describe('decode limits', () => {
  it('defaults are frozen and documented values', () => {
    expect(Object.isFrozen(DEFAULT_DECODE_LIMITS)).toBe(true)
    expect(DEFAULT_DECODE_LIMITS).toEqual({
      maxDatagram: 1472,
      maxBloomBytes: 1472,
      minK: 1,
      maxK: 32,
      maxBundlesPerDatagram: 64,
      maxParents: 16,
      maxBody: 1472,
      maxIdsPerRequest: 32,
      maxPrefixesPerRequest: 128,
      maxSymbolsPerDatagram: 64,
      maxShortSymbolsPerDatagram: 128,
      maxSymbolsPerRequest: 1024,
      maxCountsOnly: 512,
      maxTokenBytes: 32,
      maxMvdsMessages: 64,
      maxBundlesPerPush: 4,
      maxPushHops: 16,
      maxRecentIds: 4
    })
    for (const bad of [{ maxK: -1 }, { minK: 0 }, { minK: 5, maxK: 4 }, { maxDatagram: 10 }, { maxBody: 1.5 }]) {
      expect(() => decodeLimits(bad)).toThrow()
      try {
        decodeLimits(bad)
      } catch (e) {
        expect(isBloomwalkError(e, 'INVALID_ARGUMENT')).toBe(true)
      }
    }
  })

  it('maxDatagram (1472, and a custom 1200)', () => {
    expectOk(requestOfSize(1472))
    expectDrop(requestOfSize(1473), 'too-long')
    const limits = decodeLimits({ maxDatagram: 1200 })
    expectOk(requestOfSize(1200), limits)
    expectDrop(requestOfSize(1201), 'too-long', limits)
  })

  it('maxBloomBytes (custom 500; 1 byte minimum)', () => {
    const limits = decodeLimits({ maxBloomBytes: 500 })
    expectOk(enc(withBloom(500)), limits)
    expectDrop(enc(withBloom(501)), 'bad-bloom', limits)
    expectOk(enc(withBloom(1)))
    expectDrop(enc(withBloom(0)), 'bad-bloom')
  })

  it('minK (1, and a custom 3)', () => {
    expectOk(enc(withBloom(10, 1)))
    expectDrop(enc(withBloom(10, 0)), 'bad-bloom')
    const limits = decodeLimits({ minK: 3 })
    expectOk(enc(withBloom(10, 3)), limits)
    expectDrop(enc(withBloom(10, 2)), 'bad-bloom', limits)
  })

  it('maxK (32)', () => {
    expectOk(enc(withBloom(10, 32)))
    expectDrop(enc(withBloom(10, 33)), 'bad-bloom')
  })

  it('maxBundlesPerDatagram (64)', () => {
    const b = bundlePool()[0]!
    expectOk(enc({ type: 'bundles', bundles: Array(64).fill(b) }), ROOMY)
    expectDrop(enc({ type: 'bundles', bundles: Array(65).fill(b) }), 'too-many-bundles', ROOMY)
  })

  it('maxBundlesPerPush (4)', () => {
    const b = bundlePool()[0]!
    expectOk(enc({ type: 'push', bundles: Array(4).fill(b), hops: 1 }))
    expectDrop(enc({ type: 'push', bundles: Array(5).fill(b), hops: 1 }), 'too-many-bundles')
    expectOk(enc({ type: 'push', bundles: Array(5).fill(b), hops: 1 }), decodeLimits({ maxBundlesPerPush: 5 }))
    expectDrop(enc({ type: 'push', bundles: [], hops: 1 }), 'empty')
  })

  it('a push announcing ids (have): 1..maxIdsPerRequest (32) whole ids, bundles optional, never ephemeral', () => {
    const b = bundlePool()[0]!
    const id = (i: number) => new Uint8Array(32).fill(i)
    expectOk(enc({ type: 'push', bundles: [], hops: 2, have: [id(1)] }))
    expectOk(enc({ type: 'push', bundles: [b], hops: 2, have: Array.from({ length: 32 }, (_, i) => id(i)) }))
    expectDrop(enc({ type: 'push', bundles: [], hops: 2, have: Array.from({ length: 33 }, (_, i) => id(i)) }), 'too-many-ids')
    expectDrop(raw({ push: { hops: 2, have: new Uint8Array(33) } }), 'bad-id')
    expectDrop(raw({ push: { hops: 2, have: new Uint8Array(32), ephemeral: true } }), 'malformed')
  })

  it('a push announcing short ids (haveShort): 1..maxIdsPerRequest (32) of 8 bytes, beside whole ids or alone, never ephemeral', () => {
    const short = (i: number) => new Uint8Array(8).fill(i)
    expectOk(enc({ type: 'push', bundles: [], hops: 2, haveShort: [short(1)] }))
    expectOk(enc({ type: 'push', bundles: [], hops: 2, have: [new Uint8Array(32).fill(3)], haveShort: Array.from({ length: 32 }, (_, i) => short(i)) }))
    expectDrop(enc({ type: 'push', bundles: [], hops: 2, haveShort: Array.from({ length: 33 }, (_, i) => short(i)) }), 'too-many-ids')
    expectDrop(raw({ push: { hops: 2, haveShort: new Uint8Array(12) } }), 'bad-id')
    expectDrop(raw({ push: { hops: 2, haveShort: new Uint8Array(8), ephemeral: true } }), 'malformed')
    expectDrop(raw({ push: { hops: 2, haveShort: new Uint8Array(0) } }), 'empty')
  })

  it('maxPushHops (16)', () => {
    const b = bundlePool()[0]!
    expectOk(enc({ type: 'push', bundles: [b], hops: 16 }))
    expectDrop(enc({ type: 'push', bundles: [b], hops: 17 }), 'bad-hops')
    expectDrop(enc({ type: 'push', bundles: [b], hops: 3 }), 'bad-hops', decodeLimits({ maxPushHops: 2 }))
  })

  it('maxRecentIds (4): short ids of fresh bundles named by an introduction-response or a puncture-request', () => {
    const short = (i: number) => new Uint8Array(8).fill(i)
    const a = { host: '10.0.0.1', port: 1 }
    const response = (n: number): Packet => ({ type: 'introduction-response', destination: a, sourceLan: a, sourceWan: a, connectionType: 'public', identifier: 1, globalTime: 3, recentShort: Array.from({ length: n }, (_, i) => short(i)) })
    const request = (n: number): Packet => ({ type: 'puncture-request', walkerLan: a, walkerWan: a, identifier: 1, globalTime: 3, recentShort: Array.from({ length: n }, (_, i) => short(i)) })
    expect(expectOk(enc(response(4)))).toMatchObject({ recentShort: Array.from({ length: 4 }, (_, i) => short(i)) })
    expect(expectOk(enc(request(4)))).toMatchObject({ recentShort: Array.from({ length: 4 }, (_, i) => short(i)) })
    expectDrop(enc(response(5)), 'too-many-ids')
    expectDrop(enc(request(5)), 'too-many-ids')
    expectDrop(enc(request(2)), 'too-many-ids', decodeLimits({ maxRecentIds: 1 }))
    expectDrop(raw({ punctureRequest: { walkerLan: ip4, walkerWan: ip4, identifier: 1, recentShort: new Uint8Array(12) } }), 'bad-id')
    expectDrop(rawResponse({ identifier: 1, recentShort: new Uint8Array(12) }), 'bad-id')
  })

  it('maxParents (16)', () => {
    const [author] = makeAuthors(1, 3)
    const make = (n: number) => signBundle({ overlay: OVERLAY, globalTime: 5, kind: 1, parents: ids(n), body: new Uint8Array(4) }, author!)
    expectOk(enc({ type: 'bundles', bundles: [make(16)] }))
    expectDrop(enc({ type: 'bundles', bundles: [make(17)] }), 'bad-bundle')
  })

  it('maxBody (1472)', () => {
    const [author] = makeAuthors(1, 3)
    const make = (n: number) => signBundle({ overlay: OVERLAY, globalTime: 5, kind: 1, body: new Uint8Array(n) }, author!)
    expectOk(enc({ type: 'bundles', bundles: [make(1472)] }), ROOMY)
    expectDrop(enc({ type: 'bundles', bundles: [make(1473)] }), 'bad-bundle', ROOMY)
  })

  it('maxIdsPerRequest (32): bundle-request, a symbols-request\'s fetch and each MVDS id list', () => {
    expectOk(enc({ type: 'bundle-request', ids: ids(32) }))
    expectDrop(enc({ type: 'bundle-request', ids: ids(33) }), 'too-many-ids')
    expectOk(enc({ type: 'symbols-request', from: 0, count: 1, fetch: ids(32) }))
    expectDrop(enc({ type: 'symbols-request', from: 0, count: 1, fetch: ids(33) }), 'too-many-ids')
    for (const list of ['acks', 'offers', 'requests'] as const) {
      expectOk(enc({ type: 'mvds', payload: { ...emptyMvds, [list]: ids(32) } }))
      expectDrop(enc({ type: 'mvds', payload: { ...emptyMvds, [list]: ids(33) } }), 'too-many-ids')
    }
  })

  it('maxSymbolsPerDatagram (64)', () => {
    const symbols = (n: number) => Array.from({ length: n }, (_, i) => ({ idXor: new Uint8Array(32).fill(i), hashXor: BigInt(i) << 40n, count: i - 3 }))
    expectOk(enc({ type: 'symbols-response', from: 0, symbols: symbols(64) }), ROOMY)
    expectDrop(enc({ type: 'symbols-response', from: 0, symbols: symbols(65) }), 'too-many-symbols', ROOMY)
  })

  it('maxShortSymbolsPerDatagram (128): 12-byte records (24 bits of checksum, the count mod 2^8, docs/reconcile.md §15) and no counts, never beside full symbols nor with in_sync; count_zero from 0 only, agreeing with its record', () => {
    const short = (n: number, count = (i: number) => i) => Array.from({ length: n }, (_, i) => ({ hashXor: (BigInt(i) << 40n) | 7n, check: (i * 2654435761) >>> 0, count: count(i) }))
    // What the wire keeps: the low 24 bits of each checksum, each count mod 2^8 (symbol 0's whole, from 0).
    const wire = (n: number, from: number, count = (i: number) => i) => short(n, count).map((s, i) => ({ ...s, check: s.check & 0xffffff, count: from === 0 && i === 0 ? s.count : s.count & 0xff }))
    expect(expectOk(enc({ type: 'symbols-response', from: 9, symbols: [], shortSymbols: short(128) }), ROOMY)).toMatchObject({ from: 9, shortSymbols: wire(128, 9) })
    const big = (i: number) => 100_000 - 301 * i
    expect(expectOk(enc({ type: 'symbols-response', from: 0, symbols: [], shortSymbols: short(128, big) }), ROOMY)).toMatchObject({ from: 0, shortSymbols: wire(128, 0, big) })
    expect(enc({ type: 'symbols-response', from: 9, symbols: [], shortSymbols: short(100) }).length).toBeLessThan(100 * 12 + 50)
    expectDrop(enc({ type: 'symbols-response', from: 9, symbols: [], shortSymbols: short(129) }), 'too-many-symbols', ROOMY)
    expectDrop(raw({ symbolsResponse: { shortSymbols: new Uint8Array(23) } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { from: 3, shortSymbols: new Uint8Array(24), counts: [1, 1] } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { shortSymbols: new Uint8Array(12), symbols: new Uint8Array(40), counts: [1] } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { shortSymbols: new Uint8Array(12), inSync: true } }), 'bad-symbol')
    // count_zero: symbol 0's whole count, from 0 only, ≡ its record's count mod 2^8.
    const records = new Uint8Array(24)
    records[11] = 0x34
    expect(expectOk(raw({ symbolsResponse: { from: 0, shortSymbols: records, countZero: 0x1234 } }))).toMatchObject({ shortSymbols: [{ count: 0x1234 }, { count: 0 }] })
    expectDrop(raw({ symbolsResponse: { from: 0, shortSymbols: records, countZero: 0x1235 } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { from: 0, shortSymbols: records } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { from: 5, shortSymbols: records, countZero: 0x1234 } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { from: 5, symbols: [], countZero: 7 } }), 'bad-symbol')
    expect(() => enc({ type: 'symbols-response', from: 0, symbols: [{ idXor: new Uint8Array(32), hashXor: 1n, count: 1 }], shortSymbols: short(1) })).toThrow(/not both/)
    // The salt, the short-id flag and the check round-trip; an in_sync answer may carry the check.
    expect(expectOk(enc({ type: 'symbols-request', from: 0, count: 60, salt: (1n << 64n) - 1n, shortIds: true }))).toMatchObject({ salt: (1n << 64n) - 1n, shortIds: true })
    expect(expectOk(enc({ type: 'symbols-response', from: 0, symbols: [], inSync: true, check: 5n }))).toMatchObject({ inSync: true, check: 5n })
    expect(() => enc({ type: 'symbols-request', from: 0, count: 1, salt: 0n })).toThrow(/salt/)
  })

  it('maxIdsPerRequest (32) for short ids: a symbols-request\'s fetch_short and a bundle-request\'s short_ids, 8 bytes each', () => {
    expect(expectOk(enc({ type: 'symbols-request', from: 0, count: 1, fetchShort: ids(32, 8) }))).toMatchObject({ fetchShort: ids(32, 8) })
    expectDrop(enc({ type: 'symbols-request', from: 0, count: 1, fetchShort: ids(33, 8) }), 'too-many-ids')
    expect(expectOk(enc({ type: 'bundle-request', ids: [], shortIds: ids(32, 8) }))).toMatchObject({ ids: [], shortIds: ids(32, 8) })
    expectDrop(enc({ type: 'bundle-request', ids: [], shortIds: ids(33, 8) }), 'too-many-ids')
    expectDrop(raw({ bundleRequest: { shortIds: new Uint8Array(12) } }), 'bad-id')
    expectDrop(raw({ symbolsRequest: { count: 1, fetchShort: new Uint8Array(9) } }), 'bad-id')
    expect(() => enc({ type: 'bundle-request', ids: [], shortIds: [new Uint8Array(32)] })).toThrow(/shortIds/)
  })

  it('maxPrefixesPerRequest (128) for short-id prefixes (docs/reconcile.md §15): a symbols-request\'s fetch_prefixes and a bundle-request\'s short_prefixes, 4 bytes each', () => {
    expect(expectOk(enc({ type: 'symbols-request', from: 0, count: 1, fetchPrefixes: ids(128, 4) }))).toMatchObject({ fetchPrefixes: ids(128, 4) })
    expectDrop(enc({ type: 'symbols-request', from: 0, count: 1, fetchPrefixes: ids(129, 4) }), 'too-many-ids')
    expect(expectOk(enc({ type: 'bundle-request', ids: [], shortPrefixes: ids(128, 4) }))).toMatchObject({ ids: [], shortPrefixes: ids(128, 4) })
    expectDrop(enc({ type: 'bundle-request', ids: [], shortPrefixes: ids(129, 4) }), 'too-many-ids')
    // A bundle-request naming prefixes only is not empty; one with an empty prefix list is.
    expectDrop(raw({ bundleRequest: { shortPrefixes: new Uint8Array(0) } }), 'empty')
    expectDrop(raw({ bundleRequest: { shortPrefixes: new Uint8Array(6) } }), 'bad-id')
    expectDrop(raw({ symbolsRequest: { count: 1, fetchPrefixes: new Uint8Array(5) } }), 'bad-id')
    expect(() => enc({ type: 'bundle-request', ids: [], shortPrefixes: [new Uint8Array(8)] })).toThrow(/shortPrefixes/)
    // The limit is the receiver's: a tighter one drops what the default accepts.
    expectDrop(enc({ type: 'bundle-request', ids: [], shortPrefixes: ids(9, 4) }), 'too-many-ids', decodeLimits({ maxPrefixesPerRequest: 8 }))
  })

  it('maxSymbolsPerRequest (1024)', () => {
    expectOk(enc({ type: 'symbols-request', from: 5, count: 1024 }))
    expectDrop(enc({ type: 'symbols-request', from: 5, count: 1025 }), 'bad-range')
  })

  it('maxCountsOnly (512): asked for in a symbols-request, carried in a symbols-response; counts alone are 2 bytes each, never with in_sync', () => {
    expect(expectOk(enc({ type: 'symbols-request', from: 0, count: 18, countsOnly: 512 }))).toMatchObject({ countsOnly: 512 })
    expectDrop(enc({ type: 'symbols-request', from: 0, count: 18, countsOnly: 513 }), 'bad-range')
    const counts = (n: number) => Array.from({ length: n }, (_, i) => (i * 977) & 0xffff)
    expect(expectOk(enc({ type: 'symbols-response', from: 3, symbols: [], countsOnly: counts(512) }), ROOMY)).toMatchObject({ countsOnly: counts(512) })
    expectDrop(enc({ type: 'symbols-response', from: 3, symbols: [], countsOnly: counts(513) }), 'too-many-symbols', ROOMY)
    expectDrop(raw({ symbolsResponse: { from: 3, countsOnly: new Uint8Array(7) } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { inSync: true, countsOnly: new Uint8Array(2) } }), 'bad-symbol')
    expect(() => enc({ type: 'symbols-response', from: 3, symbols: [], countsOnly: [65_536] })).toThrow(/countsOnly/)
  })

  it('maxTokenBytes (32): request, response and puncture', () => {
    const response = (n: number): Packet => ({ type: 'introduction-response', destination: V4(), sourceLan: V4(), sourceWan: V4(), connectionType: 'public', identifier: 1, globalTime: 1, token: new Uint8Array(n) })
    expectOk(enc({ ...sampleRequest('v4', 8), token: new Uint8Array(32) }))
    expectDrop(enc({ ...sampleRequest('v4', 8), token: new Uint8Array(33) }), 'bad-token')
    expectOk(enc(response(32)))
    expectDrop(enc(response(33)), 'bad-token')
    const puncture = (n: number): Packet => ({ type: 'puncture', sourceLan: V4(), sourceWan: V4(), identifier: 1, token: new Uint8Array(n) })
    expect(expectOk(enc(puncture(32)))).toMatchObject({ token: new Uint8Array(32) })
    expectDrop(enc(puncture(33)), 'bad-token')
  })

  it('maxMvdsMessages (64)', () => {
    const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ groupId: OVERLAY, timestamp: i, body: new Uint8Array(2) }))
    expectOk(enc({ type: 'mvds', payload: { ...emptyMvds, messages: messages(64) } }), ROOMY)
    expectDrop(enc({ type: 'mvds', payload: { ...emptyMvds, messages: messages(65) } }), 'too-many-messages', ROOMY)
  })
})

describe('drop reasons', () => {
  it('too-short: below 38 bytes; 38 bytes (an empty MVDS payload) decodes', () => {
    const smallest = enc({ type: 'mvds', payload: emptyMvds })
    expect(smallest.length).toBe(38)
    expectOk(smallest)
    expectDrop(smallest.subarray(0, 37), 'too-short')
    expectDrop(new Uint8Array(0), 'too-short')
  })

  it('malformed: not protobuf, no body, truncated, not bytes', () => {
    expectDrop(new Uint8Array(100).fill(0xff), 'malformed')
    // No body: version + overlay + an unknown field 15 (skipped, as protobuf intends).
    const noBody = new Uint8Array([...raw({}), 0x78, 0x01])
    expect(noBody.length).toBe(38)
    expectDrop(noBody, 'malformed')
    const ok = enc(sampleRequest('v4', 100))
    expectDrop(ok.subarray(0, ok.length - 1), 'malformed')
    expect(decodePacketWithReason('nope' as unknown as Uint8Array)).toEqual({ drop: 'malformed' })
  })

  it('bad-version: reported with the version seen, even for a layout we cannot parse', () => {
    const v2 = encodeWith(EnvelopeType, { version: 2, overlay: OVERLAY, bundleRequest: { ids: ids(1) } })
    expect(decodePacketWithReason(v2)).toEqual({ drop: 'bad-version', version: 2 })
    const future = new Uint8Array(60).fill(0xff)
    future.set([0x08, 0x07])
    expect(decodePacketWithReason(future)).toEqual({ drop: 'bad-version', version: 7 })
    expectDrop(encodeWith(EnvelopeType, { overlay: OVERLAY, bundleRequest: { ids: ids(1) } }), 'bad-version') // version 0 (absent)
    expectDrop(v2, 'bad-version')
  })

  it('bad-overlay: not 32 bytes', () => {
    expectDrop(raw({ overlay: new Uint8Array(31), bundleRequest: { ids: new Uint8Array(32) } }), 'bad-overlay')
    expectDrop(raw({ overlay: new Uint8Array(33), bundleRequest: { ids: new Uint8Array(32) } }), 'bad-overlay')
    expectDrop(raw({ overlay: undefined, bundleRequest: { ids: new Uint8Array(64) } }), 'bad-overlay')
  })

  it('bad-address: ip length, port range, missing, half an introduction', () => {
    expectOk(rawRequest({ sourceWan: { ip: new Uint8Array(16), port: 65535 } }))
    expectDrop(rawRequest({ sourceWan: { ip: new Uint8Array(5), port: 1 } }), 'bad-address')
    expectDrop(rawRequest({ sourceWan: { ip: new Uint8Array(4), port: 0 } }), 'bad-address')
    expectDrop(rawRequest({ sourceWan: { ip: new Uint8Array(4), port: 65536 } }), 'bad-address')
    expectDrop(rawRequest({ sourceWan: undefined }), 'bad-address')
    expectDrop(raw({ puncture: { sourceLan: ip4 } }), 'bad-address')
    expectDrop(raw({ punctureRequest: { walkerLan: ip4, walkerWan: { ip: new Uint8Array(0), port: 0 } } }), 'bad-address')
    expectDrop(rawResponse({ introducedLan: ip4 }), 'bad-address')
    expectDrop(rawResponse({ introducedLan: ip4, introducedWan: { ip: new Uint8Array(4), port: 0 } }), 'bad-address')
    expectDrop(rawResponse({ introducedLan: ip4, introducedWan: { ip: new Uint8Array(3), port: 9 } }), 'bad-address')
  })

  it('an absent or zero introduced peer is "nobody introduced"', () => {
    for (const zero of [{}, { ip: new Uint8Array(4), port: 0 }, { ip: new Uint8Array(16), port: 0 }]) {
      const p = expectOk(rawResponse({ introducedLan: zero, introducedWan: zero }))
      expect(p.type === 'introduction-response' && p.introduced).toBe(undefined)
    }
    const p = expectOk(rawResponse({ introducedLan: ip4, introducedWan: ip4 }))
    expect(p.type === 'introduction-response' && p.introduced).toEqual({ lan: V4('192.0.2.1'), wan: V4('192.0.2.1') })
  })

  it('bad-global-time: above 2^53 − 1', () => {
    expectOk(rawRequest({ globalTime: { low: -1, high: 0x1fffff, unsigned: true } }))
    expectDrop(rawRequest({ globalTime: U53 }), 'bad-global-time')
    expectDrop(rawResponse({ globalTime: { low: -1, high: -1, unsigned: true } }), 'bad-global-time')
  })

  it('bad-sync: modulo, offset, time range', () => {
    const bloom = { bits: new Uint8Array(8), k: 3, salt: 1 }
    expectOk(rawRequest({ sync: { timeLow: 5, timeHigh: 5, modulo: 3, offset: 2, bloom } }))
    expectOk(rawRequest({ sync: { timeLow: 9, timeHigh: 0, modulo: 1, offset: 0, bloom } }))
    expectDrop(rawRequest({ sync: { timeLow: 1, modulo: 0, bloom } }), 'bad-sync')
    expectDrop(rawRequest({ sync: { timeLow: 1, modulo: 3, offset: 3, bloom } }), 'bad-sync')
    expectDrop(rawRequest({ sync: { timeLow: 6, timeHigh: 5, modulo: 1, bloom } }), 'bad-sync')
    expectDrop(rawRequest({ sync: { timeLow: U53, modulo: 1, bloom } }), 'bad-sync')
    expectDrop(rawRequest({ sync: { timeLow: 1, modulo: 1 } }), 'bad-bloom')
  })

  it('empty: bundles and bundle-request need at least one entry (a bundle-request: an id or a newer_than)', () => {
    expectDrop(raw({ bundles: {} }), 'empty')
    expectDrop(raw({ bundleRequest: {} }), 'empty')
    expectDrop(raw({ bundleRequest: { newerThan: 0 } }), 'empty')
    expectOk(raw({ bundleRequest: { newerThan: 1 } }))
    expectOk(enc({ type: 'bundle-request', ids: [], newerThan: 7 }))
  })

  it('bad-bundle, bad-id, bad-range, bad-symbol, bad-message', () => {
    expectDrop(raw({ bundles: { bundles: [new Uint8Array(200)] } }), 'bad-bundle')
    expectDrop(raw({ bundleRequest: { ids: new Uint8Array(31) } }), 'bad-id')
    expectDrop(raw({ bundleRequest: { ids: new Uint8Array(65) } }), 'bad-id')
    expectDrop(raw({ symbolsRequest: { count: 1, fetch: new Uint8Array(33) } }), 'bad-id')
    expectDrop(enc({ type: 'mvds', payload: { ...emptyMvds, acks: [new Uint8Array(33)] } }), 'bad-id')
    expectDrop(enc({ type: 'symbols-request', from: 0, count: 0 }), 'bad-range')
    expectDrop(raw({ symbolsRequest: { from: U53, count: 1 } }), 'bad-range')
    expectDrop(raw({ symbolsResponse: { from: U53 } }), 'bad-range')
    expectDrop(raw({ bundleRequest: { newerThan: U53 } }), 'bad-range')
    expectDrop(raw({ bundleRequest: { newerThan: 5, upTo: 5 } }), 'bad-range')
    expectDrop(raw({ bundleRequest: { ids: new Uint8Array(32), upTo: 5 } }), 'bad-range')
    expectDrop(raw({ bundleRequest: { newerThan: 5, upTo: U53 } }), 'bad-range')
    expectOk(raw({ bundleRequest: { newerThan: 5, upTo: 6 } }))
    // Packed symbols: not a multiple of 40 bytes, a count list of another length, an unsafe
    // count, in_sync with symbols; a digest with an unsafe count.
    expectDrop(raw({ symbolsResponse: { symbols: new Uint8Array(79), counts: [1, 1] } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { symbols: new Uint8Array(80), counts: [1] } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { symbols: new Uint8Array(40), counts: [1, 2] } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { symbols: new Uint8Array(40) } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { counts: [3] } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { symbols: new Uint8Array(40), counts: [{ low: 0, high: 0x7fffffff, unsigned: false }] } }), 'bad-symbol')
    expectDrop(raw({ symbolsResponse: { symbols: new Uint8Array(40), counts: [0], inSync: true } }), 'bad-symbol')
    expectDrop(raw({ symbolsRequest: { count: 1, digest: { hashXor: { low: 1, high: 0, unsigned: true }, count: U53 } } }), 'bad-symbol')
    expectOk(raw({ symbolsResponse: { symbols: new Uint8Array(80), counts: [0, -1] } }))
    expectDrop(enc({ type: 'mvds', payload: { ...emptyMvds, messages: [{ groupId: new Uint8Array(31), timestamp: 1, body: new Uint8Array(1) }] } }), 'bad-message')
    expectDrop(raw({ mvds: { messages: [{ groupId: OVERLAY, timestamp: { low: 0, high: 0x200000 } }] } }), 'bad-message')
  })

  it('unknown connection types read as unknown (open enum)', () => {
    const p = expectOk(rawRequest({ connectionType: 9 }))
    expect(p.type === 'introduction-request' && p.connectionType).toBe('unknown')
  })

  afterAll(() => {
    // Every drop reason has a test above.
    expect([...seen].sort()).toEqual([...DROP_REASONS].sort())
  })
})
