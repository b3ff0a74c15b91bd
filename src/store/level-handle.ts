/**
 * The LevelDB handle of a {@link LevelStore} (./level.ts) and its failure state: opening
 * (never a new database over a folder that holds LevelDB files; the format row; what
 * recovery dropped), the write queue that serializes every write, and the rule after a
 * failed write — the handle is closed at once (LevelDB's log writer is out of step with its
 * file after a failed append, so anything appended later would be lost at the next open),
 * reads and writes are refused with STORE_IO_ERROR, and the database is re-opened at most
 * once per `retryMs`. The store's caches, filled only by its writes, are dropped by
 * `onFail` when that happens.
 */
import { Level } from 'level'
import type { Logger } from '../env/logger.js'
import { BloomwalkError } from '../errors.js'
import { inspectFolder, recoveryDrops, truncatedLogs } from './level-files.js'
import { buildShortIndex, type Db, mapError } from './level-db.js'
import { FORMAT_KEY, SHORT_INDEXED_KEY, STORE_FORMAT_VERSION } from './level-keys.js'

/** What LevelDB's recovery at the last open reported (docs/store.md, "Errors that say why"). */
export interface OpenReport {
  /** Write-ahead logs that ended inside a record before the open: that tail was dropped. */
  truncatedLogs: { file: string; size: number; at: number }[]
  /** LevelDB info-log lines of the open that report dropped bytes or corruption. */
  dropped: string[]
}

/** How the handle opens and recovers. */
export interface LevelHandleInit {
  location: string
  sync: boolean
  writeBufferSize: number
  compression: boolean
  log: Logger | undefined
  retryMs: number
  now: () => number
  /** A write failed and the handle closed: drop what was cached from committed writes. */
  onFail(): void
}

/** The open LevelDB handle, its write queue and its failure state. */
export class LevelHandle {
  readonly #init: LevelHandleInit
  #db: Db | undefined
  /** Set when a write failed: the handle is closed and nothing is served until a re-open works. */
  #failure: { error: BloomwalkError; at: number } | undefined
  #reopening: Promise<void> | undefined
  #openReport: OpenReport = { truncatedLogs: [], dropped: [] }
  /** Tail of the write queue. */
  #writes: Promise<unknown> = Promise.resolve()

  constructor(init: LevelHandleInit) {
    this.#init = init
  }

  /** The failed write that keeps the store from serving, until a re-open succeeds; else undefined. */
  get failure(): BloomwalkError | undefined {
    return this.#failure?.error
  }

  get openReport(): OpenReport {
    return this.#openReport
  }

  async open(): Promise<void> {
    this.#failure = undefined
    this.#db = await this.#openDb()
  }

  /** Waits for the queued writes and a re-open in progress, detaches the handle (`detached`: drop the caches), then closes it. */
  async close(detached: () => void): Promise<void> {
    await this.#writes
    await this.#reopening?.catch(() => undefined)
    const db = this.#db
    this.#db = undefined
    this.#failure = undefined
    detached()
    await db?.close()
  }

  /**
   * Runs `fn` after every write queued before it, once the store serves. A failure LevelDB
   * reports closes the handle ({@link fail}) and rejects with STORE_IO_ERROR; our own checks
   * (a BloomwalkError, before anything is written) reject as they are.
   */
  write<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const run = this.#writes.then(async () => {
      await this.healthy()
      try {
        return await fn(this.handle())
      } catch (err) {
        if (err instanceof BloomwalkError) throw err
        throw await this.#fail(err)
      }
    })
    this.#writes = run.catch(() => undefined)
    return run
  }

  /** Runs `fn` once the store serves; a LevelDB error is mapped to a BloomwalkError. */
  async read<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    await this.healthy()
    try {
      return await fn(this.handle())
    } catch (err) {
      throw mapError(err, `reading the store at ${this.#init.location} failed`)
    }
  }

  /**
   * Resolves when the store serves (no failed write pending). After a failure it re-opens the
   * database — LevelDB replays and checks its log and manifest — at most once per `retryMs`;
   * until that works every call rejects with STORE_IO_ERROR naming the first failure and the
   * latest reason.
   */
  async healthy(): Promise<void> {
    if (this.#failure === undefined) return
    if (this.#reopening !== undefined) return this.#reopening
    const failure = this.#failure
    if (this.#init.now() - failure.at < this.#init.retryMs) throw this.#unavailable(failure.error)
    this.#reopening = (async () => {
      try {
        this.#db = await this.#openDb()
        this.#failure = undefined
        this.#init.log?.info('store re-opened after a failed write', { location: this.#init.location })
      } catch (err) {
        failure.at = this.#init.now()
        throw this.#unavailable(mapError(err, 're-opening failed'))
      } finally {
        this.#reopening = undefined
      }
    })()
    return this.#reopening
  }

  /** The open handle, or STORE_NOT_OPEN. */
  handle(): Db {
    if (this.#db === undefined) throw new BloomwalkError('STORE_NOT_OPEN', 'store is not open')
    return this.#db
  }

  /**
   * Opens the LevelDB handle: creates a database only in an absent or empty folder, checks
   * the format row, and reports what recovery dropped.
   */
  async #openDb(): Promise<Db> {
    const { location, log } = this.#init
    const folder = await inspectFolder(location)
    const truncated = folder.kind === 'database' ? await truncatedLogs(location) : []
    // Created here, not in the constructor: a Level instance opens itself on the next tick.
    const db = new Level<Uint8Array, Uint8Array>(location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      createIfMissing: folder.kind !== 'database',
      errorIfExists: false,
      writeBufferSize: this.#init.writeBufferSize,
      compression: this.#init.compression
    })
    try {
      await db.open()
      const format = await db.get(FORMAT_KEY)
      if (format === undefined) await db.batch([{ type: 'put', key: FORMAT_KEY, value: Uint8Array.of(STORE_FORMAT_VERSION) }, { type: 'put', key: SHORT_INDEXED_KEY, value: new Uint8Array(0) }], { sync: this.#init.sync })
      else if (format.length !== 1 || format[0] !== STORE_FORMAT_VERSION) throw new BloomwalkError('STORE_CORRUPT', `unknown store format at ${location}`)
      // A store from before the short-id index (docs/reconcile.md §14), or repaired since: build it once.
      else if ((await db.get(SHORT_INDEXED_KEY)) === undefined) await buildShortIndex(db, this.#init.sync)
    } catch (err) {
      await db.close().catch(() => undefined)
      throw mapError(err, `cannot open the store at ${location}`)
    }
    this.#openReport = { truncatedLogs: truncated, dropped: folder.kind === 'database' ? await recoveryDrops(location) : [] }
    for (const t of truncated) {
      log?.warn('write-ahead log ends inside a record: LevelDB dropped its tail (a write cut short, or a damaged log)', { file: t.file, bytes: t.size, droppedFrom: t.at })
    }
    for (const line of this.#openReport.dropped) log?.warn('LevelDB recovery dropped data', { location, report: line })
    return db
  }

  /**
   * A write failed: stop serving at once. The handle is closed so that nothing more is
   * appended to a log whose writer no longer matches its file; the next operation re-opens.
   */
  async #fail(err: unknown): Promise<BloomwalkError> {
    const { location, log } = this.#init
    const error = mapError(err, `a write to the store at ${location} failed, so it was not stored`)
    if (error.code === 'STORE_NOT_OPEN') return error
    if (this.#failure === undefined) {
      this.#failure = { error, at: this.#init.now() }
      const db = this.#db
      this.#db = undefined
      this.#init.onFail()
      log?.error('store write failed; refusing reads and writes until it re-opens cleanly', { location, error: error.message })
      await db?.close().catch(() => undefined)
    }
    return error
  }

  #unavailable(latest: BloomwalkError): BloomwalkError {
    const first = this.#failure?.error
    const because = first === undefined || first === latest ? latest.message : `${first.message}; then ${latest.message}`
    return new BloomwalkError('STORE_IO_ERROR', `the store at ${this.#init.location} is not serving since a write failed (${because}); it retries re-opening every ${this.#init.retryMs} ms`, { cause: latest })
  }
}
