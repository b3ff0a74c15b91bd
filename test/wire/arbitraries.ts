/** fast-check arbitraries for every wire field and packet, plus fixed sample packets. */
import fc from 'fast-check'
import type { Bundle } from '../../src/bundle/index.js'
import { type Address, formatIp } from '../../src/wire/address.js'
import type { MvdsPayload } from '../../src/wire/mvds.js'
import type { ConnectionType, IntroductionRequest, IntroductionResponse, Packet, SyncOffer } from '../../src/wire/packets/types.js'
import { makeBundles } from '../helpers/bundles.js'

export const u32 = fc.integer({ min: 0, max: 0xffffffff })
export const port = fc.integer({ min: 1, max: 65535 })
export const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => new Uint8Array(b))
export const id32 = bytes(32, 32)

/** IPv4 hosts in canonical text. */
export const ipv4Host = bytes(4, 4).map((b) => formatIp(b)!)
/** IPv6 hosts in canonical text, biased toward zero groups (exercises `::` compression). */
export const ipv6Host = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((words) => {
    const b = new Uint8Array(16)
    words.forEach((w, i) => {
      b[2 * i] = w >> 8
      b[2 * i + 1] = w & 0xff
    })
    return formatIp(b)!
  })
export const address = (family: 'v4' | 'v6' | 'any' = 'any'): fc.Arbitrary<Address> =>
  fc.record({ host: family === 'v4' ? ipv4Host : family === 'v6' ? ipv6Host : fc.oneof(ipv4Host, ipv6Host), port })

export const connectionType: fc.Arbitrary<ConnectionType> = fc.constantFrom('unknown', 'public', 'symmetric-NAT')
export const globalTime = fc.maxSafeNat()

export const syncOffer: fc.Arbitrary<SyncOffer> = fc
  .record({
    a: fc.maxSafeNat(),
    b: fc.maxSafeNat(),
    openEnded: fc.boolean(),
    modulo: fc.integer({ min: 1, max: 0xffffffff }),
    offsetSeed: u32,
    bits: bytes(1, 300),
    k: fc.integer({ min: 1, max: 32 }),
    salt: u32
  })
  .map(({ a, b, openEnded, modulo, offsetSeed, bits, k, salt }) => ({
    timeLow: Math.min(a, b),
    timeHigh: openEnded ? 0 : Math.max(a, b),
    modulo,
    offset: offsetSeed % modulo,
    bloom: { bits, k, salt }
  }))

const token = fc.option(bytes(1, 32), { nil: undefined })
/** 1..4 short ids of fresh bundles (`recent_short`), or none. */
const recentShort = fc.option(fc.array(bytes(8, 8), { minLength: 1, maxLength: 4 }), { nil: undefined })

export const introductionRequest = (family: 'v4' | 'v6' | 'any' = 'any'): fc.Arbitrary<IntroductionRequest> =>
  fc
    .record({
      destination: address(family),
      sourceLan: address(family),
      sourceWan: address(family),
      advice: fc.boolean(),
      connectionType,
      identifier: u32,
      globalTime,
      sync: fc.option(syncOffer, { nil: undefined }),
      token
    })
    .map((r) => strip({ type: 'introduction-request' as const, ...r }))

export const introductionResponse = (family: 'v4' | 'v6' | 'any' = 'any'): fc.Arbitrary<IntroductionResponse> =>
  fc
    .record({
      destination: address(family),
      sourceLan: address(family),
      sourceWan: address(family),
      introduced: fc.option(fc.record({ lan: address(family), wan: address(family) }), { nil: undefined }),
      connectionType,
      identifier: u32,
      globalTime,
      token,
      answerDeferred: fc.option(fc.constant(true), { nil: undefined }),
      answerBundles: fc.option(fc.integer({ min: 1, max: 0xffffffff }), { nil: undefined }),
      recentShort
    })
    .map((r) => strip({ type: 'introduction-response' as const, ...r }))

export const punctureRequest = (family: 'v4' | 'v6' | 'any' = 'any'): fc.Arbitrary<Packet> =>
  fc
    .record({ type: fc.constant('puncture-request' as const), walkerLan: address(family), walkerWan: address(family), identifier: u32, globalTime: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }), recentShort })
    .map((r) => strip(r))

export const puncture = (family: 'v4' | 'v6' | 'any' = 'any'): fc.Arbitrary<Packet> =>
  fc
    .record({ type: fc.constant('puncture' as const), sourceLan: address(family), sourceWan: address(family), identifier: u32, token })
    .map((r) => strip(r))

let pool: Bundle[] | undefined
/** A fixed pool of real signed bundles (signing is slow; made once). */
export function bundlePool(): Bundle[] {
  pool ??= [...makeBundles(6, { seed: 11, bodyBytes: 4 }), ...makeBundles(6, { seed: 12, bodyBytes: 300 }), ...makeBundles(4, { seed: 13, bodyBytes: 1000 })]
  return pool
}

export const bundlesPacket: fc.Arbitrary<Packet> = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([idx, ephemeral]) => {
    const bundles = idx.map((i) => bundlePool()[i]!)
    return ephemeral ? { type: 'bundles' as const, bundles, ephemeral: true } : { type: 'bundles' as const, bundles }
  })

export const pushPacket: fc.Arbitrary<Packet> = fc.oneof(
  fc.tuple(fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 16 }), fc.boolean()).map(([idx, hops, ephemeral]) => {
    const bundles = idx.map((i) => bundlePool()[i]!)
    return ephemeral ? { type: 'push' as const, bundles, hops, ephemeral: true } : { type: 'push' as const, bundles, hops }
  }),
  // An announcement (IHAVE): ids, with or without bundles beside them.
  fc.tuple(fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 4 }), fc.integer({ min: 0, max: 16 }), fc.array(id32, { minLength: 1, maxLength: 32 })).map(([idx, hops, have]) => ({
    type: 'push' as const,
    bundles: idx.map((i) => bundlePool()[i]!),
    hops,
    have
  })),
  // An announcement by short id (8 bytes a name), alone or beside whole ids.
  fc.tuple(fc.integer({ min: 0, max: 16 }), fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 32 }), fc.array(id32, { maxLength: 2 })).map(([hops, haveShort, have]) =>
    have.length > 0 ? { type: 'push' as const, bundles: [], hops, have, haveShort } : { type: 'push' as const, bundles: [], hops, haveShort }
  )
)

export const mvdsPayload: fc.Arbitrary<MvdsPayload> = fc.record({
  acks: fc.array(id32, { maxLength: 4 }),
  offers: fc.array(id32, { maxLength: 4 }),
  requests: fc.array(id32, { maxLength: 4 }),
  messages: fc.array(fc.record({ groupId: id32, timestamp: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), body: bytes(0, 200) }), {
    maxLength: 3
  })
})

export const mvdsPacket: fc.Arbitrary<Packet> = mvdsPayload.map((payload) => ({ type: 'mvds' as const, payload }))

export const symbolsRequest: fc.Arbitrary<Packet> = fc.record(
  {
    type: fc.constant('symbols-request' as const),
    from: fc.maxSafeNat(),
    count: fc.integer({ min: 1, max: 1024 }),
    digest: fc.record({ hashXor: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), count: fc.maxSafeNat() }),
    fetch: fc.array(id32, { minLength: 1, maxLength: 32 })
  },
  { requiredKeys: ['type', 'from', 'count'] }
)

export const symbolsResponse: fc.Arbitrary<Packet> = fc.record({
  type: fc.constant('symbols-response' as const),
  from: fc.maxSafeNat(),
  symbols: fc.array(
    fc.record({ idXor: id32, hashXor: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), count: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }) }),
    { maxLength: 20 }
  )
}).chain((p) => (p.symbols.length === 0 ? fc.constantFrom<Packet>(p, { ...p, inSync: true }) : fc.constant<Packet>(p)))

export const bundleRequest: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ type: fc.constant('bundle-request' as const), ids: fc.array(id32, { minLength: 1, maxLength: 32 }) }),
  // With a global time: ids may be absent.
  fc.record({ type: fc.constant('bundle-request' as const), ids: fc.array(id32, { maxLength: 32 }), newerThan: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
  // A slice of global time (newer_than, up_to].
  fc
    .tuple(fc.array(id32, { maxLength: 32 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 40 }))
    .map(([ids, newerThan, width]): Packet => ({ type: 'bundle-request', ids, newerThan, upTo: newerThan + width }))
)

/** Any packet of any type. */
export const anyPacket: fc.Arbitrary<Packet> = fc.oneof(
  introductionRequest(),
  introductionResponse(),
  punctureRequest(),
  puncture(),
  bundlesPacket,
  mvdsPacket,
  symbolsRequest,
  symbolsResponse,
  bundleRequest,
  pushPacket
)

/** Drops keys whose value is undefined (decoded packets omit absent optionals). */
function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

export const OVERLAY = new Uint8Array(32).fill(0xab)
export const V4 = (host = '192.0.2.1', p = 7759): Address => ({ host, port: p })
export const V6 = (host = '2001:db8::1', p = 7759): Address => ({ host, port: p })

/** A fixed, realistic introduction-request (IPv4 or IPv6, optional token) with `bits` filter bytes. */
export function sampleRequest(family: 'v4' | 'v6', bits: number, withToken = false): IntroductionRequest & { sync: SyncOffer } {
  const a = family === 'v4' ? V4 : V6
  const r: IntroductionRequest & { sync: SyncOffer } = {
    type: 'introduction-request',
    destination: a(family === 'v4' ? '203.0.113.7' : '2001:db8:ffff::7', 40000),
    sourceLan: a(family === 'v4' ? '10.0.0.12' : 'fd00::12', 7759),
    sourceWan: a(family === 'v4' ? '198.51.100.3' : '2001:db8:1:2:3:4:5:6', 51234),
    advice: true,
    connectionType: 'unknown',
    identifier: 0xdeadbeef,
    globalTime: 123_456,
    sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: { bits: new Uint8Array(bits).fill(0x5a), k: 7, salt: 0x12345678 } }
  }
  if (withToken) r.token = new Uint8Array(32).fill(0x77)
  return r
}
