/**
 * `GET /api/status`: what the status page shows, from one `stats()` snapshot. A peer's page
 * is about its room; a tracker's lists the rooms it serves (the most active first) and the
 * candidates of the first of them.
 */
import { categoryOf, lastSeen, type Lifetimes } from '../../candidates/index.js'
import type { BloomwalkNode } from '../../node/index.js'
import { addressKey, type Address } from '../../wire/index.js'
import { addCounts } from '../report.js'
import { version } from '../version.js'
import { TRAFFIC_SAMPLE_SECONDS, type TrafficHistory } from './traffic-history.js'

/** Candidates listed at most (the counts are complete). */
export const MAX_LISTED_CANDIDATES = 200
/** Rooms a tracker's page lists at most (the count is complete). */
export const MAX_LISTED_ROOMS = 100

/** What the status describes. */
export interface StatusSubject {
  node: BloomwalkNode
  role: 'peer' | 'tracker'
  address: Address
  advertised: Address
  /** A peer's room: its name and overlay id. */
  room?: { name: string; overlay: Uint8Array }
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16))
}

/** The status JSON at `now` (the node clock's ms) and `wallNow` (ms since 1970). */
export function statusJson(subject: StatusSubject, traffic: TrafficHistory, startedAt: number, now: number, wallNow: number, lifetimes: Lifetimes): unknown {
  const { node } = subject
  const s = node.stats()
  const overlays = [...s.overlays].sort((a, b) => Object.values(b.candidates).reduce((x, y) => x + y, 0) - Object.values(a.candidates).reduce((x, y) => x + y, 0))
  const room = subject.room === undefined ? undefined : s.overlays.find((o) => o.overlay === Buffer.from(subject.room!.overlay).toString('hex'))
  const listed = subject.room?.overlay ?? (overlays[0] === undefined ? undefined : hexBytes(overlays[0].overlay))
  const candidates = (listed === undefined ? [] : node.candidates(listed)).slice(0, MAX_LISTED_CANDIDATES).map((c) => {
    const seen = lastSeen(c)
    return { address: c.key, category: categoryOf(c, now, lifetimes) ?? 'none', connectionType: c.connectionType, ageSeconds: Number.isFinite(seen) ? Math.max(0, Math.round((now - seen) / 1000)) : null }
  })
  const drops: Record<string, number> = {}
  addCounts(drops, s.drops)
  addCounts(drops, s.bundleDrops, 'bundle:')
  return {
    version: version(),
    role: subject.role,
    room: subject.room?.name ?? null,
    overlay: room?.overlay ?? null,
    address: addressKey(subject.address),
    advertised: addressKey(subject.advertised),
    wan: addressKey(s.wan),
    connectionType: s.connectionType,
    uptimeSeconds: Math.round((wallNow - startedAt) / 1000),
    rooms: { count: s.overlays.length, listed: overlays.slice(0, MAX_LISTED_ROOMS).map((o) => ({ overlay: o.overlay, candidates: o.candidates, bundlesStored: o.bundlesStored, globalTime: o.globalTime })) },
    candidateCounts: (room ?? overlays[0])?.candidates ?? {},
    candidates,
    traffic: { sampleSeconds: TRAFFIC_SAMPLE_SECONDS, samples: traffic.samples() },
    drops,
    sync:
      room === undefined
        ? null
        : {
            bundlesStored: room.bundlesStored,
            globalTime: room.globalTime,
            waitingForParents: room.delivery?.waiting ?? 0,
            walks: s.walks,
            walkTimeouts: s.walkTimeouts,
            catchUp: s.catchUp,
            push: s.push
          }
  }
}
