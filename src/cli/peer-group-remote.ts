/**
 * A {@link PeerGroup} in a worker thread. The worker (./demo-worker.ts) runs a LocalGroup
 * and {@link serveGroup} over its parent port; the demo holds a {@link RemoteGroup} that
 * speaks the same small protocol. Deliveries cross in batches (at most every
 * {@link DELIVERY_BATCH_MS}), so the demo's timings are accurate to that.
 */
import { existsSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { CommandError } from './command.js'
import { LocalGroup, type DeliveryListener, type GroupCounts, type PeerGroup, type PeerGroupInit } from './peer-group.js'

/** Longest a delivery waits in the worker before it is reported, ms. */
export const DELIVERY_BATCH_MS = 50
/** Deliveries reported at once at most. */
const MAX_BATCH = 1024

/** What the demo sends a group. */
type Request = { type: 'publish'; peer: number; body: Uint8Array } | { type: 'counts'; id: number } | { type: 'close' }

/** What a group sends back. */
type Reply =
  | { type: 'ready'; size: number }
  | { type: 'failed'; message: string }
  | { type: 'deliveries'; items: [peer: number, id: string, network: boolean][] }
  | { type: 'counts'; id: number; counts: GroupCounts }
  | { type: 'error'; message: string }
  | { type: 'closed' }

/** The port a group is served over (a worker's parentPort, or one end of a MessageChannel in tests). */
export interface Port {
  postMessage(value: unknown): void
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- messages are checked by their `type`
  on(event: 'message', listener: (value: any) => void): unknown
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: 'message', listener: (value: any) => void): unknown
}

/**
 * Starts a LocalGroup and serves it over `port` until a `close` request: reports `ready`
 * (or `failed`), batches of deliveries, errors, counts on request, and `closed`.
 */
export async function serveGroup(port: Port, init: PeerGroupInit): Promise<void> {
  const post = (m: Reply): void => port.postMessage(m)
  let group: LocalGroup
  try {
    group = await LocalGroup.start(init)
  } catch (err) {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err) })
    return
  }
  let batch: [number, string, boolean][] = []
  let timer: NodeJS.Timeout | undefined
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (batch.length === 0) return
    post({ type: 'deliveries', items: batch })
    batch = []
  }
  group.onDelivery = (peer, id, network) => {
    batch.push([peer, id, network])
    if (batch.length >= MAX_BATCH) flush()
    else timer ??= setTimeout(flush, DELIVERY_BATCH_MS)
  }
  group.onError = (err) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  const done = new Promise<void>((resolve) => {
    const onMessage = (m: Request): void => {
      if (m.type === 'publish') group.publish(m.peer, m.body)
      else if (m.type === 'counts') {
        flush()
        post({ type: 'counts', id: m.id, counts: group.countsNow() })
      } else if (m.type === 'close') {
        port.off('message', onMessage)
        void group.close().then(() => {
          flush()
          post({ type: 'closed' })
          resolve()
        })
      }
    }
    port.on('message', onMessage)
  })
  post({ type: 'ready', size: group.size })
  await done
}

/** The demo's side of a served group. */
export class RemoteGroup implements PeerGroup {
  readonly first: number
  readonly size: number
  onDelivery: DeliveryListener = () => {}
  onError: (err: unknown) => void = () => {}
  readonly #port: Port
  readonly #pending = new Map<number, { resolve: (c: GroupCounts) => void; reject: (err: unknown) => void }>()
  #lost: Error | undefined
  /** True once the group said `closed`: its thread ending after that is no loss. */
  #said = false
  #markClosed: () => void = () => {}
  #nextId = 0
  #closed: Promise<void> | undefined
  readonly #onClosed: Promise<void>
  readonly #terminate: () => Promise<void>

  private constructor(port: Port, first: number, size: number, terminate: () => Promise<void>) {
    this.#port = port
    this.first = first
    this.size = size
    this.#terminate = terminate
    this.#onClosed = new Promise((resolve) => {
      this.#markClosed = resolve
      port.on('message', (m: Reply) => {
        if (m.type === 'deliveries') for (const [peer, id, network] of m.items) this.onDelivery(peer, id, network)
        else if (m.type === 'counts') {
          this.#pending.get(m.id)?.resolve(m.counts)
          this.#pending.delete(m.id)
        } else if (m.type === 'error') this.onError(new Error(m.message))
        else if (m.type === 'closed') {
          this.#said = true
          resolve()
        }
      })
    })
  }

  /**
   * Waits for the group behind `port` to start.
   * @throws {Error} with the group's message when it failed to start
   */
  static connect(port: Port, init: PeerGroupInit, terminate: () => Promise<void> = () => Promise.resolve()): Promise<RemoteGroup> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: Reply): void => {
        if (m.type !== 'ready' && m.type !== 'failed') return
        port.off('message', onMessage)
        if (m.type === 'failed') reject(new Error(`peers ${init.first}–${init.first + init.seeds.length - 1}: ${m.message}`))
        else resolve(new RemoteGroup(port, init.first, m.size, terminate))
      }
      port.on('message', onMessage)
    })
  }

  publish(peer: number, body: Uint8Array): void {
    this.#send({ type: 'publish', peer, body })
  }

  counts(): Promise<GroupCounts> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost)
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#send({ type: 'counts', id })
    })
  }

  /**
   * The thread behind the group died (an error, or an exit before it said `closed`): what
   * waits for it fails with `err` instead of waiting forever, and `close` resolves.
   */
  lost(err: Error): void {
    if (this.#lost !== undefined || this.#said) return
    this.#lost = err
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
    this.#markClosed()
    this.onError(err)
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#send({ type: 'close' })
      await this.#onClosed
      await this.#terminate()
    })()
    return this.#closed
  }

  #send(m: Request): void {
    if (this.#lost === undefined) this.#port.postMessage(m)
  }
}

/**
 * Starts a group in a new worker thread running ./demo-worker.js (the compiled build; from
 * TypeScript sources, e.g. under vitest, use a LocalGroup instead).
 * @throws {Error} when the worker fails to start its peers or exits early
 */
export async function startWorkerGroup(init: PeerGroupInit): Promise<RemoteGroup> {
  const entry = new URL('./demo-worker.js', import.meta.url)
  if (!existsSync(entry)) throw new CommandError(`worker threads need the compiled build (${entry.pathname} is missing): run npm run build, or pass --threads 1`)
  const worker = new Worker(entry, { workerData: init })
  const died = new Promise<never>((_, reject) => {
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`demo worker for peers ${init.first}– exited (code ${code})`)))
  })
  died.catch(() => undefined) // observed through the race below, and through onError afterwards
  let group: RemoteGroup
  try {
    group = await Promise.race([RemoteGroup.connect(worker, init, () => worker.terminate().then(() => undefined)), died])
  } catch (err) {
    await worker.terminate()
    throw err
  }
  worker.on('error', (err) => group.lost(err))
  worker.on('exit', (code) => group.lost(new Error(`demo worker for peers ${init.first}–${init.first + init.seeds.length - 1} exited (code ${code})`)))
  return group
}
