/**
 * Packing answered bundles into datagrams of the bundles packet, each within the datagram
 * budget. Sizes are exact protobuf sizes (checked against the wire encoder in test/sync).
 */
import type { Bundle } from '../bundle/types.js'

/** Envelope bytes before the body: version (tag + 1) and overlay (tag + length + 32). */
const ENVELOPE_HEAD_BYTES = 2 + 34

/** Bytes of a protobuf varint. */
export function varintBytes(n: number): number {
  let bytes = 1
  while (n >= 128) {
    n = Math.floor(n / 128)
    bytes++
  }
  return bytes
}

/** Encoded size of one length-delimited field with a one-byte tag. */
function fieldBytes(length: number): number {
  return 1 + varintBytes(length) + length
}

/** Exact encoded size of a bundles datagram holding bundles of these encoded lengths. */
export function bundlesDatagramSize(lengths: readonly number[]): number {
  let inner = 0
  for (const len of lengths) inner += fieldBytes(len)
  return ENVELOPE_HEAD_BYTES + fieldBytes(inner)
}

/**
 * Greedy in-order packing: each datagram takes bundles while it stays within `budget`
 * bytes and `maxPerDatagram` bundles. A bundle too large for an empty datagram is left out
 * (validation prevents that for stored bundles).
 */
export function packDatagrams(bundles: readonly Bundle[], budget: number, maxPerDatagram: number): Bundle[][] {
  const out: Bundle[][] = []
  let current: Bundle[] = []
  let inner = 0
  for (const b of bundles) {
    const add = fieldBytes(b.bytes.length)
    if (ENVELOPE_HEAD_BYTES + fieldBytes(add) > budget) continue
    if (current.length > 0 && (current.length >= maxPerDatagram || ENVELOPE_HEAD_BYTES + fieldBytes(inner + add) > budget)) {
      out.push(current)
      current = []
      inner = 0
    }
    current.push(b)
    inner += add
  }
  if (current.length > 0) out.push(current)
  return out
}
