/**
 * What is in a LevelDB folder before and after LevelDB opens it, read from the files
 * themselves: whether the folder is empty or holds a database (and whether its `CURRENT`
 * points at a manifest that exists), whether a write-ahead log ends inside a record (a
 * truncated log: LevelDB drops such a tail silently), and what LevelDB's info log (`LOG`)
 * says it skipped while recovering.
 *
 * LevelDB file names (db/filename.cc): `CURRENT`, `LOCK`, `LOG`, `LOG.old`,
 * `MANIFEST-<n>`, `<n>.log` (write-ahead log), `<n>.ldb` / `<n>.sst` (tables).
 */
import { open, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BloomwalkError } from '../errors.js'

/** Files that hold data (a folder with any of these is a database, never to be created over). */
const DATA_FILE = /^(?:\d+\.(?:log|ldb|sst)|MANIFEST-\d+)$/
/** A valid CURRENT: one manifest name and a newline. */
const CURRENT_LINE = /^(MANIFEST-\d+)\n$/
/** LevelDB log blocks and record headers (db/log_format.h). */
const LOG_BLOCK = 32768
const LOG_HEADER = 7

/** What a folder holds, as far as LevelDB is concerned. */
export type FolderState = { kind: 'absent' } | { kind: 'empty' } | { kind: 'database'; manifest: string; dataFiles: string[] }

/**
 * Looks at `location` before LevelDB does.
 * @throws {BloomwalkError} STORE_IO_ERROR when it is not a folder or cannot be read; STORE_CORRUPT when it holds LevelDB data without a valid CURRENT (nothing is changed)
 */
export async function inspectFolder(location: string): Promise<FolderState> {
  let names: string[]
  try {
    const info = await stat(location)
    if (!info.isDirectory()) throw new BloomwalkError('STORE_IO_ERROR', `cannot open the store at ${location}: it is not a directory`)
    names = await readdir(location)
  } catch (err) {
    if (err instanceof BloomwalkError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' }
    throw new BloomwalkError('STORE_IO_ERROR', `cannot open the store at ${location}: ${describeCause(err)}`, { cause: err })
  }
  const dataFiles = names.filter((n) => DATA_FILE.test(n)).sort()
  const hasCurrent = names.includes('CURRENT')
  // No CURRENT and nothing but manifests: a creation cut short (LevelDB writes the first
  // manifest, then CURRENT). No bundle can be in it, so it is created afresh.
  if (!hasCurrent && dataFiles.every((n) => n.startsWith('MANIFEST-'))) return { kind: 'empty' }
  const current = join(location, 'CURRENT')
  const advice = `Nothing was changed. Run "bloomwalk store check --data ${location}" to see what is there, and "bloomwalk store repair --data ${location}" to rebuild it with LevelDB's repair (it copies the folder first).`
  if (!hasCurrent) {
    throw new BloomwalkError('STORE_CORRUPT', `${current} is missing, but the folder holds LevelDB data (${summarize(dataFiles)}). ${advice}`)
  }
  let text: string
  try {
    text = await readFile(current, 'latin1')
  } catch (err) {
    throw new BloomwalkError('STORE_IO_ERROR', `cannot read ${current}: ${describeCause(err)}`, { cause: err })
  }
  const manifest = CURRENT_LINE.exec(text)?.[1]
  if (manifest === undefined) {
    throw new BloomwalkError('STORE_CORRUPT', `${current} does not name a manifest (it holds ${JSON.stringify(text.slice(0, 40))}). ${advice}`)
  }
  if (!names.includes(manifest)) {
    throw new BloomwalkError('STORE_CORRUPT', `${current} names ${manifest}, which is missing (the folder holds ${summarize(dataFiles)}). ${advice}`)
  }
  return { kind: 'database', manifest, dataFiles }
}

/** A write-ahead log that ends inside a record. */
export interface TruncatedLog {
  file: string
  /** Bytes of the file. */
  size: number
  /** Where the incomplete record starts. */
  at: number
}

/**
 * The write-ahead logs of a database folder whose last record is incomplete (the file ends
 * inside a record header or payload). LevelDB treats such a tail as a write that never
 * finished and drops it without a word; a log cut short by damage looks the same.
 */
export async function truncatedLogs(location: string): Promise<TruncatedLog[]> {
  let names: string[]
  try {
    names = (await readdir(location)).filter((n) => /^\d+\.log$/.test(n))
  } catch {
    return []
  }
  const out: TruncatedLog[] = []
  for (const name of names) {
    const file = join(location, name)
    const tail = await incompleteRecord(file).catch(() => undefined)
    if (tail !== undefined) out.push({ file, ...tail })
  }
  return out
}

/** Where the last record of a log starts if the file ends inside it. */
async function incompleteRecord(file: string): Promise<{ size: number; at: number } | undefined> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const header = Buffer.alloc(LOG_HEADER)
    let at = 0
    while (at < size) {
      const leftInBlock = LOG_BLOCK - (at % LOG_BLOCK)
      if (leftInBlock < LOG_HEADER) {
        at += leftInBlock // the block's zero trailer
        continue
      }
      if (size - at < LOG_HEADER) return { size, at }
      await handle.read(header, 0, LOG_HEADER, at)
      const length = header.readUInt16LE(4)
      const type = header[6]!
      if (type === 0 && length === 0) return undefined // zero padding: nothing after it was written
      if (at + LOG_HEADER + length > size) return { size, at }
      at += LOG_HEADER + length
    }
    return undefined
  } finally {
    await handle.close()
  }
}

/** The lines of LevelDB's info log (`LOG`, rewritten at every open) that report dropped data. */
export async function recoveryDrops(location: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(join(location, 'LOG'), 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((line) => /dropping|Ignoring error|Corruption|missing files/i.test(line))
    .map((line) => line.replace(/^\S+ \S+ /, '').trim()) // without LevelDB's date and thread columns
}

/** "3 files: 000005.log, 000007.ldb, MANIFEST-000004" (at most 6 names). */
function summarize(files: readonly string[]): string {
  const shown = files.slice(0, 6).join(', ')
  return `${files.length} file${files.length === 1 ? '' : 's'}: ${shown}${files.length > 6 ? ', …' : ''}`
}

/**
 * The cause of an error as "CODE message" of the innermost error in its cause chain that has a
 * message (LevelDB's reason sits in `cause`: `LEVEL_DATABASE_NOT_OPEN` wraps `LEVEL_CORRUPTION`).
 */
export function describeCause(err: unknown): string {
  const parts: string[] = []
  let code: string | undefined
  let message = ''
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown }).code
    if (typeof c === 'string' || typeof c === 'number') code = String(c)
    const m = e instanceof Error ? e.message : typeof e === 'string' ? e : ''
    if (m !== '') message = m
    if (!(e instanceof Error)) break
  }
  if (code !== undefined) parts.push(code)
  if (message !== '') parts.push(message)
  return parts.length === 0 ? String(err) : parts.join(' ')
}
