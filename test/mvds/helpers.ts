/**
 * Test helpers for MVDS: group ids, and a tiny deterministic epoch-driven channel that
 * carries payloads between MvdsNodes through the real wire codec, with loss, duplication
 * and reordering drawn from a SeededRng. Delivery is never re-entrant: a payload sent at
 * epoch e arrives at e + delay (delay ≥ 1).
 */
import { SeededRng, chance, intBetween } from '../../src/env/rng.js'
import { MvdsNode, type MvdsNodeInit } from '../../src/mvds/index.js'
import { type MvdsPayload, decodeMvdsPayload, encodeMvdsPayload } from '../../src/wire/mvds.js'

export const GROUP = new Uint8Array(32).fill(0x47)
export const OTHER_GROUP = new Uint8Array(32).fill(0x4f)
export const text = (s: string) => new TextEncoder().encode(s)
export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
export const EMPTY: MvdsPayload = { acks: [], offers: [], requests: [], messages: [] }

/** A payload with only the given fields set. */
export function payload(p: Partial<MvdsPayload>): MvdsPayload {
  return { ...EMPTY, ...p }
}

/** Two nodes sharing GROUP with each other. */
export function pair(mode: MvdsNodeInit['mode'], init: Partial<MvdsNodeInit> = {}): [MvdsNode, MvdsNode] {
  const a = new MvdsNode({ id: 'a', mode, ...init })
  const b = new MvdsNode({ id: 'b', mode, ...init })
  a.share(GROUP, 'b')
  b.share(GROUP, 'a')
  return [a, b]
}

/** Channel behaviour; every probability is per payload and per direction. */
export interface ChannelOptions {
  loss?: number
  duplicate?: number
  /** Delay in epochs is uniform in [1, maxDelay]; > 1 reorders payloads. Default 1. */
  maxDelay?: number
}

interface InFlight {
  at: number
  seq: number
  from: string
  to: string
  bytes: Uint8Array
}

/** An in-memory network of MvdsNodes driven epoch by epoch. */
export class Channel {
  readonly nodes = new Map<string, MvdsNode>()
  readonly #rng: SeededRng
  readonly #opts: Required<ChannelOptions>
  #queue: InFlight[] = []
  #seq = 0
  /** Payloads put on the wire, lost, and delivered (a duplicate counts twice). */
  readonly counts = { sent: 0, lost: 0, delivered: 0, duplicated: 0 }
  /** Per node: MESSAGE records received and ACK ids sent (an ACK is only ever a reaction). */
  readonly records = new Map<string, { messagesIn: number; acksOut: number }>()
  /** `from>to@epoch` of every payload sent, to check the one-payload-per-peer-per-epoch rule. */
  readonly #sentKeys = new Set<string>()
  /** Per node: ids (hex) delivered to the application, in order, with the epoch. */
  readonly delivered = new Map<string, { id: string; epoch: number }[]>()
  epoch = 0

  constructor(seed: number, options: ChannelOptions = {}) {
    this.#rng = new SeededRng(seed)
    this.#opts = { loss: options.loss ?? 0, duplicate: options.duplicate ?? 0, maxDelay: options.maxDelay ?? 1 }
  }

  add(...nodes: MvdsNode[]): this {
    for (const n of nodes) {
      this.nodes.set(n.id, n)
      this.delivered.set(n.id, [])
      this.records.set(n.id, { messagesIn: 0, acksOut: 0 })
    }
    return this
  }

  /** One epoch: deliver what is due (in send order), then every node ticks. */
  step(): void {
    const e = this.epoch
    const due = this.#queue.filter((p) => p.at <= e).sort((x, y) => x.at - y.at || x.seq - y.seq)
    this.#queue = this.#queue.filter((p) => p.at > e)
    for (const p of due) {
      const node = this.nodes.get(p.to)
      if (node === undefined) throw new Error(`no node ${p.to}`)
      const decoded = decodeMvdsPayload(p.bytes)
      if (decoded === null) throw new Error('undecodable payload on the wire')
      this.counts.delivered++
      this.records.get(p.to)!.messagesIn += decoded.messages.length
      const { ids } = node.receive(p.from, decoded, e)
      for (const id of ids) this.delivered.get(p.to)!.push({ id: hex(id), epoch: e })
    }
    for (const node of this.nodes.values()) {
      for (const { peer, payload } of node.tick(e)) {
        const key = `${node.id}>${peer}@${e}`
        if (this.#sentKeys.has(key)) throw new Error(`two payloads ${key}`)
        this.#sentKeys.add(key)
        this.records.get(node.id)!.acksOut += payload.acks.length
        this.transmit(node.id, peer, encodeMvdsPayload(payload))
      }
    }
    this.epoch++
  }

  transmit(from: string, to: string, bytes: Uint8Array): void {
    this.counts.sent++
    const copies = chance(this.#rng, this.#opts.duplicate) ? 2 : 1
    if (copies === 2) this.counts.duplicated++
    for (let c = 0; c < copies; c++) {
      if (chance(this.#rng, this.#opts.loss)) {
        this.counts.lost++
        continue
      }
      this.#queue.push({ at: this.epoch + intBetween(this.#rng, 1, this.#opts.maxDelay), seq: this.#seq++, from, to, bytes })
    }
  }

  /** Steps until `done()` or `maxEpochs`; returns the epoch count run. */
  runUntil(done: () => boolean, maxEpochs: number): number {
    const start = this.epoch
    while (!done() && this.epoch - start < maxEpochs) this.step()
    return this.epoch - start
  }

  /** Hex ids delivered at a node. */
  deliveredIds(node: string): Set<string> {
    return new Set(this.delivered.get(node)!.map((d) => d.id))
  }
}
