/**
 * Exact datagram sizes of symbols-responses (equal to `encodePacket(overlay, response).length`;
 * test/reconcile/size.test.ts checks it), so a responder can fill its budget and a requester
 * can ask for as many symbols as one datagram carries.
 *
 * One symbol is a protobuf `CodedSymbol {bytes id_xor = 1; fixed64 hash_xor = 2; sint64
 * count = 3}` inside `repeated symbols = 2`: 1 (tag) + 1 (length) + 34 (id_xor) + 9
 * (hash_xor, omitted when 0) + 1 + varint(zigzag(count)) (omitted when 0). With the largest
 * count a sketch holds (2^31 − 1: a 5-byte varint) that is 51 bytes; with counts below
 * 8 191 (a 2-byte varint) 48. The envelope adds 36 (version, overlay) + 1 (tag) +
 * varint(body), and the body 1 + varint(from) when from > 0.
 */
import { BloomwalkError } from '../errors.js'
import { envelopeHeaderBytes, varintSize } from '../wire/size.js'
import type { CodedSymbol } from '../wire/packets/types.js'
import { ID_BYTES } from './hash.js'
import { MAX_SYMBOL_COUNT } from './table.js'

/** Bytes of one `CodedSymbol` message's content (not its tag and length). */
export function codedSymbolBytes(hashXor: bigint, count: number): number {
  let n = 2 + ID_BYTES // id_xor: tag, length 32, bytes
  if (hashXor !== 0n) n += 9 // fixed64
  if (count !== 0) n += 1 + varintSize(count >= 0 ? 2 * count : -2 * count - 1) // sint64, zigzag
  return n
}

/** Bytes one symbol adds to a symbols-response body (tag + length + content). */
function elementBytes(hashXor: bigint, count: number): number {
  const content = codedSymbolBytes(hashXor, count)
  return 1 + varintSize(content) + content
}

function envelopeBytes(body: number): number {
  return envelopeHeaderBytes() + 1 + varintSize(body) + body // Envelope.symbols_response = 10: one tag byte
}

function fromBytes(from: number): number {
  return from === 0 ? 0 : 1 + varintSize(from)
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be a non-negative safe integer, got ${String(value)}`)
}

/**
 * The exact datagram size of a symbols-response carrying `symbols` from index `from`.
 * @throws {BloomwalkError} INVALID_ARGUMENT when `from` is not a non-negative safe integer
 */
export function symbolsResponseSize(from: number, symbols: readonly CodedSymbol[]): number {
  checkCount('from', from)
  let body = fromBytes(from)
  for (const s of symbols) body += elementBytes(s.hashXor, s.count)
  return envelopeBytes(body)
}

/**
 * How many of `symbols` (a prefix) fit a symbols-response of at most `budget` bytes.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a negative budget or a bad `from`
 */
export function fitSymbols(budget: number, from: number, symbols: readonly CodedSymbol[]): number {
  checkCount('budget', budget)
  checkCount('from', from)
  let body = fromBytes(from)
  let n = 0
  for (const s of symbols) {
    const next = body + elementBytes(s.hashXor, s.count)
    if (envelopeBytes(next) > budget) break
    body = next
    n++
  }
  return n
}

/**
 * The most symbols one response of at most `budget` bytes always carries, whatever their
 * content: every symbol at its largest (nonzero hash, count `maxCount`, default 2^31 − 1)
 * and `from` as large as `maxFrom` (default 2^20 − 1). A requester asks for this many.
 * @throws {BloomwalkError} INVALID_ARGUMENT for negative arguments
 */
export function symbolsPerDatagram(budget: number, options: { maxFrom?: number; maxCount?: number } = {}): number {
  const maxFrom = options.maxFrom ?? (1 << 20) - 1
  const maxCount = options.maxCount ?? MAX_SYMBOL_COUNT
  checkCount('budget', budget)
  checkCount('maxFrom', maxFrom)
  checkCount('maxCount', maxCount)
  const element = elementBytes(1n, maxCount)
  let n = 0
  while (envelopeBytes(fromBytes(maxFrom) + (n + 1) * element) <= budget) n++
  return n
}
