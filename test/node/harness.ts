/** An in-memory testnet: nodes on a MemoryNetwork driven by a ManualClock. */
import { roomId } from '../../src/bundle/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { createNode, type BloomwalkNode, type NodeComponents, type NodeOptions, type NodeSettings } from '../../src/node/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { MemoryNetwork } from '../../src/transport/index.js'
import type { Address } from '../../src/wire/index.js'

/** A test peer's overrides: components and settings in one object (the harness sorts them into createNode's groups). */
export type PeerOptions = Partial<NodeComponents> & NodeSettings

const COMPONENT_NAMES: readonly string[] = ['transport', 'clock', 'rng', 'store', 'logger', 'keys', 'verifyBundle'] satisfies (keyof NodeComponents)[]

/** Sorts a flat mix of components and settings into `createNode`'s `{ components, settings }`. */
export function grouped(o: PeerOptions): NodeOptions {
  const components: Record<string, unknown> = {}
  const settings: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) (COMPONENT_NAMES.includes(k) ? components : settings)[k] = v
  return { components: components as unknown as NodeComponents, settings: settings as NodeSettings }
}

export interface Testnet {
  clock: ManualClock
  net: MemoryNetwork
  rng: SeededRng
  overlay: Uint8Array
  nodes: BloomwalkNode[]
  tracker: BloomwalkNode
  trackerAddress: Address
  /** Advances virtual time in steps, letting async handlers finish after each. */
  run(ms: number, stepMs?: number): Promise<void>
  addPeer(extra?: PeerOptions): Promise<BloomwalkNode>
  stop(): Promise<void>
}

/** Lets every pending promise chain settle (in-process only: no timers, no I/O). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export async function testnet(options: { seed?: number; peers?: number; latencyMs?: number; loss?: number; peer?: PeerOptions } = {}): Promise<Testnet> {
  const clock = new ManualClock(1_000_000)
  const rng = new SeededRng(options.seed ?? 1)
  const net = new MemoryNetwork({ clock, rng: rng.fork(), latencyMs: options.latencyMs ?? 20, loss: options.loss ?? 0, maxDatagram: 65_507 })
  const overlay = roomId('testnet')
  const trackerTransport = net.bind()
  const tracker = createNode({ components: { transport: trackerTransport, clock, rng: rng.fork() }, settings: { role: 'tracker' } })
  await tracker.start()
  const trackerAddress = trackerTransport.address()
  const nodes: BloomwalkNode[] = []
  const addPeer = async (extra: PeerOptions = {}) => {
    const node = createNode(grouped({ transport: net.bind(), clock, rng: rng.fork(), store: new MemoryStore(), overlays: [overlay], trusted: [trackerAddress], ...options.peer, ...extra }))
    await node.start()
    nodes.push(node)
    return node
  }
  for (let i = 0; i < (options.peers ?? 3); i++) await addPeer()
  return {
    clock,
    net,
    rng,
    overlay,
    nodes,
    tracker,
    trackerAddress,
    addPeer,
    async run(ms: number, stepMs = 50) {
      const end = clock.now() + ms
      while (clock.now() < end) {
        clock.advance(Math.min(stepMs, end - clock.now()))
        await settle()
      }
    },
    async stop() {
      await Promise.all([tracker.stop(), ...nodes.map((n) => n.stop())])
    }
  }
}
