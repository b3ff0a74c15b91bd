/**
 * Builds a node the way the command line runs one: a UDP socket, the system clock, crypto
 * randomness, Ed25519 verification by node:crypto (../node/native-verify.ts, ~15× the portable
 * path) and (for a peer) a LevelDB store. The one place the commands pick
 * implementations; `demo` and the commands share it.
 */
import { CryptoRng } from '../env/crypto-rng.js'
import { type Rng } from '../env/rng.js'
import { SystemClock, type Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { KeyPair } from '../bundle/sign.js'
import { createNode, type BloomwalkNode, type NodeSettings } from '../node/index.js'
import { LevelStore } from '../store/level.js'
import type { BundleStore } from '../store/types.js'
import { createUdpTransport, type UdpTransport } from '../transport/udp.js'
import type { Transport } from '../transport/types.js'
import { addressKey, type Address } from '../wire/index.js'
import { CommandError } from './command.js'
import { lanAddress } from './endpoint.js'
import { nativeVerifyBundle } from '../node/native-verify.js'

/** Options of {@link startUdpNode}. */
export interface UdpNodeInit {
  role: 'peer' | 'tracker'
  /** Local IP literal to bind. */
  host: string
  /** Local port; 0 = any free port. */
  port: number
  /** Socket receive buffer to ask for (bytes; the kernel caps it at net.core.rmem_max); default the system's. */
  receiveBufferBytes?: number
  /** A peer's LevelDB directory (or give `store`). */
  dataDir?: string
  store?: BundleStore
  /** Overlays a peer joins at start. */
  overlays?: Uint8Array[]
  trackers?: Address[]
  keys?: KeyPair
  logger: Logger
  clock?: Clock
  rng?: Rng
  /** Wraps the bound transport before the node sees it (e.g. a {@link CountingTransport}). */
  wrap?: (transport: Transport) => Transport
  /** Further node options (step interval, candidate and sync settings, …). */
  node?: NodeSettings
  /** Called with the node before it starts: attach `bundle` listeners here (starting delivers what an earlier run left undelivered). */
  beforeStart?: (node: BloomwalkNode) => void
}

/** A started node and what it owns. */
export interface UdpNode {
  node: BloomwalkNode
  transport: Transport
  store: BundleStore | undefined
  /** The address peers are told (the LAN address when bound to 0.0.0.0 / ::). */
  advertised: Address
  /** The socket's receive buffer as the kernel reports it (Linux: twice what it granted). */
  receiveBufferBytes: number
  /** Stops the node, closes its store and socket. Idempotent. */
  close(): Promise<void>
}

/**
 * Binds, builds and starts a node. On failure everything opened so far is closed again.
 * @throws {CommandError} when the port cannot be bound or the data directory is in use
 */
export async function startUdpNode(init: UdpNodeInit): Promise<UdpNode> {
  let raw: UdpTransport
  try {
    raw = await createUdpTransport({ host: init.host, port: init.port, receiveBufferBytes: init.receiveBufferBytes, logger: init.logger.child('udp') })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'no such local address' : err instanceof Error ? err.message : String(err)
    throw new CommandError(`cannot bind ${addressKey({ host: init.host, port: init.port })}: ${why}`)
  }
  const transport = init.wrap?.(raw) ?? raw
  const store = init.role === 'tracker' ? undefined : (init.store ?? (init.dataDir === undefined ? undefined : new LevelStore(init.dataDir, { logger: init.logger.child('store') })))
  const lan = lanAddress(transport.address())
  const node = createNode({
    components: { transport, clock: init.clock ?? new SystemClock(), rng: init.rng ?? new CryptoRng(), store, logger: init.logger, keys: init.keys, verifyBundle: nativeVerifyBundle },
    settings: { role: init.role, overlays: init.overlays, trusted: init.trackers, lan, ...init.node }
  })
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await node.stop()
      await store?.close().catch((err: unknown) => init.logger.warn('closing the store failed', { error: String(err) }))
      await transport.close()
    })()
    return closing
  }
  try {
    init.beforeStart?.(node)
    await node.start()
  } catch (err) {
    await close()
    throw storeError(err, init.dataDir)
  }
  return { node, transport, store, advertised: lan ?? transport.address(), receiveBufferBytes: raw.receiveBufferBytes(), close }
}

/** A LevelDB lock (another process holds the directory) turned into a message that says so. */
function storeError(err: unknown, dir: string | undefined): unknown {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code
    if (code === 'LEVEL_LOCKED' || (e.message.includes('LOCK') && e.message.includes('lock'))) {
      return new CommandError(`data directory ${dir ?? ''} is in use by another process (LevelDB lock); stop it or pass another --data`)
    }
  }
  if (dir !== undefined && err instanceof Error) return new CommandError(`cannot open the store at ${dir}: ${err.message}`)
  return err
}
