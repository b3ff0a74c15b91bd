/**
 * Where a `bloomwalk node` or `chat` keeps its state:
 *
 * ```
 * <data>/author.key            32-byte Ed25519 secret seed, mode 0600 (one identity per data directory)
 * <data>/rooms/<slug>-<hash8>/  the LevelDB of one room
 * <data>/identities/<room id hex>.nonce  the author's identity nonce for a room whose policy
 *                               asks for one (DESIGN §14): minted once, not at every start
 * ```
 *
 * `<data>` is `--data`, else `$XDG_DATA_HOME/bloomwalk`, else `~/.local/share/bloomwalk`.
 * `<slug>` is the room name reduced to `[A-Za-z0-9._-]`; `<hash8>` the first 8 hex digits of
 * the room id, so names that reduce to the same slug (or differ only in case, on a
 * case-insensitive file system) still get their own folder.
 */
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { identityWork, keyPairFromSecret, mintIdentity, roomId, type KeyPair } from '../bundle/index.js'
import type { Logger } from '../env/logger.js'
import type { Rng } from '../env/rng.js'
import { CommandError } from './command.js'

/** File name of the author key inside the data directory. */
export const KEY_FILE = 'author.key'
/** Bytes of the secret seed in {@link KEY_FILE}. */
export const KEY_BYTES = 32
/** Longest slug kept from a room name (the hash keeps folders apart anyway). */
const MAX_SLUG = 48

/**
 * The per-user data directory: `$XDG_DATA_HOME/bloomwalk` when that variable holds an
 * absolute path (the XDG spec says to ignore relative ones), else `~/.local/share/bloomwalk`.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  const xdg = env['XDG_DATA_HOME']
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'bloomwalk')
  return join(home, '.local', 'share', 'bloomwalk')
}

/** `--data` made absolute, or the default. */
export function dataDir(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option === undefined ? defaultDataDir(env) : resolve(option)
}

/** The folder name of a room: a readable slug plus 8 hex digits of its id. */
export function roomFolder(room: string): string {
  let slug = room.normalize('NFKC').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_SLUG)
  slug = slug.replace(/^\.+/, '_') // never "." or ".." or a hidden folder
  const id = roomId(room)
  let hash = ''
  for (const b of id.subarray(0, 4)) hash += b.toString(16).padStart(2, '0')
  return `${slug === '' ? 'room' : slug}-${hash}`
}

/** The LevelDB directory of `room` under the data directory. */
export function roomDir(data: string, room: string): string {
  return join(data, 'rooms', roomFolder(room))
}

/**
 * Loads the author key of the data directory, creating it (from `rng`) on first use. The
 * file holds the raw 32-byte seed with mode 0600; a file readable by others is narrowed to
 * 0600 with a warning. Creation is exclusive, so two processes starting together agree on
 * one key.
 * @throws {CommandError} when the file exists but is not exactly 32 bytes, or cannot be read or written
 */
export async function loadOrCreateKey(data: string, rng: Rng, log: Logger): Promise<{ keys: KeyPair; created: boolean; path: string }> {
  const path = join(data, KEY_FILE)
  try {
    await mkdir(data, { recursive: true, mode: 0o700 })
    const secret = rng.bytes(KEY_BYTES)
    if (await createExclusive(path, secret, rng)) return { keys: keyPairFromSecret(secret), created: true, path }
    secret.fill(0)
    const info = await stat(path)
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      log.warn('author key was readable by others; narrowing it to 0600', { path, mode: (info.mode & 0o777).toString(8) })
      await chmod(path, 0o600)
    }
    const bytes = await readFile(path)
    if (bytes.length !== KEY_BYTES) throw new CommandError(`author key ${path} must hold exactly ${KEY_BYTES} bytes, found ${bytes.length}; move it away to create a new identity`)
    return { keys: keyPairFromSecret(new Uint8Array(bytes)), created: false, path }
  } catch (err) {
    if (err instanceof CommandError) throw err
    throw new CommandError(`cannot use author key ${path}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/**
 * The author's identity nonce for `overlay` when its policy asks for `bits` > 0 of work:
 * read from `<data>/identities/<overlay hex>.nonce`, or minted (≈ 2^bits hashes) and written
 * there when missing, unreadable as a nonce, or too weak for `bits` (a room whose policy asks
 * for more). undefined when `bits` is 0.
 * @throws {CommandError} when the file cannot be written
 */
export async function loadOrMintIdentityNonce(data: string, overlay: Uint8Array, author: Uint8Array, bits: number, rng: Rng, log: Logger): Promise<Uint8Array | undefined> {
  if (bits <= 0) return undefined
  const dir = join(data, 'identities')
  const path = join(dir, `${Buffer.from(overlay).toString('hex')}.nonce`)
  const known = await readFile(path).then(
    (b) => new Uint8Array(b),
    () => undefined
  )
  if (known !== undefined && identityWork(overlay, author, known) >= bits) return known
  if (known !== undefined) log.warn('identity nonce too weak for the room (or not ours); minting a new one', { path, bits })
  const started = Date.now()
  const nonce = mintIdentity(overlay, author, bits)
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const tmp = await writeTemporary(path, nonce, rng)
    await rename(tmp, path).catch(async (err: unknown) => {
      await unlink(tmp).catch(() => undefined)
      throw err
    })
  } catch (err) {
    throw new CommandError(`cannot write identity nonce ${path}: ${err instanceof Error ? err.message : String(err)}`)
  }
  log.info('minted an identity nonce for the room', { bits, ms: Date.now() - started, path })
  return nonce
}

/** Writes `bytes` to a new temporary file beside `path` (mode 0600, fsynced); its path. */
async function writeTemporary(path: string, bytes: Uint8Array, rng: Rng): Promise<string> {
  let suffix = ''
  for (const b of rng.bytes(6)) suffix += b.toString(16).padStart(2, '0')
  const tmp = `${path}.${suffix}.tmp`
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return tmp
}

/**
 * Writes `bytes` to a temporary file (mode 0600, fsynced) and hard-links it to `path`: the
 * key appears whole or not at all, and only the first of several racing processes wins.
 * False when `path` already exists.
 */
async function createExclusive(path: string, bytes: Uint8Array, rng: Rng): Promise<boolean> {
  const tmp = await writeTemporary(path, bytes, rng)
  try {
    await link(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}
