import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodePacket, decodePacketWithReason, encodePacket } from '../../src/wire/codec.js'
import { decodeLimits } from '../../src/wire/limits.js'
import type { Packet } from '../../src/wire/packets/types.js'
import * as A from './arbitraries.js'

const RUNS = { seed: 20240601, numRuns: 300 }
/** Round trips are about the codec, not the datagram budget: allow big datagrams. */
const ROOMY = decodeLimits({ maxDatagram: 65_535 })

function roundTrip(packet: Packet): void {
  const bytes = encodePacket(A.OVERLAY, packet)
  const decoded = decodePacketWithReason(bytes, ROOMY)
  if ('drop' in decoded) throw new Error(`dropped ${decoded.drop} (${packet.type}, ${bytes.length} bytes)`)
  expect(decoded.overlay).toEqual(A.OVERLAY)
  expect(decoded.packet).toEqual(packet)
  // Encoding is deterministic and re-encoding the decoded packet gives the same bytes.
  expect(encodePacket(decoded.overlay, decoded.packet)).toEqual(bytes)
  expect(bytes.constructor).toBe(Uint8Array)
  expect(bytes.byteOffset).toBe(0)
  expect(bytes.buffer.byteLength).toBe(bytes.length)
}

describe('wire round trip', () => {
  for (const family of ['v4', 'v6'] as const) {
    it(`introduction-request (${family})`, () => fc.assert(fc.property(A.introductionRequest(family), roundTrip), RUNS))
    it(`introduction-response (${family})`, () => fc.assert(fc.property(A.introductionResponse(family), roundTrip), RUNS))
    it(`puncture-request (${family})`, () => fc.assert(fc.property(A.punctureRequest(family), roundTrip), RUNS))
    it(`puncture (${family})`, () => fc.assert(fc.property(A.puncture(family), roundTrip), RUNS))
  }
  it('mixed address families in one packet', () => fc.assert(fc.property(A.introductionResponse('any'), roundTrip), RUNS))
  it('bundles', () => fc.assert(fc.property(A.bundlesPacket, roundTrip), { ...RUNS, numRuns: 100 }))
  it('mvds', () => fc.assert(fc.property(A.mvdsPacket, roundTrip), RUNS))
  it('symbols-request', () => fc.assert(fc.property(A.symbolsRequest, roundTrip), RUNS))
  it('symbols-response', () => fc.assert(fc.property(A.symbolsResponse, roundTrip), RUNS))
  it('bundle-request', () => fc.assert(fc.property(A.bundleRequest, roundTrip), RUNS))

  it('decodes Buffer input to plain Uint8Array fields', () => {
    const packet = A.sampleRequest('v4', 64, true)
    const decoded = decodePacket(Buffer.from(encodePacket(A.OVERLAY, packet)))!
    expect(decoded.overlay.constructor).toBe(Uint8Array)
    const p = decoded.packet
    if (p.type !== 'introduction-request') throw new Error(p.type)
    expect(p.sync!.bloom.bits.constructor).toBe(Uint8Array)
    expect(p.token!.constructor).toBe(Uint8Array)
    expect(p).toEqual(packet)
  })

  it('decoded bundles are real bundles with ids', () => {
    const pool = A.bundlePool()
    const decoded = decodePacket(encodePacket(A.OVERLAY, { type: 'bundles', bundles: pool.slice(0, 3) }))!
    if (decoded.packet.type !== 'bundles') throw new Error(decoded.packet.type)
    expect(decoded.packet.bundles.map((b) => b.id)).toEqual(pool.slice(0, 3).map((b) => b.id))
  })

  it('extreme values survive (u32 max, 2^53 − 1, 2^64 − 1, negative counts)', () => {
    const max = Number.MAX_SAFE_INTEGER
    roundTrip({ type: 'symbols-response', from: max, symbols: [{ idXor: new Uint8Array(32), hashXor: (1n << 64n) - 1n, count: -max }] })
    roundTrip({ type: 'symbols-request', from: max, count: 1024, digest: { hashXor: (1n << 64n) - 1n, count: max }, fetch: [new Uint8Array(32).fill(0xff)] })
    roundTrip({ type: 'symbols-request', from: 0, count: 1, digest: { hashXor: 0n, count: 0 } })
    roundTrip({ type: 'symbols-response', from: 0, symbols: [], inSync: true })
    roundTrip({
      ...A.sampleRequest('v6', 1),
      identifier: 0xffffffff,
      globalTime: max,
      sync: { timeLow: max, timeHigh: max, modulo: 0xffffffff, offset: 0xfffffffe, bloom: { bits: new Uint8Array([1]), k: 32, salt: 0xffffffff } }
    })
    roundTrip({ ...A.sampleRequest('v4', 1), identifier: 0, globalTime: 0, advice: false })
  })
})
