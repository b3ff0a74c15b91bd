/**
 * A tracker and N peers over real UDP on one host, each peer with its own LevelDB in a
 * temporary folder, every transport wrapped in a {@link CountingTransport}. The engine of
 * `bloomwalk demo`; usable on its own (tests, experiments).
 *
 * The peers walk every `stepIntervalMs` with the candidate clocks scaled to match
 * ({@link scaledNodeOptions}). Every peer is on 127.0.0.1, one /24, so the per-subnet caps
 * of stumble and intro candidates (a defence against one network flooding the table) are
 * lifted to the table size.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '../bundle/sign.js'
import { roomId } from '../bundle/room.js'
import type { Logger } from '../env/logger.js'
import { CryptoRng, SeededRng, type Rng } from '../env/rng.js'
import type { SyncConfig } from '../sync/config.js'
import type { Address } from '../wire/index.js'
import { CountingTransport } from './counting-transport.js'
import { scaledNodeOptions } from './pace.js'
import { addCounts } from './report.js'
import { startUdpNode, type UdpNode } from './udp-node.js'

/** Options of {@link startSwarm}. */
export interface SwarmInit {
  nodes: number
  stepIntervalMs: number
  /** Seeds every peer's randomness (keys, walk choices, salts); undefined = crypto randomness. */
  rng?: Rng
  sync?: Partial<SyncConfig>
  logger: Logger
  /** Room name (default "bloomwalk-demo"). */
  room?: string
  signal?: AbortSignal
}

/** A running swarm. */
export interface Swarm {
  overlay: Uint8Array
  tracker: UdpNode
  peers: UdpNode[]
  /** The counting decorators: tracker first, then the peers in order. */
  counters: CountingTransport[]
  /** The temporary folder holding the peers' LevelDBs (removed by `close`). */
  folder: string
  /** Stops everything and removes the folder. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts a tracker and `nodes` peers on 127.0.0.1 (ephemeral ports). On failure, whatever
 * started is stopped and the folder removed before the error propagates.
 */
export async function startSwarm(init: SwarmInit): Promise<Swarm> {
  const folder = await mkdtemp(join(tmpdir(), 'bloomwalk-demo-'))
  const overlay = roomId(init.room ?? 'bloomwalk-demo')
  const counters: CountingTransport[] = []
  const wrap = (t: Parameters<NonNullable<Parameters<typeof startUdpNode>[0]['wrap']>>[0]): CountingTransport => {
    const c = new CountingTransport(t)
    counters.push(c)
    return c
  }
  const started: UdpNode[] = []
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await Promise.allSettled(started.map((n) => n.close()))
      await rm(folder, { recursive: true, force: true, maxRetries: 3 })
    })()
    return closing
  }
  try {
    const tracker = await startUdpNode({ role: 'tracker', host: '127.0.0.1', port: 0, logger: init.logger.child('tracker'), wrap })
    started.push(tracker)
    const trackers: Address[] = [tracker.transport.address()]
    const options = scaledNodeOptions(init.stepIntervalMs, { sameHost: true })
    const peers: UdpNode[] = []
    for (let i = 0; i < init.nodes; i++) {
      if (init.signal?.aborted === true) throw init.signal.reason
      const rng = init.rng === undefined ? new CryptoRng() : new SeededRng(init.rng.u32())
      const peer = await startUdpNode({
        role: 'peer',
        host: '127.0.0.1',
        port: 0,
        dataDir: join(folder, `node-${i}`),
        overlays: [overlay],
        trackers,
        keys: generateKeyPair(rng),
        rng,
        logger: init.logger.child(`node-${i}`),
        wrap,
        node: { ...options, sync: init.sync }
      })
      started.push(peer)
      peers.push(peer)
    }
    return { overlay, tracker, peers, counters, folder, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** Drops of every node, bundle and transport, by reason (`bundle:` and `transport:` prefixed). */
export function swarmDrops(swarm: Swarm): Record<string, number> {
  const drops: Record<string, number> = {}
  for (const n of [swarm.tracker, ...swarm.peers]) {
    const s = n.node.stats()
    addCounts(drops, s.drops)
    addCounts(drops, s.bundleDrops, 'bundle:')
    addCounts(drops, n.transport.stats().drops, 'transport:')
  }
  return drops
}
