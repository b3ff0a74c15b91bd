/**
 * Catch-up by coded symbols alone, two parties (reconcile-bench): A runs one session against
 * B with the node's policy and constants — the same `SymbolSession` (src/reconcile/session.ts)
 * that src/node/catch-up.ts drives — and B answers as the node's handlers do:
 *
 *   A: session.start() → symbols-request {0, first window, digest of A's symbol 0}
 *   B: digest equal → symbols-response {inSync}; else symbols [from, from + count) of its
 *      sketch in as many datagrams as they take (fitSymbols), and the bundles named in `fetch`
 *   A: session.onResponse → further symbols-requests sized from the estimated difference
 *      (ids A lacks riding on them), and at the end bundle-requests for the rest and pushes
 *      of what B lacks
 *   B: answers bundle-requests from its store within four response budgets
 *
 * Both sides store what arrives and add it to their sketch; B serves the session from a
 * snapshot (its sketch's version at the first request), as the node does. Not counted: the
 * walk step after which the node starts the idle check (it is sent with or without catch-up).
 * The network loses nothing here, so the retry path is not exercised (test/node covers it).
 */
import { FETCH_IDS_PER_REQUEST, MAX_IDS_PER_ROUND, firstWindow, symbolsPerRequest } from '../node/catch-up.js'
import { BUNDLE_REQUEST_BUDGET_FACTOR, newerBundles } from '../node/handlers/bundle-request.js'
import { DEFAULT_SYMBOLS_PER_DIFFERENCE, SymbolSession, newerSlices, fitSymbols, type SessionEnd, type SessionStep } from '../reconcile/index.js'
import type { Bundle } from '../bundle/types.js'
import { packDatagrams } from '../sync/pack.js'
import type { Packet, SymbolsRequest } from '../wire/index.js'
import type { Link, Side } from './reconcile-link.js'
import { hex } from '../bytes.js'

/** The node's policy (the only one since the node and the bench share `SymbolSession`). */
export type CatchUpPolicy = 'node'

export const CATCH_UP_POLICIES: readonly CatchUpPolicy[] = ['node']

/** What a coded-symbol session did. */
export interface SymbolsOutcome {
  /** How the session ended. */
  end: SessionEnd | 'unfinished'
  /** Symbols consumed by the decoder. */
  symbols: number
  /** Symbols asked for (the last requests may bring more than decoding needed). */
  requested: number
  symbolsRequests: number
  /** Of the bundle-requests, those asking for what is newer than A's newest (newest first). */
  newerFetches: number
  /** Bundles those brought (differences found without naming them). */
  newerFetched: number
  bundleRequests: number
  /** Ids decoded: A lacks / B lacks. */
  weLack: number
  theyLack: number
  /** Ids A asked for that never arrived. */
  notServed: number
  /** Bundle-requests repeated for ids B's answer left out (none expected: fetches are ≤ 16 ids). */
  reRequests: number
  /** The estimate of d after the first window. */
  firstEstimate: number | null
}

/** One catch-up session of A against B, run until no datagram is in flight. */
export async function codedSymbols(link: Link, symbolsPerDifference = DEFAULT_SYMBOLS_PER_DIFFERENCE): Promise<SymbolsOutcome> {
  const { a, b, overlay, sync, limits } = link
  const perRequest = symbolsPerRequest(sync.datagramBudget, sync.responseBudget, limits.maxSymbolsPerRequest)
  if (a.sketch === undefined || b.sketch === undefined) throw new Error('coded symbols: both sides need a sketch')
  const sketchA = a.sketch
  // Made once the newest-first fetch is done: the session decodes against A's sketch as it is then.
  let session: SymbolSession | undefined
  const out: SymbolsOutcome = { end: 'unfinished', symbols: 0, requested: 0, symbolsRequests: 0, bundleRequests: 0, newerFetches: 0, newerFetched: 0, weLack: 0, theyLack: 0, notServed: 0, reRequests: 0, firstEstimate: null }
  /** Ids asked for that have not arrived, by hex. */
  const requested = new Map<string, Uint8Array>()
  /** B's snapshot of its sketch for this session. */
  let snapshot: number | undefined

  const fetchIds = (ids: readonly Uint8Array[]): void => {
    for (const id of ids) requested.set(hex(id), id)
    out.weLack += ids.length
  }
  const act = async (step: SessionStep): Promise<void> => {
    for (const r of step.requests) {
      const packet: SymbolsRequest = { type: 'symbols-request', from: r.from, count: r.count }
      if (r.digest !== undefined) packet.digest = r.digest
      if (r.fetch !== undefined) {
        packet.fetch = r.fetch
        fetchIds(r.fetch)
      }
      out.symbolsRequests++
      link.send(a, packet)
    }
    for (const ids of step.fetch) {
      fetchIds(ids)
      out.bundleRequests++
      link.send(a, { type: 'bundle-request', ids })
    }
    if (step.end === null) return
    out.end = step.end
    out.theyLack += step.push.length
    const bundles: Bundle[] = []
    for (const id of step.push) {
      const found = await a.store.get(overlay, id)
      if (found !== undefined) bundles.push(found)
    }
    for (const datagram of packDatagrams(bundles, sync.datagramBudget, limits.maxBundlesPerDatagram)) link.send(a, { type: 'bundles', bundles: datagram })
  }
  const serve = async (ids: readonly Uint8Array[], newerThan?: number, upTo?: number): Promise<void> => {
    // handlers/bundle-request.ts serveBundles: ids held, within four response budgets, then what is newer.
    const budget = BUNDLE_REQUEST_BUDGET_FACTOR * sync.responseBudget
    const found: Bundle[] = []
    let bytes = 0
    for (const id of ids) {
      if (bytes >= budget) break
      const bundle = await b.store.get(overlay, id)
      if (bundle === undefined) continue
      found.push(bundle)
      bytes += bundle.bytes.length
    }
    if (newerThan !== undefined && bytes < budget) {
      const globalTime = await b.store.maxGlobalTime(overlay)
      found.push(...(await newerBundles({ store: b.store, overlay, sync, globalTime, activeFrom: 1 }, newerThan, budget - bytes, upTo)))
    }
    for (const datagram of packDatagrams(found, sync.datagramBudget, limits.maxBundlesPerDatagram)) link.send(b, { type: 'bundles', bundles: datagram })
  }

  const handle = async (to: Side, _from: Side, packet: Packet): Promise<void> => {
    switch (packet.type) {
      case 'symbols-request': {
        // catch-up.ts onSymbolsRequest.
        const sketch = b.sketch!
        if (packet.digest !== undefined && packet.from === 0) {
          const s0 = sketch.symbols(0, 1)[0]!
          if (s0.hashXor === packet.digest.hashXor && s0.count === packet.digest.count) {
            link.send(b, { type: 'symbols-response', from: 0, symbols: [], inSync: true })
            return
          }
        }
        if (packet.from < sketch.length) {
          if (packet.from === 0) snapshot = sketch.version
          const at = snapshot !== undefined && sketch.reaches(snapshot) ? snapshot : undefined
          const symbols = sketch.symbols(packet.from, Math.min(packet.count, perRequest), at)
          for (let k = 0; k < symbols.length; ) {
            const rest = symbols.slice(k, k + limits.maxSymbolsPerDatagram)
            const n = fitSymbols(sync.datagramBudget, packet.from + k, rest)
            if (n === 0) break
            link.send(b, { type: 'symbols-response', from: packet.from + k, symbols: rest.slice(0, n) })
            k += n
          }
        }
        if (packet.fetch !== undefined) await serve(packet.fetch)
        return
      }
      case 'symbols-response': {
        if (session === undefined) throw new Error('coded symbols: a symbols-response before the session')
        const before = session.decoder.received
        const step = session.onResponse(packet.from, packet.symbols, packet.inSync === true)
        if (before === 0 && session.decoder.received > 0) out.firstEstimate = Math.round(session.decoder.estimate())
        return act(step)
      }
      case 'bundle-request':
        return serve(packet.ids, packet.newerThan, packet.upTo)
      case 'bundles': {
        const fresh = await link.accept(to, packet.bundles)
        if (to === a) for (const bundle of fresh) requested.delete(hex(bundle.id))
        return
      }
      default:
        throw new Error(`coded symbols: unexpected ${packet.type}`)
    }
  }

  // Newest first (catch-up.ts fetchNewer): while B is ahead of A's newest bundle, ask for what
  // it holds above it (the node does so after each walk step to a peer that is ahead).
  for (let aNewest = await a.store.maxGlobalTime(overlay); (await b.store.maxGlobalTime(overlay)) > aNewest; ) {
    const slices = newerSlices(aNewest, await b.store.maxGlobalTime(overlay), await a.store.count(overlay))
    out.newerFetches += slices.length
    out.bundleRequests += slices.length
    await link.work(a, () => {
      for (const slice of slices) link.send(a, { type: 'bundle-request', ids: [], ...slice })
    })
    await link.drain(handle)
    const now = await a.store.maxGlobalTime(overlay)
    if (now <= aNewest) break
    aNewest = now
  }
  out.newerFetched = a.fresh
  session = new SymbolSession(sketchA, {
    firstWindow: firstWindow(sync.datagramBudget),
    maxPerRequest: perRequest,
    maxIdsPerRequest: Math.min(limits.maxIdsPerRequest, FETCH_IDS_PER_REQUEST),
    maxIdsPerRound: MAX_IDS_PER_ROUND,
    symbolsPerDifference
  })
  const started = session
  await link.work(a, () => act(started.start()))
  await link.drain(handle)
  // Ask again for what did not come, while answers bring something.
  while (requested.size > 0) {
    const before = requested.size
    out.reRequests++
    const ids = [...requested.values()]
    await link.work(a, () => {
      for (let i = 0; i < ids.length; i += FETCH_IDS_PER_REQUEST) {
        out.bundleRequests++
        link.send(a, { type: 'bundle-request', ids: ids.slice(i, i + FETCH_IDS_PER_REQUEST) })
      }
    })
    await link.drain(handle)
    if (requested.size === before) break
  }
  out.symbols = session.decoder.received
  out.requested = session.requested
  out.notServed = requested.size
  return out
}
