/**
 * A group of demo peers in one thread: each a full node over UDP on 127.0.0.1 with its own
 * LevelDB and a {@link CountingTransport}. The demo runs one group per thread (see
 * ./peer-group-remote.ts for a group in a worker thread) so peers use every core, as
 * separate processes would.
 */
import { join } from 'node:path'
import { generateKeyPair } from '../bundle/sign.js'
import type { LogLevel } from '../env/logger.js'
import { CryptoRng } from '../env/crypto-rng.js'
import { SeededRng } from '../env/rng.js'
import type { SyncConfig } from '../sync/config.js'
import type { Address } from '../wire/index.js'
import { commandLogger, type ErrorStream } from './command.js'
import { CountingTransport } from './counting-transport.js'
import { scaledNodeOptions } from './pace.js'
import { addCounts, bytesByType, shortHex } from './report.js'
import { startUdpNode, type UdpNode } from './udp-node.js'

/** Everything a group is started from; structured-clonable, so it can cross to a worker. */
export interface PeerGroupInit {
  /** Index of the group's first peer in the whole swarm (names, folders, reports). */
  first: number
  /** One seed per peer (keys, walk choices); `null` entries use crypto randomness. */
  seeds: (number | null)[]
  trackers: Address[]
  overlay: Uint8Array
  /** The swarm's temporary folder; peer i keeps its LevelDB in `<folder>/node-<i>`. */
  folder: string
  stepIntervalMs: number
  sync?: Partial<SyncConfig>
  logLevel: LogLevel
}

/** Traffic of a group so far. */
export interface GroupCounts {
  datagrams: number
  bytes: number
  maxDatagramBytes: number
  /** Dropped datagrams and bundles by reason (`bundle:` and `transport:` prefixed). */
  drops: Record<string, number>
  /** Bytes sent by packet type, as the nodes count them (where a storm comes from). */
  sentBytes: Record<string, number>
}

/** A delivery to peer `peer` (swarm index) of the bundle `id` (hex); `network` false for the peer's own publication. */
export type DeliveryListener = (peer: number, id: string, network: boolean) => void

/** What the demo needs of a group, wherever it runs. */
export interface PeerGroup {
  /** Swarm index of the first peer and the number of peers. */
  readonly first: number
  readonly size: number
  /** Publishes `body` from peer `peer` (swarm index). Failures go to `onError`. */
  publish(peer: number, body: Uint8Array): void
  onDelivery: DeliveryListener
  onError: (err: unknown) => void
  counts(): Promise<GroupCounts>
  /** Stops every peer, closing stores and sockets. Idempotent. */
  close(): Promise<void>
}

/** A group in this thread. */
export class LocalGroup implements PeerGroup {
  readonly first: number
  readonly peers: readonly UdpNode[]
  readonly counters: readonly CountingTransport[]
  readonly #overlay: Uint8Array
  onDelivery: DeliveryListener = () => {}
  onError: (err: unknown) => void = () => {}
  #closing: Promise<void> | undefined

  private constructor(init: PeerGroupInit, peers: UdpNode[], counters: CountingTransport[]) {
    this.first = init.first
    this.peers = peers
    this.counters = counters
    this.#overlay = init.overlay
    peers.forEach((p, i) => {
      p.node.events.on('bundle', ({ bundle, own }) => this.onDelivery(init.first + i, shortHex(bundle.id, 32), !own))
    })
  }

  /** Starts the peers one after the other; on failure stops those started and rethrows. */
  static async start(init: PeerGroupInit, err: ErrorStream = process.stderr): Promise<LocalGroup> {
    const peers: UdpNode[] = []
    const counters: CountingTransport[] = []
    const options = scaledNodeOptions(init.stepIntervalMs, { sameHost: true })
    try {
      for (const [i, seed] of init.seeds.entries()) {
        const index = init.first + i
        const rng = seed === null ? new CryptoRng() : new SeededRng(seed)
        peers.push(
          await startUdpNode({
            role: 'peer',
            host: '127.0.0.1',
            port: 0,
            dataDir: join(init.folder, `node-${index}`),
            overlays: [init.overlay],
            trackers: init.trackers,
            keys: generateKeyPair(rng),
            rng,
            logger: commandLogger(`demo:node-${index}`, init.logLevel, init.logLevel, err),
            wrap: (t) => {
              const c = new CountingTransport(t)
              counters.push(c)
              return c
            },
            node: { ...options, sync: init.sync }
          })
        )
      }
    } catch (err) {
      await Promise.allSettled(peers.map((p) => p.close()))
      throw err
    }
    return new LocalGroup(init, peers, counters)
  }

  get size(): number {
    return this.peers.length
  }

  publish(peer: number, body: Uint8Array): void {
    const node = this.peers[peer - this.first]?.node
    if (node === undefined) return this.onError(new RangeError(`no peer ${peer} in this group`))
    node.publish(this.#overlay, body).catch((err: unknown) => this.onError(err))
  }

  counts(): Promise<GroupCounts> {
    return Promise.resolve(this.countsNow())
  }

  /** {@link counts}, synchronously. */
  countsNow(): GroupCounts {
    const c: GroupCounts = { datagrams: 0, bytes: 0, maxDatagramBytes: 0, drops: {}, sentBytes: {} }
    for (const t of this.counters) {
      c.datagrams += t.datagrams
      c.bytes += t.bytes
      c.maxDatagramBytes = Math.max(c.maxDatagramBytes, t.maxDatagramBytes)
    }
    for (const p of this.peers) {
      const s = p.node.stats()
      addCounts(c.drops, s.drops)
      addCounts(c.drops, s.bundleDrops, 'bundle:')
      addCounts(c.drops, p.transport.stats().drops, 'transport:')
      addCounts(c.sentBytes, bytesByType(s.out))
    }
    return c
  }

  close(): Promise<void> {
    this.#closing ??= Promise.allSettled(this.peers.map((p) => p.close())).then(() => undefined)
    return this.#closing
  }
}

/** Adds `b` into `a`. */
export function addGroupCounts(a: GroupCounts, b: GroupCounts): GroupCounts {
  const drops = { ...a.drops }
  addCounts(drops, b.drops)
  const sentBytes = { ...a.sentBytes }
  addCounts(sentBytes, b.sentBytes)
  return { datagrams: a.datagrams + b.datagrams, bytes: a.bytes + b.bytes, maxDatagramBytes: Math.max(a.maxDatagramBytes, b.maxDatagramBytes), drops, sentBytes }
}
