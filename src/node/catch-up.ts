/**
 * Catch-up by rateless coded symbols (DESIGN §11, docs/reconcile.md): after a walk step to
 * a peer whose global time is not ahead of ours, an idle check asks for symbol 0 of its
 * sketch; if the sets differ, the walker keeps asking for symbols until the difference
 * decodes, then fetches what it lacks by id and pushes what the peer lacks. A session that
 * cannot decode within the sketch's length falls back to the Bloom walk in modulo mode.
 * One session per overlay at a time; every step is bounded.
 */
import { Decoder, symbolsPerDatagram } from '../reconcile/index.js'
import { packDatagrams } from '../sync/pack.js'
import type { Bundle } from '../bundle/types.js'
import { addressKey, type Address, type SymbolsResponse } from '../wire/index.js'
import type { NodeContext } from './context.js'
import type { OverlayState } from './overlay.js'

/** Symbols asked for by an idle check: symbol 0 alone says "same set". */
export const IDLE_SYMBOLS = 1
/** A session ends if the peer stops answering for this long (ms). */
export const SESSION_TIMEOUT_MS = 10_500
/** The same peer is idle-checked at most once per this interval (ms). */
export const IDLE_CHECK_INTERVAL_MS = 60_000
/** Ids acted on per symbols-response (fetches plus pushes). */
export const MAX_IDS_PER_ROUND = 128

export interface CatchUpSession {
  peerKey: string
  peer: Address
  decoder: Decoder
  cancelTimeout: () => void
  /** True once the idle check showed a difference. */
  full: boolean
}

/** Counters of the catch-up path, per node. */
export interface CatchUpCounters {
  idleChecks: number
  inSync: number
  sessions: number
  decoded: number
  failed: number
  fetched: number
  pushed: number
}

export function newCatchUpCounters(): CatchUpCounters {
  return { idleChecks: 0, inSync: 0, sessions: 0, decoded: 0, failed: 0, fetched: 0, pushed: 0 }
}

/** Starts an idle check with the walked peer when the policy says so. */
export function maybeIdleCheck(ctx: NodeContext, overlay: OverlayState, peer: Address, peerGlobalTime: number, counters: CatchUpCounters): void {
  const sketch = overlay.sketch
  if (sketch === undefined || overlay.catchUp !== undefined || peerGlobalTime > overlay.clock.time) return
  const key = addressKey(peer)
  const now = ctx.clock.now()
  const last = overlay.idleChecked.get(key)
  if (last !== undefined && now - last < IDLE_CHECK_INTERVAL_MS) return
  overlay.idleChecked.delete(key)
  overlay.idleChecked.set(key, now)
  if (overlay.idleChecked.size > 256) overlay.idleChecked.delete(overlay.idleChecked.keys().next().value as string)
  const decoder = new Decoder(sketch, { maxIdsPerRound: MAX_IDS_PER_ROUND })
  overlay.catchUp = { peerKey: key, peer, decoder, full: false, cancelTimeout: ctx.clock.setTimeout(() => endSession(overlay), SESSION_TIMEOUT_MS) }
  counters.idleChecks++
  request(ctx, overlay.catchUp, overlay, IDLE_SYMBOLS)
}

/** symbols-response: feed the decoder, act on what it yields, ask for more or stop. */
export async function onSymbolsResponse(ctx: NodeContext, from: Address, overlay: OverlayState, res: SymbolsResponse, counters: CatchUpCounters): Promise<void> {
  const session = overlay.catchUp
  if (session === undefined || session.peerKey !== addressKey(from)) {
    ctx.counters.drop('unexpected-symbols')
    return
  }
  const added = session.decoder.addSymbols(res.from, res.symbols)
  if (added !== 'added') {
    ctx.counters.drop(`symbols-${added}`)
    if (added === 'failed' || added === 'beyond-limit') fail(overlay, counters)
    return
  }
  const result = session.decoder.decode()
  if (!session.full && !(result.done && result.weLack.length + result.theyLack.length === 0)) {
    session.full = true
    counters.sessions++
  }
  await act(ctx, overlay, session, result.weLack, result.theyLack, counters)
  // While the store was read the session may have timed out or been replaced.
  if (overlay.catchUp !== session) return
  if (result.failure !== null) return fail(overlay, counters)
  if (result.done && !result.more) {
    if (session.full) counters.decoded++
    else counters.inSync++
    return endSession(overlay)
  }
  session.cancelTimeout()
  session.cancelTimeout = ctx.clock.setTimeout(() => endSession(overlay), SESSION_TIMEOUT_MS)
  if (!request(ctx, session, overlay, symbolsPerDatagram(ctx.sync.datagramBudget))) fail(overlay, counters)
}

/** symbols-request: answer statelessly from the maintained sketch, within one datagram. */
export function onSymbolsRequest(ctx: NodeContext, from: Address, overlay: OverlayState, req: { from: number; count: number }): void {
  if (overlay.sketch === undefined) {
    ctx.counters.drop('tracker-ignores')
    return
  }
  if (overlay.candidates.get(addressKey(from)) === undefined) {
    ctx.counters.drop('unknown-source')
    return
  }
  if (req.from >= overlay.sketch.length) {
    ctx.counters.drop('bad-range')
    return
  }
  const symbols = overlay.sketch.symbolsWithin(req.from, Math.min(req.count, ctx.limits.maxSymbolsPerDatagram), ctx.sync.datagramBudget)
  ctx.send(from, overlay.id, { type: 'symbols-response', from: req.from, symbols }, 'destination')
}

function request(ctx: NodeContext, session: CatchUpSession, overlay: OverlayState, count: number): boolean {
  const next = session.decoder.nextRequest(count)
  if (next === null) return false
  ctx.send(session.peer, overlay.id, { type: 'symbols-request', from: next.from, count: next.count }, 'none')
  return true
}

async function act(ctx: NodeContext, overlay: OverlayState, session: CatchUpSession, weLack: Uint8Array[], theyLack: Uint8Array[], counters: CatchUpCounters): Promise<void> {
  const max = ctx.limits.maxIdsPerRequest
  for (let i = 0; i < weLack.length; i += max) {
    ctx.send(session.peer, overlay.id, { type: 'bundle-request', ids: weLack.slice(i, i + max) }, 'none')
  }
  counters.fetched += weLack.length
  if (theyLack.length === 0 || ctx.store === undefined) return
  const push: Bundle[] = []
  for (const id of theyLack) {
    const b = await ctx.store.get(overlay.id, id)
    if (b !== undefined) push.push(b)
  }
  counters.pushed += push.length
  for (const datagram of packDatagrams(push, ctx.sync.datagramBudget, ctx.limits.maxBundlesPerDatagram)) {
    if (!ctx.send(session.peer, overlay.id, { type: 'bundles', bundles: datagram }, 'destination')) break
  }
}

function fail(overlay: OverlayState, counters: CatchUpCounters): void {
  counters.failed++
  // Too many differences for the sketch (or a misbehaving peer): the Bloom walk takes over,
  // sweeping the whole history in modulo mode.
  overlay.builder?.startCatchUp()
  endSession(overlay)
}

function endSession(overlay: OverlayState): void {
  overlay.catchUp?.cancelTimeout()
  overlay.catchUp = undefined
}
