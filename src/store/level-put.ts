/**
 * Group commit for a {@link LevelStore} (./level.ts): puts made while the write queue is
 * busy are committed together. The write that runs next takes every waiting put (up to
 * {@link MAX_PUT_GROUP}) into one batch, so a busy room costs one LevelDB write per group
 * instead of one per bundle. Each put still resolves only after its row committed, and
 * rejects if that write failed.
 */
import type { Bundle } from '../bundle/types.js'
import type { Db } from './level-db.js'

/** Most puts committed in one LevelDB batch. */
export const MAX_PUT_GROUP = 256

interface PendingPut {
  bundle: Bundle
  resolve: (added: boolean) => void
  reject: (err: unknown) => void
}

/** The puts waiting for the next group commit, and the commits queued for them. */
export class GroupCommit {
  readonly #pending: PendingPut[] = []
  readonly #write: <T>(fn: (db: Db) => Promise<T>) => Promise<T>
  readonly #rows: (db: Db, bundles: readonly Bundle[]) => Promise<boolean[]>

  /** `write` queues a write (the store's write queue); `rows` writes a group's rows in one batch, returning per bundle whether it was added. */
  constructor(write: <T>(fn: (db: Db) => Promise<T>) => Promise<T>, rows: (db: Db, bundles: readonly Bundle[]) => Promise<boolean[]>) {
    this.#write = write
    this.#rows = rows
  }

  /** Resolves once the bundle's group committed: whether it was added. */
  put(bundle: Bundle): Promise<boolean> {
    const committed = new Promise<boolean>((resolve, reject) => this.#pending.push({ bundle, resolve, reject }))
    if (this.#pending.length === 1) this.#commit()
    return committed
  }

  /** Queues one write that commits the waiting puts (and queues the next one if more wait). */
  #commit(): void {
    let group: PendingPut[] = []
    this.#write(async (db) => {
      group = this.#pending.splice(0, MAX_PUT_GROUP)
      if (this.#pending.length > 0) this.#commit()
      return this.#rows(
        db,
        group.map((p) => p.bundle)
      )
    }).then(
      (added) => group.forEach((p, i) => p.resolve(added[i]!)),
      // Failed before taking its group (the store does not serve): the waiting puts were its group.
      (err: unknown) => (group.length > 0 ? group : this.#pending.splice(0)).forEach((p) => p.reject(err))
    )
  }
}
