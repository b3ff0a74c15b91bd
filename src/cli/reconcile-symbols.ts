/**
 * Catch-up by coded symbols alone, two parties (reconcile-bench): A runs one session against
 * B as the node's catch-up policy does (src/node/catch-up.ts, handlers/bundle-request.ts,
 * handlers/bundles.ts), with the node's constants:
 *
 *   A: Decoder over its sketch → symbols-request {0, IDLE_SYMBOLS} (the idle check)
 *   B: sketch.symbolsWithin(from, count, budget) → symbols-response
 *   A: addSymbols, decode (≤ MAX_IDS_PER_ROUND ids per call); bundle-requests of
 *      ≤ maxIdsPerRequest ids for what it lacks; pushes what B lacks; unless done, the next
 *      request of symbolsPerDatagram(budget) symbols
 *   B: answers bundle-requests from its store within the response budget
 *
 * Both sides store what arrives and add it to their sketch. Not counted: the walk step
 * after which the node starts the idle check (it is sent with or without catch-up).
 *
 * `policy` `node` does exactly what catch-up.ts does today; `fixed` (the default) differs in
 * three places, each a defect of today's policy that this bench found:
 *
 * 1. Pushes wait for the session's end (they leave with the last bundle-requests: no extra
 *    round trip). Pushed after every round, they enter B's sketch while the session runs, so
 *    B's later symbols hold ids the decoder peeled from earlier ones, and the session ends
 *    `inconsistent`.
 * 2. While `decode()` says `more`, it is called again before asking for more symbols; the
 *    node asks for a datagram of symbols it does not need, costing a round trip each time.
 * 3. Ids that B's answer left out (a bundle-request answer stops at the response budget:
 *    27 bundles of 196 B for up to 32 ids asked) are asked for again; the node never does.
 */
import { IDLE_SYMBOLS, MAX_IDS_PER_ROUND } from '../node/catch-up.js'
import { Decoder, symbolsPerDatagram, type DecodeFailure } from '../reconcile/index.js'
import type { Bundle } from '../bundle/types.js'
import { packDatagrams } from '../sync/pack.js'
import type { Packet } from '../wire/index.js'
import type { Link, Side } from './reconcile-link.js'

/** Today's node policy, or the policy with the three fixes in the module comment. */
export type CatchUpPolicy = 'fixed' | 'node'

export const CATCH_UP_POLICIES: readonly CatchUpPolicy[] = ['fixed', 'node']

/** What a coded-symbol session did. */
export interface SymbolsOutcome {
  /** How the session ended. */
  end: 'in-sync' | 'decoded' | DecodeFailure | 'no-request' | 'rejected' | 'unfinished'
  /** Symbols consumed by the decoder. */
  symbols: number
  symbolsRequests: number
  bundleRequests: number
  /** Ids decoded: A lacks / B lacks. */
  weLack: number
  theyLack: number
  /** Ids A asked for that never arrived (B's answers stop at the response budget). */
  notServed: number
  /** Bundle-requests repeated for ids B's answer left out (policy `fixed`). */
  reRequests: number
  /** `decode()` calls that stopped at MAX_IDS_PER_ROUND with pure symbols left (`more`). */
  capped: number
}

/** One catch-up session of A against B, run until no datagram is in flight. */
export async function codedSymbols(link: Link, policy: CatchUpPolicy = 'fixed'): Promise<SymbolsOutcome> {
  const { a, b, overlay, sync, limits } = link
  if (a.sketch === undefined || b.sketch === undefined) throw new Error('coded symbols: both sides need a sketch')
  const decoder = new Decoder(a.sketch, { maxIdsPerRound: MAX_IDS_PER_ROUND })
  const out: SymbolsOutcome = { end: 'unfinished', symbols: 0, symbolsRequests: 0, bundleRequests: 0, weLack: 0, theyLack: 0, notServed: 0, reRequests: 0, capped: 0 }
  let open = true
  let full = false
  /** Ids asked for that have not arrived, by hex. */
  const requested = new Map<string, Uint8Array>()
  const deferred: Uint8Array[] = []

  const request = (count: number): boolean => {
    const next = decoder.nextRequest(count)
    if (next === null) return false
    out.symbolsRequests++
    link.send(a, { type: 'symbols-request', from: next.from, count: next.count })
    return true
  }
  const fetch = (ids: readonly Uint8Array[]): void => {
    const max = limits.maxIdsPerRequest
    for (let i = 0; i < ids.length; i += max) {
      out.bundleRequests++
      link.send(a, { type: 'bundle-request', ids: ids.slice(i, i + max) })
    }
    for (const id of ids) requested.set(hexOf(id), id)
  }
  const push = async (ids: readonly Uint8Array[]): Promise<void> => {
    const bundles: Bundle[] = []
    for (const id of ids) {
      const found = await a.store.get(overlay, id)
      if (found !== undefined) bundles.push(found)
    }
    for (const datagram of packDatagrams(bundles, sync.datagramBudget, limits.maxBundlesPerDatagram)) link.send(a, { type: 'bundles', bundles: datagram })
  }
  const end = async (how: SymbolsOutcome['end']): Promise<void> => {
    open = false
    out.end = how
    await push(deferred.splice(0))
  }

  const onSymbols = async (from: number, symbols: Parameters<Decoder['addSymbols']>[1]): Promise<void> => {
    if (!open) return
    const added = decoder.addSymbols(from, symbols)
    if (added !== 'added') {
      if (added === 'failed' || added === 'beyond-limit') await end('rejected')
      return
    }
    const weLack: Uint8Array[] = []
    const theyLack: Uint8Array[] = []
    let result = decoder.decode()
    for (;;) {
      weLack.push(...result.weLack)
      theyLack.push(...result.theyLack)
      if (result.more) out.capped++
      if (!(result.more && policy === 'fixed')) break
      result = decoder.decode()
    }
    if (!full && !(result.done && weLack.length + theyLack.length === 0)) full = true
    out.weLack += weLack.length
    out.theyLack += theyLack.length
    fetch(weLack)
    if (policy === 'node') await push(theyLack)
    else deferred.push(...theyLack)
    if (result.failure !== null) return end(result.failure)
    if (result.done && !result.more) return end(full ? 'decoded' : 'in-sync')
    if (!request(symbolsPerDatagram(sync.datagramBudget))) await end('no-request')
  }

  const handle = async (to: Side, _from: Side, packet: Packet): Promise<void> => {
    switch (packet.type) {
      case 'symbols-request': {
        if (packet.from >= b.sketch!.length) return
        const symbols = b.sketch!.symbolsWithin(packet.from, Math.min(packet.count, limits.maxSymbolsPerDatagram), sync.datagramBudget)
        link.send(b, { type: 'symbols-response', from: packet.from, symbols })
        return
      }
      case 'symbols-response':
        return onSymbols(packet.from, packet.symbols)
      case 'bundle-request': {
        // handlers/bundle-request.ts: ids held, until the response budget is reached.
        const found: Bundle[] = []
        let bytes = 0
        for (const id of packet.ids) {
          const bundle = await b.store.get(overlay, id)
          if (bundle === undefined) continue
          found.push(bundle)
          bytes += bundle.bytes.length
          if (bytes >= sync.responseBudget) break
        }
        for (const datagram of packDatagrams(found, sync.datagramBudget, limits.maxBundlesPerDatagram)) link.send(b, { type: 'bundles', bundles: datagram })
        return
      }
      case 'bundles': {
        const fresh = await link.accept(to, packet.bundles)
        if (to === a) for (const bundle of fresh) requested.delete(hexOf(bundle.id))
        return
      }
      default:
        throw new Error(`coded symbols: unexpected ${packet.type}`)
    }
  }

  await link.work(a, () => request(IDLE_SYMBOLS))
  await link.drain(handle)
  // Policy `fixed`: ask again for what did not come, while answers bring something.
  while (policy === 'fixed' && requested.size > 0) {
    const before = requested.size
    out.reRequests++
    await link.work(a, () => fetch([...requested.values()]))
    await link.drain(handle)
    if (requested.size === before) break
  }
  out.symbols = decoder.received
  out.notServed = requested.size
  return out
}

function hexOf(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')
}
