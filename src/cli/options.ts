/** Option parsing shared by the network commands (tracker, node, chat). */
import { canonicalHost } from '../wire/index.js'
import { UsageError } from './args.js'
import { parseEndpoint, type Endpoint } from './endpoint.js'

/** Longest room name accepted (the id is its hash, so this only bounds folder names and typos). */
export const MAX_ROOM_NAME = 200

/**
 * `--host`: an IP literal to bind (the transport never resolves names). Default 0.0.0.0.
 * @throws {UsageError} naming --host
 */
export function hostOption(raw: string | undefined, fallback = '0.0.0.0'): string {
  if (raw === undefined) return fallback
  const host = canonicalHost(raw)
  if (host === null) throw new UsageError(`--host must be a local IPv4 or IPv6 address, got "${raw}"`)
  return host
}

/**
 * `--room`: required, non-empty, printable.
 * @throws {UsageError} naming --room
 */
export function roomOption(raw: string | undefined): string {
  if (raw === undefined) throw new UsageError('--room NAME is required')
  if (raw.trim() === '') throw new UsageError('--room must not be empty')
  if (raw.length > MAX_ROOM_NAME) throw new UsageError(`--room must be at most ${MAX_ROOM_NAME} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new UsageError('--room must not contain control characters')
  return raw
}

/**
 * `--tracker HOST:PORT`, repeatable, at least one.
 * @throws {UsageError} naming --tracker
 */
export function trackerOptions(raw: string[] | undefined): Endpoint[] {
  if (raw === undefined || raw.length === 0) throw new UsageError('--tracker HOST:PORT is required (repeat it for several trackers)')
  return raw.map((r) => parseEndpoint('tracker', r))
}
