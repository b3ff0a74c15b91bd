/**
 * Packing answered bundles into bundles datagrams, each within the datagram budget. Sizes
 * are the exact protobuf sizes computed by the wire module.
 */
import type { Bundle } from '../bundle/types.js'
import { bundlesPacketSize } from '../wire/index.js'

/**
 * Greedy in-order packing: each datagram takes bundles while it stays within `budget`
 * bytes and `maxPerDatagram` bundles. A bundle too large for a datagram of its own is left
 * out (validation keeps such bundles out of the store).
 */
export function packDatagrams(bundles: readonly Bundle[], budget: number, maxPerDatagram: number): Bundle[][] {
  const out: Bundle[][] = []
  let current: Bundle[] = []
  let lengths: number[] = []
  for (const b of bundles) {
    if (bundlesPacketSize([b.bytes.length]) > budget) continue
    lengths.push(b.bytes.length)
    if (current.length > 0 && (current.length >= maxPerDatagram || bundlesPacketSize(lengths) > budget)) {
      out.push(current)
      current = []
      lengths = [b.bytes.length]
    }
    current.push(b)
  }
  if (current.length > 0) out.push(current)
  return out
}
