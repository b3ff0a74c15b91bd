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
/** Ids peeled per decode() call (the decoder's per-round cap). */
export const MAX_IDS_PER_ROUND = 128
/** Ids per bundle-request sent by catch-up. */
export const FETCH_IDS_PER_REQUEST = 16

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
  /** Responder snapshots the sketch's journal no longer reached (served from the current sketch instead). */
  snapshotsLost: number
}

export function newCatchUpCounters(): CatchUpCounters {
  return { idleChecks: 0, inSync: 0, sessions: 0, decoded: 0, failed: 0, fetched: 0, pushed: 0, snapshotsLost: 0 }
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
  // The previous session's buffers are reused (no 0.7 MB allocation per idle check).
  const decoder = new Decoder(sketch, { maxIdsPerRound: MAX_IDS_PER_ROUND, ...(overlay.lastDecoder === undefined ? {} : { reuse: overlay.lastDecoder }) })
  overlay.lastDecoder = decoder
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
  // Peel everything these symbols allow (each decode() call is capped; `more` says call again).
  let result = session.decoder.decode()
  const weLack = [...result.weLack]
  const theyLack = [...result.theyLack]
  while (result.more && result.failure === null) {
    result = session.decoder.decode()
    weLack.push(...result.weLack)
    theyLack.push(...result.theyLack)
  }
  if (!session.full && !(result.done && weLack.length + theyLack.length === 0)) {
    session.full = true
    counters.sessions++
  }
  await act(ctx, overlay, session, weLack, theyLack, counters)
  // While the store was read the session may have timed out or been replaced.
  if (overlay.catchUp !== session) return
  if (result.failure !== null) return fail(overlay, counters)
  if (result.done) {
    if (session.full) counters.decoded++
    else counters.inSync++
    return endSession(overlay)
  }
  session.cancelTimeout()
  session.cancelTimeout = ctx.clock.setTimeout(() => endSession(overlay), SESSION_TIMEOUT_MS)
  if (!request(ctx, session, overlay, symbolsPerDatagram(ctx.sync.datagramBudget))) fail(overlay, counters)
}

/**
 * symbols-request: answer from the maintained sketch, within one datagram. A request from
 * index 0 opens a session: its symbols, and the later ones for the same requester, come from
 * a snapshot taken then, so bundles stored meanwhile (pushed by that requester, or arriving
 * by the Bloom walk) do not make the requester's decoding inconsistent.
 */
export function onSymbolsRequest(ctx: NodeContext, from: Address, overlay: OverlayState, req: { from: number; count: number }, counters: CatchUpCounters): void {
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
  const at = snapshotFor(ctx, overlay, addressKey(from), req.from === 0, counters)
  const symbols = overlay.sketch.symbolsWithin(req.from, Math.min(req.count, ctx.limits.maxSymbolsPerDatagram), ctx.sync.datagramBudget, at)
  ctx.send(from, overlay.id, { type: 'symbols-response', from: req.from, symbols }, 'destination')
}

/** Responder-side snapshots kept per overlay (one per requester, least recent dropped). */
export const MAX_SNAPSHOTS = 8

/**
 * The sketch version a requester's session is served from (undefined: the current
 * contents). A snapshot is only a version number: the sketch's bounded journal takes the
 * changes made since back out of each requested range. When more changes than the journal
 * holds happened since, the session is served from the current sketch (it may then end
 * inconsistent and be retried later), counted in `snapshotsLost`.
 */
function snapshotFor(ctx: NodeContext, overlay: OverlayState, key: string, start: boolean, counters: CatchUpCounters): number | undefined {
  const now = ctx.clock.now()
  const sketch = overlay.sketch!
  const snapshots = overlay.sketchSnapshots
  if (start) {
    snapshots.delete(key)
    snapshots.set(key, { version: sketch.version, at: now })
    if (snapshots.size > MAX_SNAPSHOTS) snapshots.delete(snapshots.keys().next().value as string)
  }
  const snap = snapshots.get(key)
  if (snap === undefined || now - snap.at > SESSION_TIMEOUT_MS) {
    snapshots.delete(key)
    return undefined
  }
  if (!sketch.reaches(snap.version)) {
    counters.snapshotsLost++
    snapshots.delete(key)
    return undefined
  }
  snap.at = now
  return snap.version
}

function request(ctx: NodeContext, session: CatchUpSession, overlay: OverlayState, count: number): boolean {
  const next = session.decoder.nextRequest(count)
  if (next === null) return false
  ctx.send(session.peer, overlay.id, { type: 'symbols-request', from: next.from, count: next.count }, 'none')
  return true
}

async function act(ctx: NodeContext, overlay: OverlayState, session: CatchUpSession, weLack: Uint8Array[], theyLack: Uint8Array[], counters: CatchUpCounters): Promise<void> {
  // Small enough that even maximum-size bundles fit the bundle-request answer budget.
  const max = Math.min(ctx.limits.maxIdsPerRequest, FETCH_IDS_PER_REQUEST)
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
