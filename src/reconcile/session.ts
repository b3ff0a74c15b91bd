/**
 * The requester's catch-up policy (docs/reconcile.md §9), sans-I/O: what to ask a peer for,
 * round by round; src/node/catch-up.ts drives it (and the reconcile bench runs that catch-up
 * service, bench/reconcile-symbols.ts). The caller sends what each step says
 * and feeds back the responses; timers and sockets stay with the caller.
 *
 * 1. **Idle check** ({@link SymbolSession.start}): one symbols-request for the first window
 *    (`firstWindow` symbols from 0) carrying our symbol 0's digest. A peer in sync answers
 *    `inSync` (one small datagram each way); otherwise it answers with the first window at once.
 * 2. **Sizing.** Once every symbol asked for has arrived and decoding is not done, the
 *    decoder estimates the difference size d̂ from the difference counts; the next requests
 *    bring the total to ⌈`symbolsPerDifference` · d̂⌉ (at least an eighth more than received),
 *    split into requests of at most `maxPerRequest` symbols, sent as the window allows: at
 *    most {@link SymbolSession.window} symbols (the decoder's out-of-order buffer) in flight,
 *    so that reordered answers are buffered, never dropped as gaps for want of room.
 * 3. **Fetch.** Ids we lack ride on the next symbols-request (`fetch`, at most
 *    `maxIdsPerRequest` per request); when the session ends, the rest go out as bundle-requests
 *    (as few as `maxIdsPerRequest` allows, of equal size).
 *    Ids the peer lacks are pushed when the session ends (see the caller).
 * 4. **Short ids** (`short`, docs/reconcile.md §14): every request asks for short symbols
 *    (`shortIds`), the idle check carries the session's salt, fetches and pushes name short ids,
 *    and the responder's salted check of its symbol 0 is compared with ours: on an `inSync`
 *    answer or a decode that found nothing at once, and by the caller with
 *    {@link SymbolSession.verify} once it knows the full ids of the difference. A mismatch
 *    ends the session `collision` (ids that share a short id and cancel out).
 * 5. **Loss.** Responses may arrive out of order (the decoder buffers them, bounded);
 *    {@link SymbolSession.retry} re-asks for everything asked for and not yet consumed, at
 *    most `maxRetries` times.
 */
import { BloomwalkError } from '../errors.js'
import type { SymbolDigest } from '../wire/packets/types.js'
import type { CodedSymbol, ShortSymbol } from '../wire/packets/types.js'
import { Decoder, type AddSymbolsResult, type DecodeFailure } from './decoder.js'
import { ID_BYTES } from './hash.js'
import { saltedCheck } from './short.js'
import type { Sketch } from './sketch.js'

/** Symbols asked for in total per estimated difference (the mean need is 1.36–1.77 per difference). */
export const DEFAULT_SYMBOLS_PER_DIFFERENCE = 1.4
/**
 * Symbols asked for on top, per square root of the estimated difference: decoding needs
 * about 1.35·d + √d symbols, and the estimate's error grows like √d too (docs/reconcile.md §9).
 */
export const DEFAULT_SYMBOLS_PER_ROOT_DIFFERENCE = 3
/** Most symbols one request asks for: the default decode limit `maxSymbolsPerRequest`. */
export const DEFAULT_MAX_SYMBOLS_PER_REQUEST = 1024
/** Re-requests of missing symbols before a session gives up. */
export const DEFAULT_MAX_RETRIES = 3

/** Options of a {@link SymbolSession}. */
export interface SymbolSessionOptions {
  /** Symbols in the idle check's answer when the sets differ (with `countsAlone`, one datagram together: `firstAnswer(budget)`). */
  firstWindow: number
  /** Counts alone asked for after the first window, for the first estimate of d (default 0: none). */
  countsAlone?: number
  /** Most symbols per request (≤ the peer's `maxSymbolsPerRequest`). Default {@link DEFAULT_MAX_SYMBOLS_PER_REQUEST}. */
  maxPerRequest?: number
  /** Most ids per fetch list. Default 32. */
  maxIdsPerRequest?: number
  /** Default {@link DEFAULT_SYMBOLS_PER_DIFFERENCE}. */
  symbolsPerDifference?: number
  /** Symbols asked for on top, per square root of the estimated difference (default {@link DEFAULT_SYMBOLS_PER_ROOT_DIFFERENCE}). */
  symbolsPerRootDifference?: number
  /** Decoder options. */
  maxIdsPerRound?: number
  limit?: number
  reuse?: SymbolSession
  /** Default {@link DEFAULT_MAX_RETRIES}. */
  maxRetries?: number
  /**
   * A short-id session (docs/reconcile.md §14) with this salt, in [1, 2^64), drawn afresh per
   * session by the caller's rng: short symbols, short-id fetches and pushes, the salted check.
   */
  salt?: bigint
}

/** How a session ended. `rejected`: the peer's answers cannot continue it (past the limit), `gave-up`: retries used up. */
export type SessionEnd = 'in-sync' | 'decoded' | DecodeFailure | 'rejected' | 'gave-up'

const MAX_SALT = (1n << 64n) - 1n

/** A symbols-request to send. */
export interface PlannedRequest {
  from: number
  count: number
  digest?: SymbolDigest
  fetch?: Uint8Array[]
  /** Counts alone wanted after [from, from + count) (the first window's). */
  countsOnly?: number
  /** The session's salt (a short-id session's idle check). */
  salt?: bigint
  /** Ask for short symbols; `fetch` then holds 8-byte short ids. */
  shortIds?: true
}

/** A symbols-response's parts beyond `from`, the full symbols, `inSync` and the counts alone. */
export interface ResponseExtras {
  /** Short symbols (a short-id session's answer). */
  shortSymbols?: readonly ShortSymbol[]
  /** The responder's salted check (absent reads as 0). */
  check?: bigint
}

/** What to send after an event. */
export interface SessionStep {
  /** Symbols-requests, all to be sent now. */
  requests: PlannedRequest[]
  /** Bundle-requests (id lists; short ids in a short-id session) to send now. */
  fetch: Uint8Array[][]
  /** Ids the peer lacks (short ids in a short-id session): push those bundles now (only when the session ends). */
  push: Uint8Array[]
  /** Set once the session is over. */
  end: SessionEnd | null
  /** What the decoder did with the symbols (responses only). */
  added?: AddSymbolsResult | 'unexpected-in-sync'
}

/** One catch-up session against one peer. */
export class SymbolSession {
  readonly decoder: Decoder
  readonly firstWindow: number
  readonly countsAlone: number
  readonly maxPerRequest: number
  readonly maxIdsPerRequest: number
  readonly symbolsPerDifference: number
  readonly symbolsPerRootDifference: number
  readonly maxRetries: number
  /** The salt of a short-id session (undefined: full ids). */
  readonly salt: bigint | undefined
  readonly #digest: SymbolDigest
  /** Our salted check of symbol 0 as of the session's start (short-id sessions). */
  readonly #ownCheck: bigint = 0n
  /** The responder's salted check, once its answer to the idle check arrived. */
  #peerCheck: bigint | undefined
  /** Symbols asked for: [0, #requested). */
  #requested = 0
  /** Symbols to ask for in this round: [#requested, #target) go out as the window allows. */
  #target = 0
  #retries = 0
  #end: SessionEnd | null = null
  #full = false
  readonly #toFetch: Uint8Array[] = []
  readonly #toPush: Uint8Array[] = []
  /** Counters. */
  readonly counts = { requests: 0, fetched: 0, pushed: 0, retries: 0 }

  /** @throws {BloomwalkError} INVALID_ARGUMENT for bad options */
  constructor(local: Sketch, options: SymbolSessionOptions) {
    const positive = (name: string, v: number, integer = true): number => {
      if (!(integer ? Number.isSafeInteger(v) : Number.isFinite(v)) || v <= 0) throw new BloomwalkError('INVALID_ARGUMENT', `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`)
      return v
    }
    this.firstWindow = positive('firstWindow', options.firstWindow)
    this.countsAlone = options.countsAlone ?? 0
    if (!Number.isSafeInteger(this.countsAlone) || this.countsAlone < 0) throw new BloomwalkError('INVALID_ARGUMENT', `countsAlone must be a non-negative integer, got ${String(options.countsAlone)}`)
    this.maxPerRequest = positive('maxPerRequest', options.maxPerRequest ?? DEFAULT_MAX_SYMBOLS_PER_REQUEST)
    this.maxIdsPerRequest = positive('maxIdsPerRequest', options.maxIdsPerRequest ?? 32)
    this.symbolsPerDifference = positive('symbolsPerDifference', options.symbolsPerDifference ?? DEFAULT_SYMBOLS_PER_DIFFERENCE, false)
    this.symbolsPerRootDifference = options.symbolsPerRootDifference ?? DEFAULT_SYMBOLS_PER_ROOT_DIFFERENCE
    if (!Number.isFinite(this.symbolsPerRootDifference) || this.symbolsPerRootDifference < 0) throw new BloomwalkError('INVALID_ARGUMENT', `symbolsPerRootDifference must be a non-negative number, got ${String(options.symbolsPerRootDifference)}`)
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
    if (options.salt !== undefined && (typeof options.salt !== 'bigint' || options.salt < 1n || options.salt > MAX_SALT)) throw new BloomwalkError('INVALID_ARGUMENT', 'salt must be a bigint in [1, 2^64)')
    this.salt = options.salt
    this.decoder = new Decoder(local, {
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.maxIdsPerRound === undefined ? {} : { maxIdsPerRound: options.maxIdsPerRound }),
      ...(options.reuse === undefined ? {} : { reuse: options.reuse.decoder }),
      short: options.salt !== undefined
    })
    if (options.salt !== undefined) this.#ownCheck = local.saltedCheck(options.salt)
    const s0 = local.symbols(0, 1)[0]!
    this.#digest = { hashXor: s0.hashXor, count: s0.count }
  }

  /** How the session ended (null while it runs). */
  get end(): SessionEnd | null {
    return this.#end
  }

  /** Symbols asked for so far (the end of the requested range). */
  get requested(): number {
    return this.#requested
  }

  /** The idle check: the first window from 0 with our digest. */
  start(): SessionStep {
    if (this.#requested > 0) throw new BloomwalkError('INVALID_ARGUMENT', 'the session has started already')
    const count = Math.min(this.firstWindow, this.maxPerRequest, this.decoder.limit)
    this.#requested = count
    this.#target = count
    this.counts.requests++
    return { requests: [this.#idleCheck(count)], fetch: [], push: [], end: null }
  }

  #idleCheck(count: number): PlannedRequest {
    const request: PlannedRequest = { from: 0, count, digest: this.#digest }
    if (this.countsAlone > 0) request.countsOnly = this.countsAlone
    // A salt also asks for short symbols (docs/reconcile.md §14).
    if (this.salt !== undefined) request.salt = this.salt
    return request
  }

  /** True for a short-id session. */
  get short(): boolean {
    return this.salt !== undefined
  }

  /**
   * A short-id session's check (docs/reconcile.md §14), once the caller knows the full ids of
   * the difference: `difference` is the XOR of the 32-byte ids of every bundle decoded (ours
   * the peer lacks and the peer's we fetched). True when the responder's salted check of its
   * symbol 0 equals ours with the difference applied; false on a mismatch (ids sharing a
   * short id cancelled out: the difference is not complete) or when no check arrived. True
   * for a full-id session (nothing to check).
   * @throws {BloomwalkError} INVALID_ARGUMENT when `difference` is not 32 bytes
   */
  verify(difference: Uint8Array): boolean {
    if (this.salt === undefined) return true
    if (!(difference instanceof Uint8Array) || difference.length !== ID_BYTES) throw new BloomwalkError('INVALID_ARGUMENT', `difference must be ${ID_BYTES} bytes`)
    if (this.#peerCheck === undefined) return false
    const delta = difference.some((b) => b !== 0) ? saltedCheck(this.salt, difference) : 0n
    return (this.#ownCheck ^ delta) === this.#peerCheck
  }

  /**
   * A symbols-response from the peer (`countsAlone`: the counts alone after its symbols;
   * `extras`: a short-id session's short symbols and the responder's check). Never throws on
   * peer input.
   */
  onResponse(from: number, symbols: readonly CodedSymbol[], inSync = false, countsAlone?: readonly number[], extras: ResponseExtras = {}): SessionStep {
    const step: SessionStep = { requests: [], fetch: [], push: [], end: this.#end }
    if (this.#end !== null) return step
    // The answer to our idle check (from 0, or in_sync) carries the responder's salted check; absent reads as 0.
    if (this.salt !== undefined && this.#peerCheck === undefined && (inSync || from === 0)) this.#peerCheck = typeof extras.check === 'bigint' ? extras.check : 0n
    if (inSync) {
      // Only the answer to our idle check, before any symbol.
      if (this.decoder.received > 0 || this.decoder.buffered > 0) {
        step.added = 'unexpected-in-sync'
        return step
      }
      return this.#finish(step, this.verify(new Uint8Array(ID_BYTES)) ? 'in-sync' : 'collision')
    }
    const added = this.salt !== undefined ? this.decoder.addShortSymbols(from, extras.shortSymbols ?? []) : this.decoder.addSymbols(from, symbols)
    step.added = added
    if (added === 'failed' || added === 'beyond-limit') return this.#finish(step, 'rejected')
    if (added !== 'added') return step
    if (countsAlone !== undefined && countsAlone.length > 0) this.decoder.addCountsAlone(from + symbols.length, countsAlone)
    let result = this.decoder.decode()
    for (;;) {
      for (const id of result.weLack) this.#toFetch.push(id)
      for (const id of result.theyLack) this.#toPush.push(id)
      if (!result.more) break
      result = this.decoder.decode()
    }
    if (this.#toFetch.length + this.#toPush.length > 0) this.#full = true
    if (result.failure !== null) return this.#finish(step, result.failure)
    if (result.done) {
      if (this.#full) return this.#finish(step, 'decoded')
      // Nothing decoded: equal short symbols must come with equal checks.
      return this.#finish(step, this.verify(new Uint8Array(ID_BYTES)) ? 'in-sync' : 'collision')
    }
    this.#full = true
    const received = this.decoder.received
    if (received >= this.#target) {
      // Everything asked for is in and decoding is not done: size the next requests.
      const d = this.decoder.estimate()
      this.#target = Math.min(this.decoder.limit, Math.max(Math.ceil(this.symbolsPerDifference * d + this.symbolsPerRootDifference * Math.sqrt(d)), received + Math.ceil(received / 8)))
    }
    this.#fill(step)
    return step
  }

  /**
   * No progress for a while (the caller's timer): ask again for every symbol asked for and
   * not consumed yet. Ends the session (`gave-up`) after `maxRetries` retries.
   */
  retry(): SessionStep {
    const step: SessionStep = { requests: [], fetch: [], push: [], end: this.#end }
    if (this.#end !== null) return step
    if (this.#retries >= this.maxRetries) return this.#finish(step, 'gave-up')
    this.#retries++
    this.counts.retries++
    const received = this.decoder.received
    if (received === 0) {
      this.counts.requests++
      step.requests.push(this.#idleCheck(this.#requested))
      return step
    }
    this.#plan(step, received, Math.max(this.#requested, received + 1))
    this.#fill(step)
    return step
  }

  /**
   * Most symbols in flight (asked for, not consumed): what the decoder buffers out of order,
   * so that answers reordered in flight are never dropped for want of room (at least one request).
   */
  get window(): number {
    return Math.max(this.maxPerRequest, this.decoder.maxBuffered)
  }

  /** Asks for more of [#requested, #target) as the window allows, in whole requests (or the round's rest). */
  #fill(step: SessionStep): void {
    const limit = Math.min(this.#target, this.decoder.limit)
    const room = this.decoder.received + this.window
    let to = this.#requested
    while (to < limit && room - to >= Math.min(this.maxPerRequest, limit - to)) to += Math.min(this.maxPerRequest, limit - to)
    if (to > this.#requested) this.#plan(step, this.#requested, to)
  }

  /** Requests for [from, to), each ≤ maxPerRequest symbols, fetch ids riding along. */
  #plan(step: SessionStep, from: number, to: number): void {
    to = Math.min(to, this.decoder.limit)
    for (let at = from; at < to; at += this.maxPerRequest) {
      const req: PlannedRequest = { from: at, count: Math.min(this.maxPerRequest, to - at) }
      if (this.salt !== undefined) req.shortIds = true
      const ids = this.#toFetch.splice(0, this.maxIdsPerRequest)
      if (ids.length > 0) {
        req.fetch = ids
        this.counts.fetched += ids.length
      }
      step.requests.push(req)
      this.counts.requests++
    }
    this.#requested = Math.max(this.#requested, to)
  }

  #finish(step: SessionStep, end: SessionEnd): SessionStep {
    this.#end = end
    step.end = end
    // Split evenly: each list is answered on its own, so equal lists leave fewer half-filled datagrams.
    const lists = Math.ceil(this.#toFetch.length / this.maxIdsPerRequest)
    while (this.#toFetch.length > 0) {
      const ids = this.#toFetch.splice(0, Math.ceil(this.#toFetch.length / (lists - step.fetch.length)))
      this.counts.fetched += ids.length
      step.fetch.push(ids)
    }
    step.push = this.#toPush.splice(0)
    this.counts.pushed += step.push.length
    return step
  }
}
