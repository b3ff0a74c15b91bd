/**
 * Filter size from the real datagram budget (DESIGN §2, §5): the filter gets exactly what
 * the encoded introduction-request leaves. The size is computed for the worst case of every
 * field that varies from step to step (global times, identifier, salt, modulo, offset,
 * token), so an offer built with it never encodes larger than the budget.
 */
import { bloomCapacity, bloomOptimalK, MAX_BLOOM_K } from '../bloom/index.js'
import { MAX_GLOBAL_TIME } from '../bundle/codec.js'
import { BloomwalkError } from '../errors.js'
import { type IntroductionRequestTemplate, MAX_TOKEN_BYTES, maxBloomBytesFor } from '../wire/index.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET } from './config.js'
import type { OfferSize } from './offer.js'

/** The one token-size bound, defined with the decode limits (src/wire/limits.ts). */
export { MAX_TOKEN_BYTES }

const V4 = { host: '255.255.255.255', port: 65535 }
const V6 = { host: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 }

/** The largest introduction-request header of an address family (every variable field at its widest). */
export function worstCaseRequest(family: 'ipv4' | 'ipv6'): IntroductionRequestTemplate {
  const a = family === 'ipv4' ? V4 : V6
  return {
    type: 'introduction-request',
    destination: a,
    sourceLan: a,
    sourceWan: a,
    advice: true,
    connectionType: 'symmetric-NAT',
    identifier: 0xffffffff,
    globalTime: MAX_GLOBAL_TIME,
    sync: { timeLow: MAX_GLOBAL_TIME, timeHigh: MAX_GLOBAL_TIME, modulo: 0xffffffff, offset: 0xfffffffe, bloom: { k: MAX_BLOOM_K, salt: 0xffffffff } },
    token: new Uint8Array(MAX_TOKEN_BYTES).fill(0xff)
  }
}

/**
 * Filter bytes, k and capacity for offers to peers of `family` at this budget and rate. With
 * `k` given (a tuning experiment), the capacity is what that many probes hold at the rate:
 * n = -(m / k) · ln(1 - p^(1/k)), at least 1; otherwise k is the optimum for the capacity.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a budget outside 576–1 472, a rate outside (0, 1) or k outside 1–32
 */
export function offerSize(budget: number, falsePositiveRate: number, family: 'ipv4' | 'ipv6', k?: number): OfferSize {
  if (!Number.isInteger(budget) || budget < MIN_DATAGRAM_BUDGET || budget > MAX_DATAGRAM_BUDGET) {
    throw new BloomwalkError('INVALID_ARGUMENT', `datagram budget must be an integer in [${MIN_DATAGRAM_BUDGET}, ${MAX_DATAGRAM_BUDGET}], got ${budget}`)
  }
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) throw new BloomwalkError('INVALID_ARGUMENT', `false-positive rate must be in (0, 1), got ${falsePositiveRate}`)
  const bloomBytes = maxBloomBytesFor(budget, worstCaseRequest(family))
  if (k !== undefined) {
    if (!Number.isInteger(k) || k < 1 || k > MAX_BLOOM_K) throw new BloomwalkError('INVALID_ARGUMENT', `k must be an integer in [1, ${MAX_BLOOM_K}], got ${k}`)
    return { bloomBytes, k, capacity: capacityWithK(bloomBytes * 8, falsePositiveRate, k) }
  }
  const capacity = Math.max(1, bloomCapacity(bloomBytes, falsePositiveRate))
  return { bloomBytes, k: bloomOptimalK(bloomBytes * 8, capacity), capacity }
}

/** Items `bits` bits with `k` probes hold at false-positive rate `rate`: -(m/k)·ln(1 - rate^(1/k)), at least 1. */
export function capacityWithK(bits: number, rate: number, k: number): number {
  return Math.max(1, Math.floor((-bits / k) * Math.log(1 - Math.pow(rate, 1 / k))))
}
