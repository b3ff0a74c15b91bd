/**
 * The wire codec on the two hot datagrams: an introduction-request carrying a full filter
 * (IPv4, bits sized with maxBloomBytesFor for the default 1 200-byte budget) and a bundles
 * datagram of 5 Dispersy-sized (196-byte) bundles. Inputs are prepared outside the timed
 * functions. Decoding a bundles datagram includes decodeBundle (a SHA-256 id per bundle),
 * not signature verification.
 */
import { roomId } from '../src/bundle/index.js'
import { SeededRng } from '../src/env/rng.js'
import { decodePacket, encodePacket, maxBloomBytesFor, type IntroductionRequest, type Packet } from '../src/wire/index.js'
import { syntheticBundles } from './fixtures.js'
import type { BenchGroup } from './harness.js'

const BUDGET = 1200
const rng = new SeededRng(0x31e)
const overlay = roomId('bench')

const header: IntroductionRequest = {
  type: 'introduction-request',
  destination: { host: '203.0.113.7', port: 40000 },
  sourceLan: { host: '10.0.0.12', port: 7759 },
  sourceWan: { host: '198.51.100.3', port: 51234 },
  advice: true,
  connectionType: 'unknown',
  identifier: rng.u32(),
  globalTime: 123_456,
  sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: { bits: new Uint8Array(0), k: 7, salt: rng.u32() } }
}
const bloomBytes = maxBloomBytesFor(BUDGET, { ...header, sync: header.sync! })
const request: Packet = { ...header, sync: { ...header.sync!, bloom: { ...header.sync!.bloom, bits: rng.bytes(bloomBytes) } } }
const requestBytes = encodePacket(overlay, request)

const bundles = syntheticBundles({ overlay, count: 5, maxGlobalTime: 1000, seed: 3, signed: 5 })
const bundlesBytes = encodePacket(overlay, { type: 'bundles', bundles })

/** Written by every case so no result is dead code. */
export let sink = 0

const group: BenchGroup = {
  group: 'wire',
  cases: [
    {
      name: `encode introduction-request (IPv4, ${bloomBytes}-byte filter, ${requestBytes.length} B)`,
      fn: () => {
        sink ^= encodePacket(overlay, request).length
      }
    },
    {
      name: `decode introduction-request (IPv4, ${bloomBytes}-byte filter, ${requestBytes.length} B)`,
      fn: () => {
        sink ^= decodePacket(requestBytes) === null ? 1 : 2
      }
    },
    {
      name: `decode bundles datagram (${bundles.length} × ${bundles[0]!.bytes.length} B bundles, ${bundlesBytes.length} B)`,
      items: bundles.length,
      fn: () => {
        sink ^= decodePacket(bundlesBytes) === null ? 1 : 2
      }
    },
    {
      name: `encode bundles datagram (${bundles.length} bundles, ${bundlesBytes.length} B)`,
      items: bundles.length,
      fn: () => {
        sink ^= encodePacket(overlay, { type: 'bundles', bundles }).length
      }
    }
  ],
  figures: async () => ({ 'filter bytes at budget 1200 (IPv4)': bloomBytes, 'introduction-request bytes': requestBytes.length, 'bundles datagram bytes': bundlesBytes.length })
}

export default group
