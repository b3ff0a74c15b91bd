/**
 * Catch-up by rateless coded symbols (DESIGN §11, docs/reconcile.md §9): after a walk step to
 * a peer whose global time is not ahead of ours, an idle check sends our symbol 0's digest
 * and asks for a first window of symbols. A peer in sync answers `inSync`; otherwise it
 * answers with the window at once, and the session (src/reconcile/session.ts) sizes the
 * next requests from the estimated difference, fetches what we lack riding on them, and
 * pushes what the peer lacks at the end. A session that cannot decode within the sketch's
 * length falls back to the Bloom walk in modulo mode. One session per overlay at a time;
 * every step is bounded.
 */
import { SymbolSession, fitSymbols, symbolsPerDatagram, symbolsPerResponse, type SessionStep } from '../reconcile/index.js'
import { packDatagrams } from '../sync/pack.js'
import type { Bundle } from '../bundle/types.js'
import { addressKey, type Address, type SymbolsRequest, type SymbolsResponse } from '../wire/index.js'
import type { NodeContext } from './context.js'
import { serveBundles } from './handlers/bundle-request.js'
import { hex, type OverlayState } from './overlay.js'

/** A responder keeps a session's snapshot this long after its last request (ms). */
export const SESSION_TIMEOUT_MS = 10_500
/** Without progress for this long the requester asks again for what is missing (ms); after DEFAULT_MAX_RETRIES retries it gives up. */
export const RETRY_MS = 2_000
/** The same peer is idle-checked at most once per this interval (ms). */
export const IDLE_CHECK_INTERVAL_MS = 60_000
/** Ids peeled per decode() call (the decoder's per-round cap). */
export const MAX_IDS_PER_ROUND = 128
/** Ids per fetch (riding on a symbols-request, or a bundle-request) sent by catch-up. */
export const FETCH_IDS_PER_REQUEST = 16
/** Largest count the first window is sized for (a 3-byte varint: sets below 2^20 items). */
const FIRST_WINDOW_MAX_COUNT = (1 << 20) - 1

let perRequest = { datagramBudget: 0, responseBudget: 0, limit: 0, symbols: 0 }

/**
 * Most symbols one symbols-request asks for, and is answered with: the response budget's
 * worth of whole datagrams, within the decode limit. Requesters and responders use the same
 * bound. The last answer is remembered (a node's budgets do not change), so a request does
 * not recount the datagram layout.
 */
export function symbolsPerRequest(datagramBudget: number, responseBudget: number, limit: number): number {
  const c = perRequest
  if (c.datagramBudget !== datagramBudget || c.responseBudget !== responseBudget || c.limit !== limit) {
    perRequest = { datagramBudget, responseBudget, limit, symbols: Math.min(limit, symbolsPerResponse(datagramBudget, responseBudget)) }
  }
  return perRequest.symbols
}

/** Symbols in the first window at a datagram budget: what one answer datagram carries for sets below 2^20. */
export function firstWindow(budget: number): number {
  return Math.max(1, symbolsPerDatagram(budget, { maxFrom: 0, maxCount: FIRST_WINDOW_MAX_COUNT }))
}

export interface CatchUpSession {
  peerKey: string
  peer: Address
  session: SymbolSession
  cancelTimer: () => void
  /** True once the peer sent any symbols-response in this session. */
  answered: boolean
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
  /** Re-requests after no progress (loss). */
  retries: number
  /** Sessions ended because retries ran out. */
  gaveUp: number
  /** Responder snapshots the sketch's journal no longer reached (served from the current sketch instead). */
  snapshotsLost: number
  /** Idle checks not started because the peer's host ignored a whole session recently (silent-hosts.ts). */
  silentSkipped: number
}

export function newCatchUpCounters(): CatchUpCounters {
  return { idleChecks: 0, inSync: 0, sessions: 0, decoded: 0, failed: 0, fetched: 0, pushed: 0, retries: 0, gaveUp: 0, snapshotsLost: 0, silentSkipped: 0 }
}

/** Starts an idle check with the walked peer when the policy says so. */
export function maybeIdleCheck(ctx: NodeContext, overlay: OverlayState, peer: Address, peerGlobalTime: number, counters: CatchUpCounters): void {
  const sketch = overlay.sketch
  if (sketch === undefined || overlay.catchUp !== undefined || peerGlobalTime > overlay.clock.time) return
  const key = addressKey(peer)
  const now = ctx.clock.now()
  const last = overlay.idleChecked.get(key)
  if (last !== undefined && now - last < IDLE_CHECK_INTERVAL_MS) return
  if (overlay.silentHosts.isSilent(peer.host, now)) {
    counters.silentSkipped++
    return
  }
  overlay.idleChecked.delete(key)
  overlay.idleChecked.set(key, now)
  if (overlay.idleChecked.size > 256) overlay.idleChecked.delete(overlay.idleChecked.keys().next().value as string)
  // The previous session's buffers are reused (no 0.7 MB allocation per idle check).
  const session = new SymbolSession(sketch, {
    firstWindow: firstWindow(ctx.sync.datagramBudget),
    maxPerRequest: symbolsPerRequest(ctx.sync.datagramBudget, ctx.sync.responseBudget, ctx.limits.maxSymbolsPerRequest),
    maxIdsPerRequest: Math.min(ctx.limits.maxIdsPerRequest, FETCH_IDS_PER_REQUEST),
    maxIdsPerRound: MAX_IDS_PER_ROUND,
    ...(overlay.lastSession === undefined ? {} : { reuse: overlay.lastSession })
  })
  overlay.lastSession = session
  const state: CatchUpSession = { peerKey: key, peer, session, cancelTimer: () => {}, answered: false }
  overlay.catchUp = state
  counters.idleChecks++
  armTimer(ctx, overlay, state, counters)
  void act(ctx, overlay, state, session.start(), counters)
}

/** symbols-response: feed the session, act on what it says. */
export async function onSymbolsResponse(ctx: NodeContext, from: Address, overlay: OverlayState, res: SymbolsResponse, counters: CatchUpCounters): Promise<void> {
  const state = overlay.catchUp
  if (state === undefined || state.peerKey !== addressKey(from)) {
    ctx.counters.drop('unexpected-symbols')
    return
  }
  state.answered = true
  const wasFull = state.session.decoder.received > 0
  const step = state.session.onResponse(res.from, res.symbols, res.inSync === true)
  if (step.added !== undefined && step.added !== 'added' && step.added !== 'buffered') ctx.counters.drop(`symbols-${step.added}`)
  if (!wasFull && state.session.decoder.received > 0 && step.end !== 'in-sync') counters.sessions++
  if (step.added === 'added') armTimer(ctx, overlay, state, counters)
  await act(ctx, overlay, state, step, counters)
}

/** Sends what a session step says; ends the session when the step does. */
async function act(ctx: NodeContext, overlay: OverlayState, state: CatchUpSession, step: SessionStep, counters: CatchUpCounters): Promise<void> {
  for (const r of step.requests) {
    const packet: SymbolsRequest = { type: 'symbols-request', from: r.from, count: r.count }
    if (r.digest !== undefined) packet.digest = r.digest
    const fetch = r.fetch === undefined ? [] : await stillMissing(ctx, overlay, r.fetch)
    if (fetch.length > 0) {
      packet.fetch = fetch
      counters.fetched += fetch.length
    }
    ctx.send(state.peer, overlay.id, packet, 'destination')
  }
  for (const listed of step.fetch) {
    const ids = await stillMissing(ctx, overlay, listed)
    if (ids.length === 0) continue
    counters.fetched += ids.length
    ctx.send(state.peer, overlay.id, { type: 'bundle-request', ids }, 'destination')
  }
  if (step.end === null) return
  if (overlay.catchUp === state) endSession(overlay)
  switch (step.end) {
    case 'in-sync':
      counters.inSync++
      // Its barren rounds now say something: they count toward the skip curve.
      overlay.builder?.onVerifiedInSync(state.peerKey)
      break
    case 'decoded':
      counters.decoded++
      break
    case 'gave-up':
      counters.gaveUp++
      // Not one answer to the request and all its retries: not idle-checked again for a while.
      if (!state.answered) overlay.silentHosts.mark(state.peer.host, ctx.clock.now())
      break
    default:
      // exhausted, inconsistent, rejected: too many differences for the sketch (or a
      // misbehaving peer): the Bloom walk takes over, sweeping the whole history in modulo mode.
      counters.failed++
      overlay.builder?.startCatchUp()
  }
  if (step.push.length === 0 || ctx.store === undefined) return
  const push: Bundle[] = []
  for (const id of step.push) {
    const b = await ctx.store.get(overlay.id, id)
    if (b !== undefined) push.push(b)
  }
  counters.pushed += push.length
  for (const datagram of packDatagrams(push, ctx.sync.datagramBudget, ctx.limits.maxBundlesPerDatagram)) {
    if (!ctx.send(state.peer, overlay.id, { type: 'bundles', bundles: datagram }, 'destination')) break
  }
}

/**
 * The ids of `ids` we still lack: not stored and not being stored. The session decoded
 * against our sketch as it was; what arrived meanwhile (the walk's own answer, above all)
 * is not fetched again.
 */
async function stillMissing(ctx: NodeContext, overlay: OverlayState, ids: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const store = ctx.store
  if (store === undefined) return [...ids]
  const out: Uint8Array[] = []
  for (const id of ids) {
    if (overlay.intakeInFlight.has(hex(id)) || (await store.has(overlay.id, id))) continue
    out.push(id)
  }
  return out
}

/** (Re)arms the no-progress timer: on expiry, ask again for what is missing. */
function armTimer(ctx: NodeContext, overlay: OverlayState, state: CatchUpSession, counters: CatchUpCounters): void {
  state.cancelTimer()
  state.cancelTimer = ctx.clock.setTimeout(() => {
    if (overlay.catchUp !== state) return
    const step = state.session.retry()
    if (step.end === null) {
      counters.retries++
      armTimer(ctx, overlay, state, counters)
    }
    void act(ctx, overlay, state, step, counters)
  }, RETRY_MS)
}

/**
 * symbols-request: answer from the maintained sketch. With a digest equal to our symbol 0,
 * answer `inSync` alone. Otherwise send symbols [from, from + count) in as many datagrams as
 * they take (count ≤ maxSymbolsPerRequest, checked by the decoder; every datagram is charged
 * to the anti-amplification budget of an unvalidated requester). A request from index 0
 * opens a session: its symbols, and the later ones for the same requester, come from a
 * snapshot taken then, so bundles stored meanwhile do not make the requester's decoding
 * inconsistent. Bundles named in `fetch` are served as a bundle-request's would be.
 */
export async function onSymbolsRequest(ctx: NodeContext, from: Address, overlay: OverlayState, req: SymbolsRequest, counters: CatchUpCounters): Promise<void> {
  const sketch = overlay.sketch
  if (sketch === undefined) {
    ctx.counters.drop('tracker-ignores')
    return
  }
  if (overlay.candidates.get(addressKey(from)) === undefined) {
    ctx.counters.drop('unknown-source')
    return
  }
  // Our answer to this walker's offer leaves first, or the symbols would show it lacking what that answer carries.
  await overlay.answers.settled(addressKey(from))
  if (req.digest !== undefined && req.from === 0) {
    const s0 = sketch.symbols(0, 1)[0]!
    if (s0.hashXor === req.digest.hashXor && s0.count === req.digest.count) {
      ctx.send(from, overlay.id, { type: 'symbols-response', from: 0, symbols: [], inSync: true }, 'destination')
      return
    }
  }
  if (req.from >= sketch.length) ctx.counters.drop('bad-range')
  else {
    const at = snapshotFor(ctx, overlay, addressKey(from), req.from === 0, counters)
    const budget = ctx.sync.datagramBudget
    // One request gets at most the response budget's worth of symbols, like a Bloom answer.
    const symbols = sketch.symbols(req.from, Math.min(req.count, symbolsPerRequest(budget, ctx.sync.responseBudget, ctx.limits.maxSymbolsPerRequest)), at)
    for (let k = 0; k < symbols.length; ) {
      const rest = symbols.slice(k, k + ctx.limits.maxSymbolsPerDatagram)
      const n = fitSymbols(budget, req.from + k, rest)
      if (n === 0) break
      if (!ctx.send(from, overlay.id, { type: 'symbols-response', from: req.from + k, symbols: rest.slice(0, n) }, 'destination')) break
      k += n
    }
  }
  if (req.fetch !== undefined && req.fetch.length > 0 && ctx.role === 'peer') await serveBundles(ctx, from, overlay, req.fetch)
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

function endSession(overlay: OverlayState): void {
  overlay.catchUp?.cancelTimer()
  overlay.catchUp = undefined
}
