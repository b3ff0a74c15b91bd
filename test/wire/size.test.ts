import { describe, expect, it } from 'vitest'
import { BUNDLES_HEADER_BYTES, type Bundle, signBundle } from '../../src/bundle/index.js'
import { decodePacket, encodePacket } from '../../src/wire/codec.js'
import { EnvelopeType, encodeWith } from '../../src/wire/schema.js'
import { bundlesPacketSize, envelopeHeaderBytes, introductionRequestOverhead, introductionRequestSize, maxBloomBytesFor, varintSize } from '../../src/wire/size.js'
import { OVERLAY, bundlePool, sampleRequest } from './arbitraries.js'
import { makeAuthors } from '../helpers/bundles.js'

const encodedSize = (r: ReturnType<typeof sampleRequest>) => encodePacket(OVERLAY, r).length

describe('sizes', () => {
  it('varintSize', () => {
    expect([0, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 53 - 1].map(varintSize)).toEqual([1, 1, 2, 2, 3, 3, 4, 8])
  })

  it('envelope header is version (2) + overlay (34)', () => {
    expect(envelopeHeaderBytes()).toBe(36)
  })

  it(`BUNDLES_HEADER_BYTES = ${BUNDLES_HEADER_BYTES}: one bundle of S bytes encodes to S + 42 for S in 128..1472`, () => {
    // Real bundles from 142 bytes (the smallest bundle) up to 1472.
    const [author] = makeAuthors(1, 5)
    // Signing is slow: every 10th body size plus both ends (the raw loop below covers every S).
    const bodies = [...Array.from({ length: 134 }, (_, i) => i * 10), 1329, 1330]
    const real = bodies.map((body) => signBundle({ overlay: OVERLAY, globalTime: 1 + body, kind: 1, body: new Uint8Array(body) }, author!))
    expect(real[0]!.bytes.length).toBe(142)
    expect(real.at(-1)!.bytes.length).toBe(1472)
    for (const b of real) {
      const S = b.bytes.length
      expect(encodePacket(OVERLAY, { type: 'bundles', bundles: [b] }).length, `S=${S}`).toBe(S + BUNDLES_HEADER_BYTES)
      expect(bundlesPacketSize([S])).toBe(S + BUNDLES_HEADER_BYTES)
    }
    // 128..141 bytes: shorter than any real bundle, so written through the raw schema.
    for (let S = 128; S <= 1472; S++) {
      const raw = encodeWith(EnvelopeType, { version: 1, overlay: OVERLAY, bundles: { bundles: [new Uint8Array(S)] } })
      expect(raw.length, `S=${S}`).toBe(S + BUNDLES_HEADER_BYTES)
    }
  })

  it('bundlesPacketSize is exact for several bundles', () => {
    const pool = bundlePool()
    for (let n = 1; n <= pool.length; n++) {
      const bundles: Bundle[] = pool.slice(0, n)
      expect(bundlesPacketSize(bundles.map((b) => b.bytes.length))).toBe(encodePacket(OVERLAY, { type: 'bundles', bundles }).length)
    }
  })

  for (const family of ['v4', 'v6'] as const) {
    for (const withToken of [false, true]) {
      const label = `${family}${withToken ? ' + token' : ''}`
      it(`introductionRequestSize is exact for every filter length 0..1472 (${label})`, () => {
        const template = sampleRequest(family, 0, withToken)
        expect(introductionRequestOverhead(template)).toBe(encodedSize(template))
        for (let L = 0; L <= 1472; L++) {
          expect(introductionRequestSize(template, L), `L=${L}`).toBe(encodedSize(sampleRequest(family, L, withToken)))
        }
      })

      for (const budget of [576, 1200, 1472]) {
        it(`maxBloomBytesFor(${budget}) is the largest filter that fits (${label})`, () => {
          const template = sampleRequest(family, 0, withToken)
          const L = maxBloomBytesFor(budget, template)
          expect(L).toBeGreaterThan(300)
          const fits = sampleRequest(family, L, withToken)
          expect(encodedSize(fits)).toBeLessThanOrEqual(budget)
          expect(encodedSize(sampleRequest(family, L + 1, withToken))).toBeGreaterThan(budget)
          expect(decodePacket(encodePacket(OVERLAY, fits))).not.toBeNull()
          // Beyond the varint boundary (L ≥ 128) the growth is overhead + L + 3 + g, g ≤ 3.
          const growth = encodedSize(fits) - introductionRequestOverhead(template) - L
          expect(growth).toBeGreaterThanOrEqual(3)
          expect(growth).toBeLessThanOrEqual(6)
        })
      }
    }
  }

  it('maxBloomBytesFor: 0 when not even one byte fits; exact at tiny budgets', () => {
    const template = sampleRequest('v6', 0, true)
    const overhead = introductionRequestOverhead(template)
    expect(maxBloomBytesFor(overhead, template)).toBe(0)
    for (let budget = overhead; budget < overhead + 300; budget++) {
      const L = maxBloomBytesFor(budget, template)
      if (L > 0) expect(encodedSize(sampleRequest('v6', L, true))).toBeLessThanOrEqual(budget)
      expect(encodedSize(sampleRequest('v6', L + 1, true))).toBeGreaterThan(budget)
    }
  })
})
