/**
 * What `node` and `chat` share: the options that put a peer in a room, and starting it over
 * UDP with its LevelDB under the data directory and its persisted author key.
 */
import { DEFAULT_ROOM_POLICY, OPEN_ROOM_POLICY, roomId, type RoomPolicy } from '../bundle/index.js'
import { CryptoRng } from '../env/crypto-rng.js'
import type { Logger } from '../env/logger.js'
import { addressKey } from '../wire/index.js'
import { choiceOption, numberOption } from './args.js'
import { LOG_FORMAT_USAGE, type CommandIo } from './command.js'
import { CONFIG_USAGE } from './config.js'
import { dataDir, loadOrCreateKey, loadOrMintIdentityNonce, roomDir } from './data-dir.js'
import { resolveEndpoint } from './endpoint.js'
import { hostOption, roomOption, trackerOptions } from './options.js'
import { shortHex } from './report.js'
import { scaledNodeOptions } from './pace.js'
import type { BloomwalkNode, NodeSettings } from '../node/index.js'
import { startUdpNode, type UdpNode } from './udp-node.js'
import { MAX_RECEIVE_BUFFER_BYTES } from '../transport/udp.js'

/** `parseArgs` options of a peer in a room. */
export const PEER_OPTIONS = {
  room: { type: 'string' },
  policy: { type: 'string' },
  tracker: { type: 'string', multiple: true },
  data: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  step: { type: 'string' },
  'receive-buffer': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean' }
} as const

/**
 * The socket receive buffer a peer asks for (docs/security.md, "A datagram flood": at 2 000
 * datagrams/s from one source the kernel dropped 0.3–4 % with the usual 208 KB default and
 * none with this; at 10 000/s 34–48 % and 9–20 %). The kernel caps it at net.core.rmem_max.
 */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024

/** The usage lines of {@link PEER_OPTIONS}. */
export const PEER_OPTIONS_USAGE = `  --room        the room's name (required); its id is SHA-256("bloomwalk/room/" || name)
                under the default policy, else it also hashes the policy
  --policy      the room's policy: default (keeps everything, no identity cost) or open
                (per-author quota and history, pruning, a ≈ 1 s proof of work per identity:
                for public rooms; docs/security.md); part of the room's id
  --tracker     a tracker's HOST:PORT; repeat for several (at least one)
  --data        data directory (default $XDG_DATA_HOME/bloomwalk or ~/.local/share/bloomwalk);
                holds author.key (your identity, mode 0600) and rooms/<room>/ (LevelDB)
  --port        local UDP port (default 0: any free port)
  --host        local address to bind (default 0.0.0.0, advertising this machine's first
                non-internal IPv4 address; :: for IPv6 and IPv4)
  --step        milliseconds between walk steps (default 5000); a faster step shrinks the
                delay before a peer may be walked to again (27.5 s) by the same factor
  --receive-buffer BYTES
                socket receive buffer to ask for (default ${DEFAULT_RECEIVE_BUFFER_BYTES}: 4 MiB); the
                kernel grants at most net.core.rmem_max (logged at start as receiveBuffer,
                which Linux reports doubled); a larger one drops less of a datagram burst
  --log-level   debug, info, warn, error or silent
${LOG_FORMAT_USAGE}
${CONFIG_USAGE}`

/** Parsed values of {@link PEER_OPTIONS}. */
export interface PeerValues {
  room?: string
  policy?: string
  tracker?: string[]
  data?: string
  port?: string
  host?: string
  step?: string
  'receive-buffer'?: string
  'log-level'?: string
}

/** A started peer in one room. */
export interface Peer extends UdpNode {
  room: string
  overlay: Uint8Array
  /** The room's LevelDB directory. */
  dir: string
}

/**
 * Validates the options (all before touching the network or disk), then loads the author
 * key, binds and starts the node in the room.
 * `extra` adds node options set by a command's own flags (`node`'s hole-punching and sync switches);
 * `beforeStart` gets the node before it starts (to listen for deliveries from the first).
 * @throws {UsageError} naming the first bad option
 * @throws {CommandError} when a tracker does not resolve, the port cannot be bound or the data directory is busy
 */
export async function startPeer(values: PeerValues, io: CommandIo, log: Logger, extra: NodeSettings = {}, beforeStart?: (node: BloomwalkNode) => void): Promise<Peer> {
  const room = roomOption(values.room)
  const policyName = choiceOption('policy', values.policy, ['default', 'open'] as const, 'default')
  const policy: RoomPolicy = policyName === 'open' ? OPEN_ROOM_POLICY : DEFAULT_ROOM_POLICY
  const endpoints = trackerOptions(values.tracker)
  const port = numberOption('port', values.port, 0, { integer: true, min: 0, max: 65535 })
  const host = hostOption(values.host)
  const stepIntervalMs = numberOption('step', values.step, 5000, { integer: true, min: 10 })
  const receiveBufferBytes = numberOption('receive-buffer', values['receive-buffer'], DEFAULT_RECEIVE_BUFFER_BYTES, { integer: true, min: 1, max: MAX_RECEIVE_BUFFER_BYTES })
  const family = host.includes(':') ? 6 : 4
  const trackers = await Promise.all(endpoints.map((e) => resolveEndpoint('tracker', e, family)))
  const data = dataDir(values.data, io.env)
  const dir = roomDir(data, room)
  const rng = new CryptoRng()
  const key = await loadOrCreateKey(data, rng, log)
  log.info(key.created ? 'created a new identity' : 'loaded identity', { author: shortHex(key.keys.publicKey, 8), key: key.path })
  const overlay = roomId(room, policy)
  const overlayHex = Buffer.from(overlay).toString('hex')
  const policies = new Map([[overlayHex, policy]])
  // A room that asks for identity work gets it paid once per data directory, at start, not at the first line typed.
  const nonce = await loadOrMintIdentityNonce(data, overlay, key.keys.publicKey, policy.identityBits, rng, log)
  const identityNonces = new Map(nonce === undefined ? [] : [[overlayHex, nonce]])
  const peer = await startUdpNode({ role: 'peer', host, port, receiveBufferBytes, dataDir: dir, overlays: [overlay], trackers, keys: key.keys, logger: log, rng, node: { ...scaledNodeOptions(stepIntervalMs), policies, identityNonces, ...extra }, beforeStart })
  const stats = peer.node.stats()
  log.info('joined room', {
    room,
    policy: policyName,
    overlay: shortHex(overlay, 8),
    address: addressKey(peer.transport.address()),
    advertised: addressKey(peer.advertised),
    receiveBuffer: peer.receiveBufferBytes,
    trackers: trackers.map(addressKey),
    stored: stats.overlays[0]?.bundlesStored ?? 0,
    data: dir
  })
  return { ...peer, room, overlay, dir }
}
