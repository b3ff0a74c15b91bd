/**
 * Answering a sync offer (responder side, DESIGN §5), after Dispersy's
 * `_get_packets_for_bloomfilters`: bundles with time_low ≤ gt ≤ time_high and
 * (gt + offset) % modulo == 0, highest priority first, each kind in its direction,
 * skipping what the filter holds, until the response budget is spent. The rows read per
 * offer are capped, so one datagram causes bounded work.
 */
import type { BloomFilter } from '../bloom/index.js'
import type { Bundle } from '../bundle/types.js'
import { type Rng, intBetween } from '../env/rng.js'
import { type Direction, type SyncConfig, kindPolicy } from './config.js'
import type { SyncStoreView } from './select.js'

/** A decoded offer as received from a peer (the filter already validated). */
export interface ReceivedOffer {
  timeLow: number
  /** 0 = up to the responder's global time. */
  timeHigh: number
  modulo: number
  offset: number
  bloom: Pick<BloomFilter, 'has'>
}

export interface AnswerContext {
  store: SyncStoreView
  overlay: Uint8Array
  /** The responder's global time (for time_high = 0 and expiry). */
  globalTime: number
  rng: Rng
  /** Lowest global time the room still offers and answers (its policy's inactive threshold, DESIGN §14). Default 1. */
  activeFrom?: number
}

export interface Answer {
  /** The bundles to send, in answer order. */
  bundles: Bundle[]
  /** Sum of their encoded sizes. */
  bytes: number
  /** Store rows read (≤ config.maxRowsPerOffer). */
  rowsRead: number
  /** Rows skipped because the filter holds them. */
  filtered: number
}

interface KindGroup {
  priority: number
  direction: Direction
  /** Kinds in this group; `null` = every kind without its own policy. */
  kinds: Set<number> | null
}

/** Groups kinds by (priority, direction), highest priority first; unsynced kinds left out. */
export function kindGroups(config: SyncConfig): KindGroup[] {
  const groups = new Map<string, KindGroup>()
  const add = (kind: number | null, priority: number, direction: Direction) => {
    if (priority <= config.syncThreshold) return
    const key = kind === null ? `default` : `${priority}/${direction}`
    const g = groups.get(key) ?? { priority, direction, kinds: kind === null ? null : new Set<number>() }
    if (kind !== null) g.kinds!.add(kind)
    groups.set(key, g)
  }
  for (const [kind, p] of config.kinds) add(kind, p.priority, p.direction)
  add(null, config.defaultKind.priority, config.defaultKind.direction)
  return [...groups.values()].sort((a, b) => b.priority - a.priority)
}

/** Selects the bundles that answer `offer`, within the response budget and the row cap. */
export async function answerOffer(offer: ReceivedOffer, ctx: AnswerContext, config: SyncConfig): Promise<Answer> {
  const answer: Answer = { bundles: [], bytes: 0, rowsRead: 0, filtered: 0 }
  const low = Math.max(1, offer.timeLow, ctx.activeFrom ?? 1)
  const high = offer.timeHigh === 0 ? ctx.globalTime : Math.min(offer.timeHigh, Number.MAX_SAFE_INTEGER)
  if (low > high || !(offer.modulo >= 1) || offer.offset >= offer.modulo) return answer
  const groups = kindGroups(config)
  for (const group of groups) {
    const belongs = (kind: number) => (group.kinds === null ? !config.kinds.has(kind) : group.kinds.has(kind))
    for (const [from, to, order] of scanPlan(group.direction, low, high, ctx.rng)) {
      const done = await scan(offer, ctx, config, answer, belongs, from, to, order)
      if (done) return answer
    }
  }
  return answer
}

/** Ranges to scan for one direction; `random` starts at a uniform global time and wraps. */
function scanPlan(direction: Direction, low: number, high: number, rng: Rng): [number, number, 'asc' | 'desc'][] {
  if (direction === 'ascending') return [[low, high, 'asc']]
  if (direction === 'descending') return [[low, high, 'desc']]
  const start = high - low < 2 ** 32 ? intBetween(rng, low, high) : low
  return start === low ? [[low, high, 'asc']] : [[start, high, 'asc'], [low, start - 1, 'asc']]
}

/** Scans one range into the answer; true when the answer is complete (budget or row cap). */
async function scan(
  offer: ReceivedOffer,
  ctx: AnswerContext,
  config: SyncConfig,
  answer: Answer,
  belongs: (kind: number) => boolean,
  from: number,
  to: number,
  order: 'asc' | 'desc'
): Promise<boolean> {
  const left = config.maxRowsPerOffer - answer.rowsRead
  if (left <= 0) return true
  const query = { overlay: ctx.overlay, from, to, order, modulo: offer.modulo, offset: offer.offset, maxRows: left }
  for await (const b of ctx.store.range(query)) {
    answer.rowsRead++
    if (belongs(b.kind) && kindPolicy(config, b.kind).priority > config.syncThreshold && (b.expiresAt === undefined || b.expiresAt >= ctx.globalTime)) {
      if (offer.bloom.has(b.id)) {
        answer.filtered++
      } else {
        answer.bundles.push(b)
        answer.bytes += b.bytes.length
        if (answer.bytes >= config.responseBudget) return true
      }
    }
    if (answer.rowsRead >= config.maxRowsPerOffer) return true
  }
  return false
}
