/**
 * Exact datagram sizes of symbols-responses (equal to `encodePacket(overlay, response).length`;
 * test/reconcile/size.test.ts checks it), so a responder can fill its budget and a requester
 * can tell how many datagrams an answer takes.
 *
 * The packed encoding (docs/reconcile.md §6): k symbols are one `bytes symbols = 3` field of
 * k 40-byte records (id_xor ‖ big-endian hash_xor) and one packed `repeated sint64 counts = 4`
 * field of k zigzag varints. A symbol therefore costs 40 bytes plus its count's varint (1 byte
 * below 64, 2 below 8 192, 3 below 2^20, 5 at most), and a response adds, beyond the 36-byte
 * envelope header, 1 (tag) + varint(body) + [1 + varint(from), when from > 0] +
 * 1 + varint(40k) + 1 + varint(Σ count bytes) (the last four only when k > 0), and for m
 * counts alone (`counts_only = 6`, 2 bytes each) 1 + varint(2m) + 2m.
 *
 * Short symbols (`short_symbols = 7`, docs/reconcile.md §14–§15) are 12-byte records (hash_xor ‖
 * 24 bits of checksum_xor ‖ count mod 2^8) with no counts field; a response from 0 adds symbol
 * 0's whole count (`count_zero = 9`, 1 + its varint, when not 0): pass `record` =
 * {@link SHORT_RECORD_BYTES}. The salted check (`check = 8`, fixed64) adds
 * {@link CHECK_FIELD_BYTES} to the datagram that carries it (`extra`).
 */
import { BloomwalkError } from '../errors.js'
import { envelopeHeaderBytes, varintSize } from '../wire/size.js'
import { MAX_SYMBOL_COUNT } from './table.js'

/** Bytes of one symbol's record in a response (id_xor ‖ hash_xor). */
export const SYMBOL_RECORD_BYTES = 40

/** Bytes of one short symbol's record (hash_xor ‖ 24 bits of checksum_xor ‖ count mod 2^8). */
export const SHORT_RECORD_BYTES = 12

/** Bytes the salted check adds to a response: a tag byte and a fixed64. */
export const CHECK_FIELD_BYTES = 9

/** What the size functions read of a symbol: its count (full and short symbols alike). */
type Counted = { readonly count: number }

/** Bytes of a count's zigzag varint. */
function countBytes(count: number): number {
  return varintSize(count >= 0 ? 2 * count : -2 * count - 1)
}

/** Bytes one symbol adds to the response's fields, not counting the fields' length prefixes (`record`: 40, or 12 for a short symbol, whose count is in its record). */
export function codedSymbolBytes(_hashXor: bigint, count: number, record = SYMBOL_RECORD_BYTES): number {
  return record === SHORT_RECORD_BYTES ? record : record + countBytes(count)
}

/** The counts' field bytes: full symbols' packed counts (Σ varints `countTotal`), or a short answer's `count_zero` (`countTotal`: symbol 0's count, from 0 only). */
function countsField(record: number, from: number, k: number, countTotal: number): number {
  if (k === 0) return 0
  if (record !== SHORT_RECORD_BYTES) return 1 + varintSize(countTotal) + countTotal
  return from === 0 && countTotal > 0 ? 1 + varintSize(countTotal) : 0
}

/** Bytes of one count alone (mod 2^16, big-endian). */
export const COUNT_ALONE_BYTES = 2

/** The response body: from, the records field (`record` bytes each), the counts field ({@link countsField}), `m` counts alone and `extra` bytes (the check). */
function bodyBytes(from: number, k: number, countTotal: number, m = 0, record = SYMBOL_RECORD_BYTES, extra = 0): number {
  let body = extra + (from === 0 ? 0 : 1 + varintSize(from))
  if (k > 0) body += 1 + varintSize(record * k) + record * k + countsField(record, from, k, countTotal)
  if (m > 0) body += 1 + varintSize(COUNT_ALONE_BYTES * m) + COUNT_ALONE_BYTES * m
  return body
}

function envelopeBytes(body: number): number {
  return envelopeHeaderBytes() + 1 + varintSize(body) + body // Envelope.symbols_response = 10: one tag byte
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be a non-negative safe integer, got ${String(value)}`)
}

/**
 * The exact datagram size of a symbols-response carrying `symbols` from index `from`.
 * @throws {BloomwalkError} INVALID_ARGUMENT when `from` is not a non-negative safe integer
 */
export function symbolsResponseSize(from: number, symbols: readonly Counted[], countsAlone = 0, record = SYMBOL_RECORD_BYTES, extra = 0): number {
  checkCount('from', from)
  checkCount('countsAlone', countsAlone)
  let counts = 0
  if (record === SHORT_RECORD_BYTES) counts = symbols[0]?.count ?? 0
  else for (const s of symbols) counts += countBytes(s.count)
  return envelopeBytes(bodyBytes(from, symbols.length, counts, countsAlone, record, extra))
}

/**
 * How many counts alone (at most `want`) fit beside `symbols` from `from` in a
 * symbols-response of at most `budget` bytes (0 when none do).
 * @throws {BloomwalkError} INVALID_ARGUMENT for negative arguments
 */
export function fitCountsAlone(budget: number, from: number, symbols: readonly Counted[], want: number, record = SYMBOL_RECORD_BYTES, extra = 0): number {
  checkCount('budget', budget)
  checkCount('want', want)
  const base = symbolsResponseSize(from, symbols, 0, record, extra)
  if (base > budget) return 0
  // Each count alone costs 2 bytes; the field's tag and length, and the body's and envelope's length varints, a few more.
  let m = Math.min(want, Math.max(0, Math.floor((budget - base) / COUNT_ALONE_BYTES)))
  while (m > 0 && symbolsResponseSize(from, symbols, m, record, extra) > budget) m--
  return m
}

/**
 * The first answer of an idle check that finds a difference, at a datagram budget: `window`
 * symbols from 0 and `countsAlone` counts alone after them, together one datagram for sets
 * below 2^20 items (every count a 3-byte varint at most). The window is the share `fullShare`
 * of a datagram's symbols; the counts alone fill the rest.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a negative budget or a share outside (0, 1]
 */
export function firstAnswer(budget: number, fullShare: number, record = SYMBOL_RECORD_BYTES, extra = 0): { window: number; countsAlone: number } {
  checkCount('budget', budget)
  if (!(fullShare > 0 && fullShare <= 1)) throw new BloomwalkError('INVALID_ARGUMENT', `fullShare must be in (0, 1], got ${String(fullShare)}`)
  const all = symbolsPerDatagram(budget, { maxFrom: 0, maxCount: FIRST_ANSWER_MAX_COUNT, record, extra })
  const window = Math.max(1, Math.floor(all * fullShare))
  const counts = record === SHORT_RECORD_BYTES ? FIRST_ANSWER_MAX_COUNT : window * countBytes(FIRST_ANSWER_MAX_COUNT)
  let m = 0
  while (envelopeBytes(bodyBytes(0, window, counts, m + 1, record, extra)) <= budget) m++
  return { window, countsAlone: m }
}

/** Largest count the first answer is sized for (a 3-byte varint: sets below 2^20 items). */
const FIRST_ANSWER_MAX_COUNT = (1 << 20) - 1

/**
 * How many of `symbols` (a prefix) fit a symbols-response of at most `budget` bytes.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a negative budget or a bad `from`
 */
export function fitSymbols(budget: number, from: number, symbols: readonly Counted[], record = SYMBOL_RECORD_BYTES, extra = 0): number {
  checkCount('budget', budget)
  checkCount('from', from)
  const short = record === SHORT_RECORD_BYTES
  let counts = 0
  let n = 0
  for (const s of symbols) {
    const next = short ? (symbols[0]?.count ?? 0) : counts + countBytes(s.count)
    if (envelopeBytes(bodyBytes(from, n + 1, next, 0, record, extra)) > budget) break
    counts = next
    n++
  }
  return n
}

/**
 * The most symbols one response of at most `budget` bytes always carries, whatever their
 * content: every count at its largest (`maxCount`, default 2^31 − 1) and `from` as large as
 * `maxFrom` (default 2^20 − 1).
 * @throws {BloomwalkError} INVALID_ARGUMENT for negative arguments
 */
export function symbolsPerDatagram(budget: number, options: { maxFrom?: number; maxCount?: number; record?: number; extra?: number } = {}): number {
  const maxFrom = options.maxFrom ?? (1 << 20) - 1
  const maxCount = options.maxCount ?? MAX_SYMBOL_COUNT
  checkCount('budget', budget)
  checkCount('maxFrom', maxFrom)
  checkCount('maxCount', maxCount)
  const record = options.record ?? SYMBOL_RECORD_BYTES
  const extra = options.extra ?? 0
  const per = countBytes(maxCount)
  let n = 0
  while (envelopeBytes(bodyBytes(maxFrom, n + 1, record === SHORT_RECORD_BYTES ? maxCount : (n + 1) * per, 0, record, extra)) <= budget) n++
  return n
}

/**
 * Most symbols one symbols-request may be answered with: whole datagrams of
 * {@link symbolsPerDatagram}(datagramBudget) symbols within `responseBudget` bytes (the
 * same per-request response budget as a Bloom answer, DESIGN §5), and at least one datagram.
 * @throws {BloomwalkError} INVALID_ARGUMENT for a budget that is not a non-negative safe integer
 */
export function symbolsPerResponse(datagramBudget: number, responseBudget: number, record = SYMBOL_RECORD_BYTES): number {
  checkCount('responseBudget', responseBudget)
  return Math.max(1, Math.floor(responseBudget / datagramBudget)) * symbolsPerDatagram(datagramBudget, { record })
}
