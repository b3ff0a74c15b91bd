/**
 * `chat --group NAME --member KEY@HOST:PORT …`: a private conversation over MVDS (issue 19).
 * The group id is SHA-256("bloomwalk/group/" || NAME); its bundles go only to the members
 * listed (by Ed25519 public key and address), never to a tracker or the Bloom walk, and are
 * accepted only when a member (or we) wrote them. Its LevelDB lives under
 * groups/<first 16 hex digits of the id>/ in the data directory, MVDS state included, so an
 * undelivered message survives a restart.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { CryptoRng } from '../env/crypto-rng.js'
import type { Logger } from '../env/logger.js'
import { join } from 'node:path'
import { addressKey, type Address } from '../wire/index.js'
import { numberOption, UsageError } from './args.js'
import type { CommandIo } from './command.js'
import { dataDir, loadOrCreateKey } from './data-dir.js'
import { parseEndpoint, resolveEndpoint } from './endpoint.js'
import { hostOption, MAX_ROOM_NAME } from './options.js'
import { shortHex } from './report.js'
import { startUdpNode, type UdpNode } from './udp-node.js'
import type { BloomwalkNode } from '../node/index.js'

/** The usage lines of the private-group options. */
export const GROUP_OPTIONS_USAGE = `  --group       a private group's name (instead of --room / --tracker); its id is
                SHA-256("bloomwalk/group/" || name); messages go by MVDS to the members only
  --member      KEY@HOST:PORT of a member: their 64-hex-digit public key (printed when they
                join) and address; repeat for each member (at least one)`

/** A member as given on the command line. */
export interface MemberSpec {
  key: Uint8Array
  host: string
  port: number
}

/** A started peer in a private group. */
export interface GroupPeer extends UdpNode {
  group: string
  overlay: Uint8Array
  members: Array<{ key: Uint8Array; address: Address }>
}

/** The 32-byte id of a private group. */
export function groupId(name: string): Uint8Array {
  return sha256(new TextEncoder().encode(`bloomwalk/group/${name}`))
}

/**
 * `--member KEY@HOST:PORT`.
 * @throws {UsageError} naming --member
 */
export function parseMember(raw: string): MemberSpec {
  const at = raw.indexOf('@')
  const key = raw.slice(0, at)
  if (at < 0 || !/^[0-9a-f]{64}$/i.test(key)) throw new UsageError(`--member must be KEY@HOST:PORT with a 64-hex-digit public key, got "${raw}"`)
  const endpoint = parseEndpoint('member', raw.slice(at + 1))
  return { key: Uint8Array.from(Buffer.from(key, 'hex')), ...endpoint }
}

/**
 * Validates the options, loads the author key, binds and starts an MVDS node sharing the
 * group with each member.
 * @throws {UsageError} naming the first bad option
 */
export async function startGroupPeer(values: { group?: string; member?: string[]; room?: string; tracker?: string[]; data?: string; port?: string; host?: string }, io: CommandIo, log: Logger, beforeStart?: (node: BloomwalkNode) => void): Promise<GroupPeer> {
  const group = values.group ?? ''
  if (group.trim() === '' || group.length > MAX_ROOM_NAME) throw new UsageError(`--group must be 1–${MAX_ROOM_NAME} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(group)) throw new UsageError('--group must not contain control characters')
  if (values.room !== undefined || (values.tracker ?? []).length > 0) throw new UsageError('--group is a private chat with --member peers: it takes no --room or --tracker')
  if ((values.member ?? []).length === 0) throw new UsageError('--group needs at least one --member KEY@HOST:PORT')
  const specs = values.member!.map(parseMember)
  const port = numberOption('port', values.port, 0, { integer: true, min: 0, max: 65535 })
  const host = hostOption(values.host)
  const family = host.includes(':') ? 6 : 4
  const addresses = await Promise.all(specs.map((s) => resolveEndpoint('member', s, family)))
  const data = dataDir(values.data, io.env)
  const overlay = groupId(group)
  const rng = new CryptoRng()
  const key = await loadOrCreateKey(data, rng, log)
  const members = specs.map((s, i) => ({ key: s.key, address: addresses[i]! }))
  if (members.some((m) => Buffer.from(m.key).equals(Buffer.from(key.keys.publicKey)))) throw new UsageError('--member lists your own key')
  const dir = join(data, 'groups', Buffer.from(overlay).toString('hex').slice(0, 16))
  const peer = await startUdpNode({ role: 'peer', host, port, dataDir: dir, overlays: [], trackers: [], keys: key.keys, logger: log, rng, node: { mvds: { mode: 'batch' } }, beforeStart })
  for (const m of members) await peer.node.share(overlay, m.address, { key: m.key })
  log.info('joined group', { group, overlay: shortHex(overlay, 8), address: addressKey(peer.transport.address()), members: members.map((m) => `${shortHex(m.key, 8)}@${addressKey(m.address)}`), data: dir })
  return { ...peer, group, overlay, members }
}
