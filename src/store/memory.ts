/**
 * An in-memory {@link BundleStore} for tests and the simulator. Per overlay: a map id → bundle,
 * a map global time → bundles (sorted by id), and a sorted array of the distinct global
 * times. A range scan binary-searches the next global time that passes the modulo filter, so
 * global times that fail it are jumped over without visiting their bundles.
 *
 * Data survives `close()` + `open()` of the same instance (like a database file would).
 * Scans are not snapshots: a bundle put during a scan is seen if its global time has not been
 * passed yet.
 */
import type { Bundle } from '../bundle/types.js'
import { AbstractBundleStore, throwIfAborted, type NormalizedRange } from './abstract.js'
import { MAX_SHORT_ID_MATCHES, type StateStore } from './types.js'
import { ShortIdIndex } from './short-ids.js'
import { compareBytes, hexKey, lastAtMost, lowerBound, nextPassing, passesModulo, prevPassing } from './range.js'

interface OverlayData {
  readonly byId: Map<string, Bundle>
  /** Bundles per global time, sorted by id ascending. */
  readonly byGt: Map<number, Bundle[]>
  /** Distinct global times, ascending. */
  readonly gts: number[]
  maxGt: number
  /** Hex ids of the bundles not marked delivered yet. */
  readonly undelivered: Set<string>
  /** Bundles by short id (item hash). */
  readonly byShort: ShortIdIndex<Bundle>
}

/** The memory backend. */
export class MemoryStore extends AbstractBundleStore implements StateStore {
  readonly #overlays = new Map<string, OverlayData>()
  readonly #state = new Map<string, Uint8Array>()

  async getState(name: string): Promise<Uint8Array | undefined> {
    return this.#state.get(name)
  }

  async putState(entries: ReadonlyArray<readonly [name: string, value: Uint8Array | undefined]>): Promise<void> {
    for (const [name, value] of entries) {
      if (value === undefined) this.#state.delete(name)
      else this.#state.set(name, value.slice())
    }
  }

  async stateEntries(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const names = [...this.#state.keys()].filter((n) => n.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    return names.map((n) => [n, this.#state.get(n)!])
  }

  protected async _open(): Promise<void> {}

  protected async _close(): Promise<void> {}

  protected async _put(bundle: Bundle): Promise<boolean> {
    return this.#insert(bundle)
  }

  protected async _putMany(bundles: readonly Bundle[]): Promise<number> {
    // All arguments are validated before this point and inserting cannot fail, so the batch
    // is atomic: no await separates the first insert from the last.
    let added = 0
    for (const b of bundles) if (this.#insert(b)) added++
    return added
  }

  protected async _get(overlay: Uint8Array, id: Uint8Array): Promise<Bundle | undefined> {
    return this.#overlays.get(hexKey(overlay))?.byId.get(hexKey(id))
  }

  protected async _byShortId(overlay: Uint8Array, short: Uint8Array): Promise<Bundle[]> {
    const found = this.#overlays.get(hexKey(overlay))?.byShort.get(short) ?? []
    return found.sort((a, b) => a.globalTime - b.globalTime || compareBytes(a.id, b.id)).slice(0, MAX_SHORT_ID_MATCHES)
  }

  protected async _has(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#overlays.get(hexKey(overlay))?.byId.has(hexKey(id)) ?? false
  }

  protected async _count(overlay: Uint8Array): Promise<number> {
    return this.#overlays.get(hexKey(overlay))?.byId.size ?? 0
  }

  protected async _maxGlobalTime(overlay: Uint8Array): Promise<number> {
    return this.#overlays.get(hexKey(overlay))?.maxGt ?? 0
  }

  protected async _delete(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    const data = this.#overlays.get(hexKey(overlay))
    const key = hexKey(id)
    const bundle = data?.byId.get(key)
    if (data === undefined || bundle === undefined) return false
    data.byId.delete(key)
    data.undelivered.delete(key)
    data.byShort.delete(bundle.id, bundle)
    const list = data.byGt.get(bundle.globalTime)!
    const at = list.indexOf(bundle)
    list.splice(at, 1)
    if (list.length === 0) {
      data.byGt.delete(bundle.globalTime)
      data.gts.splice(lowerBound(data.gts, bundle.globalTime), 1)
    }
    return true
  }

  protected async _markDelivered(overlay: Uint8Array, ids: readonly Uint8Array[]): Promise<void> {
    const data = this.#overlays.get(hexKey(overlay))
    if (data !== undefined) for (const id of ids) data.undelivered.delete(hexKey(id))
  }

  protected async _isUndelivered(overlay: Uint8Array, id: Uint8Array): Promise<boolean> {
    return this.#overlays.get(hexKey(overlay))?.undelivered.has(hexKey(id)) ?? false
  }

  protected async *_undelivered(overlay: Uint8Array): AsyncGenerator<Bundle> {
    const data = this.#overlays.get(hexKey(overlay))
    if (data === undefined) return
    const list = [...data.undelivered].map((key) => data.byId.get(key)!)
    list.sort((a, b) => a.globalTime - b.globalTime || compareBytes(a.id, b.id))
    for (const bundle of list) {
      this.assertOpen()
      if (data.undelivered.has(hexKey(bundle.id))) yield bundle
    }
  }

  protected async *_range(q: NormalizedRange): AsyncGenerator<Bundle> {
    const data = this.#overlays.get(hexKey(q.overlay))
    if (data === undefined) return
    const { modulo, offset } = q
    let rows = 0
    let yielded = 0
    // `want` is the next global time that passes the filter (in scan direction); `hint` is
    // where the last binary search ended, to make the next search short.
    let want = q.desc ? prevPassing(q.to, modulo, offset) : nextPassing(q.from, modulo, offset)
    let hint = q.desc ? data.gts.length : 0
    for (;;) {
      if (q.desc ? want < q.from : want > q.to) return
      const i = q.desc ? lastAtMost(data.gts, want, hint) : lowerBound(data.gts, want, hint)
      const gt = data.gts[i]
      if (gt === undefined || (q.desc ? gt < q.from : gt > q.to)) return
      hint = q.desc ? i + 1 : i
      if (!passesModulo(gt, modulo, offset)) {
        want = q.desc ? prevPassing(gt, modulo, offset) : nextPassing(gt, modulo, offset)
        continue
      }
      // Copy: the consumer may put or delete between two yields.
      const list = data.byGt.get(gt)!.slice()
      if (q.desc) list.reverse()
      for (const bundle of list) {
        throwIfAborted(q.signal)
        this.assertOpen()
        if (rows >= q.maxRows) return
        rows++
        this.counters.rowsRead++
        yield bundle
        if (++yielded >= q.limit) return
      }
      want = q.desc ? prevPassing(gt - 1, modulo, offset) : nextPassing(gt + 1, modulo, offset)
    }
  }

  #insert(bundle: Bundle): boolean {
    const overlayKey = hexKey(bundle.overlay)
    let data = this.#overlays.get(overlayKey)
    if (data === undefined) {
      data = { byId: new Map(), byGt: new Map(), gts: [], maxGt: 0, undelivered: new Set(), byShort: new ShortIdIndex() }
      this.#overlays.set(overlayKey, data)
    }
    const key = hexKey(bundle.id)
    if (data.byId.has(key)) return false
    data.byId.set(key, bundle)
    data.undelivered.add(key)
    data.byShort.add(bundle.id, bundle)
    const gt = bundle.globalTime
    const list = data.byGt.get(gt)
    if (list === undefined) {
      data.byGt.set(gt, [bundle])
      const last = data.gts[data.gts.length - 1]
      if (last === undefined || last < gt) data.gts.push(gt)
      else data.gts.splice(lowerBound(data.gts, gt), 0, gt)
    } else {
      let at = list.length
      while (at > 0 && compareBytes(list[at - 1]!.id, bundle.id) > 0) at--
      list.splice(at, 0, bundle)
    }
    if (gt > data.maxGt) data.maxGt = gt
    return true
  }
}
