/**
 * Catch-up by rateless coded symbols (DESIGN §11, docs/reconcile.md §9): after a walk step to
 * a peer whose global time is not ahead of ours, an idle check sends our symbol 0's digest
 * and asks for a first window of symbols. A peer in sync answers `inSync`; otherwise it
 * answers with the window at once, and the session (src/reconcile/session.ts) sizes the
 * next requests from the estimated difference, fetches what we lack riding on them, and
 * pushes what the peer lacks at the end. A session that cannot decode within the sketch's
 * length falls back to the Bloom walk in modulo mode. One session per overlay at a time;
 * every step is bounded. A peer ahead of us is asked for what is newer first (./newer-fetch.ts).
 */
import { DEFAULT_SYMBOLS_PER_DIFFERENCE, ID_BYTES, SHORT_RECORD_BYTES, SymbolSession, shortPrefix, xorId, type SessionStep } from '../reconcile/index.js'
import type { Rng } from '../env/rng.js'
import { packDatagrams } from '../sync/pack.js'
import type { Bundle } from '../bundle/types.js'
import type { Logger } from '../env/logger.js'
import { addressKey, type Address, type Packet, type SymbolsRequest, type SymbolsResponse } from '../wire/index.js'
import { BoundedMap } from '../bounded-map.js'
import { hex } from '../bytes.js'
import type { OverlayWalk } from './overlay.js'
import { SilentHosts } from './silent-hosts.js'
import { SymbolResponder, type SymbolResponderComponents } from './symbol-responder.js'
import { checkDecoded, type PendingCheck } from './catch-up-check.js'
import { heldUnder } from './recently-stored.js'
import { NewerFetch } from './newer-fetch.js'
import {
  FETCH_IDS_PER_REQUEST,
  FETCH_SHORT_IDS_PER_REQUEST,
  FIRST_WINDOW_SHARE,
  IDLE_CHECK_INTERVAL_MS,
  MAX_IDS_PER_ROUND,
  RETRY_MS,
  SESSION_TIMEOUT_MS,
  SHORT_FIRST_WINDOW_SHARE,
  SHORT_SYMBOLS_PER_ROOT_DIFFERENCE,
  firstWindow,
  newCatchUpCounters,
  symbolsPerRequest,
  type CatchUpCounters,
  type CatchUpSettings
} from './catch-up-policy.js'

export type { CatchUpSettings }

export interface CatchUpSession {
  peerKey: string
  peer: Address
  session: SymbolSession
  cancelTimer: () => void
  /** True once the peer sent any symbols-response in this session. */
  answered: boolean
  /** Short ids of the peer's bundles the session decoded (a short-id session checks them once they arrived). */
  fetchedShort: Uint8Array[]
}

/** Peers whose last idle check is remembered per overlay (least recent dropped). */
const MAX_IDLE_CHECKED = 256

/** The catch-up state of one overlay: its session, what the next one reuses, and the bounded memories. */
class OverlayCatchUp {
  /** The last decoded short-id session, checked at the next walk step. */
  pendingCheck: PendingCheck | undefined
  /** The session in progress, if any (one per overlay). */
  session: CatchUpSession | undefined
  /** The last session: the next one reuses its decoder's buffers. */
  lastSession: SymbolSession | undefined
  /** When each peer was last idle-checked (bounded). */
  readonly idleChecked = new BoundedMap<string, number>(MAX_IDLE_CHECKED)
  /** Hosts that ignored a whole idle check, not idle-checked again for a while (bounded). */
  readonly silentHosts = new SilentHosts()
}

/** What catch-up uses of the node. */
export interface CatchUpComponents extends SymbolResponderComponents {
  readonly log: Logger
  /** Draws each short-id session's salt. */
  readonly rng: Rng
}

/**
 * The coded-symbol catch-up of one node: its sessions (one per overlay), their retry timers
 * and the steps in flight; the responder side is ./symbol-responder.ts. {@link CatchUp.stop} cancels every
 * timer, ends every session and waits for the steps in flight, which send nothing more.
 */
export class CatchUp {
  readonly counters: CatchUpCounters = newCatchUpCounters()
  readonly #c: CatchUpComponents
  readonly #overlays = new WeakMap<OverlayWalk, OverlayCatchUp>()
  /** Sessions in progress, in every overlay (their timers are what stop() cancels). */
  readonly #live = new Map<CatchUpSession, OverlayCatchUp>()
  readonly #inflight = new Set<Promise<void>>()
  readonly #perRequest: number
  readonly #firstWindow: { window: number; countsAlone: number }
  readonly #responder: SymbolResponder
  readonly #newer: NewerFetch
  readonly #symbolsPerDifference: number
  readonly #symbolsPerRootDifference: number | undefined
  readonly #shortIds: boolean
  #stopped = false

  constructor(components: CatchUpComponents, settings: CatchUpSettings = {}) {
    this.#c = components
    this.#symbolsPerDifference = settings.symbolsPerDifference ?? DEFAULT_SYMBOLS_PER_DIFFERENCE
    this.#shortIds = settings.shortIds ?? true
    this.#symbolsPerRootDifference = settings.symbolsPerRootDifference ?? (this.#shortIds ? SHORT_SYMBOLS_PER_ROOT_DIFFERENCE : undefined)
    const { datagramBudget, responseBudget } = components.sync
    const perRequest = symbolsPerRequest(datagramBudget, responseBudget, components.limits.maxSymbolsPerRequest)
    const perRequestShort = symbolsPerRequest(datagramBudget, responseBudget, components.limits.maxSymbolsPerRequest, SHORT_RECORD_BYTES)
    this.#perRequest = this.#shortIds ? perRequestShort : perRequest
    this.#firstWindow = firstWindow(datagramBudget, components.limits.maxCountsOnly, this.#shortIds, settings.firstWindowShare ?? (this.#shortIds ? SHORT_FIRST_WINDOW_SHARE : FIRST_WINDOW_SHARE))
    this.#responder = new SymbolResponder(components, { perRequest, perRequestShort, sessionTimeoutMs: SESSION_TIMEOUT_MS }, this.counters)
    this.#newer = new NewerFetch(components, this.counters, (to, overlay, packet) => this.#send(to, overlay, packet))
  }

  stats(): CatchUpCounters {
    return { ...this.counters }
  }

  /** The node (re)started. */
  start(): void {
    this.#stopped = false
  }

  /** Ends every session and cancels its timer; resolves once the steps in flight are done (they send nothing more). */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const [state, overlay] of this.#live) this.#end(overlay, state)
    await this.settled()
  }

  /** Resolves once the steps in flight (started by an idle check or a timer) are done. */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight])
  }

  /** The session in progress in an overlay (for inspection and tests). */
  session(overlay: OverlayWalk): CatchUpSession | undefined {
    return this.#overlays.get(overlay)?.session
  }

  #of(overlay: OverlayWalk): OverlayCatchUp {
    let found = this.#overlays.get(overlay)
    if (found === undefined) {
      found = new OverlayCatchUp()
      this.#overlays.set(overlay, found)
    }
    return found
  }

  /**
   * After a walk step: a peer whose global time is ahead of ours is asked for what it holds
   * above our newest bundle (newest first, {@link CatchUp.fetchNewer}); otherwise an idle check
   * starts when the policy says so.
   */
  maybeIdleCheck(overlay: OverlayWalk, peer: Address, peerGlobalTime: number): void {
    const sketch = this.#c.ledger(overlay)?.sketch
    if (this.#stopped || sketch === undefined) return
    const pending = this.#overlays.get(overlay)?.pendingCheck
    if (pending !== undefined) {
      this.#of(overlay).pendingCheck = undefined
      this.#track(this.#check(overlay, pending))
    }
    if (this.#fetchIfBehind(overlay, peer, peerGlobalTime)) return
    const own = this.#of(overlay)
    if (own.session !== undefined) return
    const counters = this.counters
    const key = addressKey(peer)
    const now = this.#c.clock.now()
    const last = own.idleChecked.get(key)
    if (last !== undefined && now - last < IDLE_CHECK_INTERVAL_MS) return
    if (own.silentHosts.isSilent(peer.host, now)) {
      counters.silentSkipped++
      return
    }
    own.idleChecked.set(key, now)
    // The previous session's buffers are reused (no 0.7 MB allocation per idle check).
    const session = new SymbolSession(sketch, {
      firstWindow: this.#firstWindow.window,
      countsAlone: this.#firstWindow.countsAlone,
      maxPerRequest: this.#perRequest,
      maxIdsPerRequest: this.#shortIds ? Math.min(this.#c.limits.maxPrefixesPerRequest, FETCH_SHORT_IDS_PER_REQUEST) : Math.min(this.#c.limits.maxIdsPerRequest, FETCH_IDS_PER_REQUEST),
      maxIdsPerRound: MAX_IDS_PER_ROUND,
      symbolsPerDifference: this.#symbolsPerDifference,
      ...(this.#symbolsPerRootDifference === undefined ? {} : { symbolsPerRootDifference: this.#symbolsPerRootDifference }),
      ...(own.lastSession === undefined ? {} : { reuse: own.lastSession }),
      ...(this.#shortIds ? { salt: this.#salt() } : {})
    })
    own.lastSession = session
    const state: CatchUpSession = { peerKey: key, peer, session, cancelTimer: () => {}, answered: false, fetchedShort: [] }
    own.session = state
    this.#live.set(state, own)
    counters.idleChecks++
    this.#armTimer(overlay, own, state)
    this.#track(this.#act(overlay, own, state, session.start()))
  }

  /** A session's salt: 64 bits of the node's rng, never 0. */
  #salt(): bigint {
    const rng = this.#c.rng
    const salt = (BigInt(rng.u32() >>> 0) << 32n) | BigInt(rng.u32() >>> 0)
    return salt === 0n ? 1n : salt
  }

  /**
   * A validated peer that walked to us, or introduced a walker to us, reports a global time
   * above ours: what it holds above our newest bundle is fetched as after our own walk
   * ({@link CatchUp.fetchNewer}); no idle check (the walker checks us on its side).
   */
  peerAhead(overlay: OverlayWalk, peer: Address, peerGlobalTime: number): void {
    if (this.#stopped || this.#c.ledger(overlay)?.sketch === undefined) return
    this.#fetchIfBehind(overlay, peer, peerGlobalTime)
  }

  /** Starts {@link CatchUp.fetchNewer} when `peer` reports a global time above ours; true when it did. */
  #fetchIfBehind(overlay: OverlayWalk, peer: Address, peerGlobalTime: number): boolean {
    if (!(peerGlobalTime > overlay.clock.time)) return false
    this.#track(this.fetchNewer(overlay, peer, peerGlobalTime))
    return true
  }

  /** Asks a peer ahead of us for what it holds above our newest bundle: ./newer-fetch.ts. */
  async fetchNewer(overlay: OverlayWalk, peer: Address, peerGlobalTime: number): Promise<void> {
    if (this.#stopped) return
    await this.#newer.fetch(overlay, peer, peerGlobalTime)
  }

  /** symbols-response: feed the session, act on what it says. */
  async onSymbolsResponse(from: Address, overlay: OverlayWalk, res: SymbolsResponse): Promise<void> {
    const own = this.#overlays.get(overlay)
    const state = own?.session
    if (own === undefined || state === undefined || state.peerKey !== addressKey(from)) {
      this.#c.counters.drop('unexpected-symbols')
      return
    }
    state.answered = true
    const wasFull = state.session.decoder.received > 0
    const extras = res.check === undefined ? { shortSymbols: res.shortSymbols ?? [] } : { shortSymbols: res.shortSymbols ?? [], check: res.check }
    const step = state.session.onResponse(res.from, res.symbols, res.inSync === true, res.countsOnly, extras)
    if (step.added !== undefined && step.added !== 'added' && step.added !== 'buffered') this.#c.counters.drop(`symbols-${step.added}`)
    if (!wasFull && state.session.decoder.received > 0 && step.end !== 'in-sync') this.counters.sessions++
    if (step.added === 'added') this.#armTimer(overlay, own, state)
    await this.#act(overlay, own, state, step)
  }

  /** A step started by a timer or an idle check: the node's stop() waits for it; a failure (a store that stopped serving) is logged, never thrown into the timer. */
  #track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.#c.log.warn('catch-up step failed', { error: err instanceof Error ? err.message : String(err) }))
    this.#inflight.add(tracked)
    void tracked.finally(() => this.#inflight.delete(tracked))
  }

  /** Sends unless the node stopped meanwhile. */
  #send(to: Address, overlay: OverlayWalk, packet: Packet): boolean {
    return !this.#stopped && this.#c.send(to, overlay.id, packet, 'destination')
  }

  /** Sends what a session step says; ends the session when the step does. */
  async #act(overlay: OverlayWalk, own: OverlayCatchUp, state: CatchUpSession, step: SessionStep): Promise<void> {
    const counters = this.counters
    const short = state.session.short
    for (const r of step.requests) {
      const packet: SymbolsRequest = { type: 'symbols-request', from: r.from, count: r.count }
      if (r.digest !== undefined) packet.digest = r.digest
      if (r.countsOnly !== undefined) packet.countsOnly = r.countsOnly
      if (r.salt !== undefined) packet.salt = r.salt
      if (r.shortIds === true) packet.shortIds = true
      if (short && r.fetch !== undefined) state.fetchedShort.push(...r.fetch)
      const fetch = r.fetch === undefined ? [] : await this.#stillMissing(overlay, r.fetch, short)
      if (fetch.length > 0) {
        if (short) packet.fetchPrefixes = fetch.map(shortPrefix)
        else packet.fetch = fetch
        counters.fetched += fetch.length
      }
      this.#send(state.peer, overlay, packet)
    }
    for (const listed of step.fetch) {
      if (short) state.fetchedShort.push(...listed)
      const ids = await this.#stillMissing(overlay, listed, short)
      if (ids.length === 0) continue
      counters.fetched += ids.length
      this.#send(state.peer, overlay, short ? { type: 'bundle-request', ids: [], shortPrefixes: ids.map(shortPrefix) } : { type: 'bundle-request', ids })
    }
    if (step.end === null) return
    if (own.session === state) this.#end(own, state)
    switch (step.end) {
      case 'in-sync':
        counters.inSync++
        // Its barren rounds now say something: they count toward the skip curve.
        this.#c.ledger(overlay)?.builder.onVerifiedInSync(state.peerKey)
        break
      case 'decoded':
        counters.decoded++
        break
      case 'collision':
        // Ids sharing a short id (ground on purpose): no coded symbol separates them; the Bloom walk's full ids do.
        counters.collisions++
        counters.failed++
        this.#c.ledger(overlay)?.builder.startCatchUp()
        break
      case 'gave-up':
        counters.gaveUp++
        // Not one answer to the request and all its retries: not idle-checked again for a while.
        if (!state.answered) own.silentHosts.mark(state.peer.host, this.#c.clock.now())
        break
      default:
        // exhausted, inconsistent, rejected: too many differences for the sketch (or a
        // misbehaving peer): the Bloom walk takes over, sweeping the whole history in modulo mode.
        counters.failed++
        this.#c.ledger(overlay)?.builder.startCatchUp()
    }
    const store = this.#c.store
    if (store === undefined) return
    const push: Bundle[] = []
    // A short id held twice (ids that collide) pushes both: the peer stores the one it lacks.
    let ambiguous = false
    for (const id of step.push) {
      if (short) {
        const held = await heldUnder(store, this.#c.ledger(overlay)?.recent, overlay.id, id)
        if (held.length > 1) ambiguous = true
        push.push(...held)
      } else {
        const b = await store.get(overlay.id, id)
        if (b !== undefined) push.push(b)
      }
    }
    if (short && step.end === 'decoded') {
      const difference = new Uint8Array(ID_BYTES)
      for (const b of push) xorId(difference, b.id)
      own.pendingCheck = { session: state.session, peer: state.peer, difference, theirs: state.fetchedShort, ambiguous }
    }
    // Not what the peer's time has pruned (DESIGN §14): back from a long absence we still hold,
    // and our sketch still lists, bundles the room has pruned; the peer would only refuse them.
    // (The check above is local: it counts them.)
    const keptAt = this.#c.ledger(overlay)?.keptAt(overlay.peerTime(state.peerKey)) ?? 0
    const sending = push.filter((b) => b.globalTime >= keptAt)
    if (sending.length === 0) return
    counters.pushed += sending.length
    for (const datagram of packDatagrams(sending, this.#c.sync.datagramBudget, this.#c.limits.maxBundlesPerDatagram)) {
      if (!this.#send(state.peer, overlay, { type: 'bundles', bundles: datagram })) break
    }
  }

  /**
   * The ids of `ids` we still lack: not stored and not being stored. The session decoded
   * against our sketch as it was; what arrived meanwhile (the walk's own answer, above all)
   * is not fetched again. `short`: they are short ids (held: a bundle with that item hash is stored).
   */
  async #stillMissing(overlay: OverlayWalk, ids: readonly Uint8Array[], short: boolean): Promise<Uint8Array[]> {
    const store = this.#c.store
    if (store === undefined) return [...ids]
    const out: Uint8Array[] = []
    const ledger = this.#c.ledger(overlay)
    for (const id of ids) {
      if (short ? ledger?.recent.holds(id) === true || (await store.byShortId(overlay.id, id)).length > 0 : ledger?.arriving.has(hex(id)) === true || (await store.has(overlay.id, id))) continue
      out.push(id)
    }
    return out
  }

  /** A decoded short-id session's check ({@link checkDecoded}), at the overlay's next walk step; a collision falls back to the Bloom walk. */
  async #check(overlay: OverlayWalk, pending: PendingCheck): Promise<void> {
    const store = this.#c.store
    if (this.#stopped || store === undefined) return
    const send = (packet: Packet): boolean => this.#send(pending.peer, overlay, packet)
    if ((await checkDecoded({ store, recent: this.#c.ledger(overlay)?.recent, limits: this.#c.limits, send }, overlay.id, pending, this.counters)) === 'collision') this.#c.ledger(overlay)?.builder.startCatchUp()
  }

  /** (Re)arms the no-progress timer: on expiry, ask again for what is missing. */
  #armTimer(overlay: OverlayWalk, own: OverlayCatchUp, state: CatchUpSession): void {
    state.cancelTimer()
    // A stopped node arms nothing, whatever step of a session is still finishing.
    if (this.#stopped || own.session !== state) return
    state.cancelTimer = this.#c.clock.setTimeout(() => {
      if (own.session !== state || this.#stopped) return
      const step = state.session.retry()
      if (step.end === null) {
        this.counters.retries++
        this.#armTimer(overlay, own, state)
      }
      this.#track(this.#act(overlay, own, state, step))
    }, RETRY_MS)
  }

  #end(own: OverlayCatchUp, state: CatchUpSession): void {
    state.cancelTimer()
    this.#live.delete(state)
    if (own.session === state) own.session = undefined
  }

  /** symbols-request: answered by the responder side ({@link SymbolResponder}). */
  onSymbolsRequest(from: Address, overlay: OverlayWalk, req: SymbolsRequest): Promise<void> {
    return this.#responder.answer(from, overlay, req)
  }
}
