/**
 * A tracker and N peers over real UDP on 127.0.0.1 (ephemeral ports), each peer with its own
 * LevelDB in one temporary folder and every transport wrapped in a
 * {@link CountingTransport}. The engine of `bloomwalk demo`. The peers are split into
 * groups, one per thread: the first group may run in this thread, the others in worker
 * threads (from the compiled build), so a swarm uses every core as separate processes
 * would. The tracker runs in this thread.
 *
 * Peers walk every `stepIntervalMs` with the walk eligibility delay scaled to match
 * ({@link scaledNodeOptions}). Every peer is on 127.0.0.1, one /24, so the per-subnet caps
 * of stumble and intro candidates (a defence against one network flooding the table) are
 * lifted to the table size.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { roomId } from '../bundle/room.js'
import type { Logger, LogLevel } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import type { SyncConfig } from '../sync/config.js'
import type { ErrorStream } from './command.js'
import { CountingTransport } from './counting-transport.js'
import { addGroupCounts, LocalGroup, type DeliveryListener, type GroupCounts, type PeerGroup, type PeerGroupInit } from './peer-group.js'
import { startWorkerGroup } from './peer-group-remote.js'
import { addCounts, bytesByType } from './report.js'
import { startUdpNode, type UdpNode } from './udp-node.js'

/** Options of {@link startSwarm}. */
export interface SwarmInit {
  nodes: number
  stepIntervalMs: number
  /** Seeds every peer's randomness (keys, walk choices, salts); undefined = crypto randomness. */
  rng?: Rng
  sync?: Partial<SyncConfig>
  /** The tracker's logger. */
  logger: Logger
  /** The peers' log level (default warn), written to `err`. */
  logLevel?: LogLevel
  err?: ErrorStream
  /** Groups of peers, one per thread (default 1, all in this thread). */
  threads?: number
  /** Run every group in a worker thread, none in this one (needs the compiled build). Default: only when threads > 1. */
  workers?: boolean
  /** Room name (default "bloomwalk-demo"). */
  room?: string
  signal?: AbortSignal
}

/** A running swarm. */
export interface Swarm {
  overlay: Uint8Array
  tracker: UdpNode
  groups: PeerGroup[]
  /** The temporary folder holding the peers' LevelDBs (removed by `close`). */
  folder: string
  /** Publishes `body` from peer `peer` (0-based). */
  publish(peer: number, body: Uint8Array): void
  /** Every delivery to every peer (set before publishing). */
  onDelivery: DeliveryListener
  /** The first failure reported by any group after start. */
  onError: (err: unknown) => void
  /** Traffic of the tracker and every peer so far. */
  counts(): Promise<GroupCounts>
  /** Stops everything and removes the folder. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts the tracker and the peers. On failure, whatever started is stopped and the folder
 * removed before the error propagates.
 */
export async function startSwarm(init: SwarmInit): Promise<Swarm> {
  const folder = await mkdtemp(join(tmpdir(), 'bloomwalk-demo-'))
  const overlay = roomId(init.room ?? 'bloomwalk-demo')
  const groups: PeerGroup[] = []
  let tracker: UdpNode | undefined
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await Promise.allSettled(groups.map((g) => g.close()))
      await tracker?.close()
      await rm(folder, { recursive: true, force: true, maxRetries: 3 })
    })()
    return closing
  }
  try {
    const trackerCounter: { c?: CountingTransport } = {}
    tracker = await startUdpNode({ role: 'tracker', host: '127.0.0.1', port: 0, logger: init.logger.child('tracker'), wrap: (t) => (trackerCounter.c = new CountingTransport(t)) })
    const seeds = Array.from({ length: init.nodes }, () => (init.rng === undefined ? null : init.rng.u32()))
    const threads = Math.max(1, Math.min(init.threads ?? 1, init.nodes))
    const workers = init.workers ?? threads > 1
    for (let g = 0; g < threads; g++) {
      if (init.signal?.aborted === true) throw init.signal.reason
      const first = Math.floor((g * init.nodes) / threads)
      const end = Math.floor(((g + 1) * init.nodes) / threads)
      const groupInit: PeerGroupInit = {
        first,
        seeds: seeds.slice(first, end),
        trackers: [tracker.transport.address()],
        overlay,
        folder,
        stepIntervalMs: init.stepIntervalMs,
        sync: init.sync,
        logLevel: init.logLevel ?? 'warn'
      }
      // Groups start one after another: a failure stops at the first, and start-up I/O does not pile up.
      groups.push(g === 0 && !workers ? await LocalGroup.start(groupInit, init.err) : await startWorkerGroup(groupInit))
    }
    const t = tracker
    const swarm: Swarm = {
      overlay,
      tracker: t,
      groups,
      folder,
      publish(peer, body) {
        const group = groups.find((g) => peer >= g.first && peer < g.first + g.size)
        if (group === undefined) throw new RangeError(`no peer ${peer}`)
        group.publish(peer, body)
      },
      onDelivery: () => {},
      onError: () => {},
      async counts() {
        const c = trackerCounter.c!
        const s = t.node.stats()
        let total: GroupCounts = { ...c.counts(), drops: {}, sentBytes: bytesByType(s.out) }
        addCounts(total.drops, s.drops)
        addCounts(total.drops, t.transport.stats().drops, 'transport:')
        for (const gc of await Promise.all(groups.map((g) => g.counts()))) total = addGroupCounts(total, gc)
        return total
      },
      close
    }
    for (const g of groups) {
      g.onDelivery = (peer, id, network) => swarm.onDelivery(peer, id, network)
      g.onError = (err) => swarm.onError(err)
    }
    return swarm
  } catch (err) {
    await close()
    throw err
  }
}
