/**
 * The spammers of one run (./spammers.ts): their nodes, the tick that mints an identity and
 * relays what the policy lets every identity publish, the counters of spam the honest peers
 * forward, and the figures at the end. Owns its timer; {@link SpamRun.stop} cancels it.
 */
import type { RoomPolicy } from '../bundle/policy.js'
import { BloomwalkError } from '../errors.js'
import type { Cancel } from '../env/clock.js'
import { hex } from '../bytes.js'
import type { BloomwalkNode } from '../node/index.js'
import type { BundleStore } from '../store/types.js'
import type { Transport } from '../transport/index.js'
import type { SpamFigures } from './driver.js'
import type { SpamSpec } from './scenario.js'
import { SpamCountingTransport, SpamModel, identityMs, spammerCount } from './spammers.js'
import type { SimWorld } from './world.js'

/** What the report reads of an honest peer. */
export interface HonestPeer {
  store: BundleStore
  sentBytes: number
  transport: Transport
}

export class SpamRun {
  readonly spammers: number
  readonly model: SpamModel
  readonly #world: SimWorld
  readonly #overlay: Uint8Array
  readonly #nodes: BloomwalkNode[] = []
  readonly #intervalMs: number
  #cancel: Cancel | undefined
  #stopped = false
  /** Spam bundles a spammer's own node refused (none while the model keeps to the policy). */
  refused = 0
  /** The tick in progress (the next waits for it). */
  #busy: Promise<void> = Promise.resolve()

  constructor(world: SimWorld, overlay: Uint8Array, policy: RoomPolicy, spec: SpamSpec) {
    this.#world = world
    this.#overlay = overlay
    this.spammers = spammerCount(world.scenario.peers, spec.fraction)
    this.model = new SpamModel(overlay, policy, spec, this.spammers, world.spamRng.fork(), world.sign)
    this.#intervalMs = identityMs(spec)
  }

  /** An honest peer's transport, counting the spam it sends. */
  count(inner: Transport): SpamCountingTransport {
    const authors = this.model.authors
    return new SpamCountingTransport(inner, (a) => authors.has(a))
  }

  /** A spammer's node (started, in the room). */
  add(node: BloomwalkNode): void {
    this.#nodes.push(node)
  }

  /** Starts the ticks: the first identity is paid for after one interval. */
  start(): void {
    if (this.#nodes.length === 0) return
    const clock = this.#world.clock
    let due = clock.now() + this.#intervalMs
    const tick = () => {
      if (this.#stopped) return
      this.#busy = this.#busy.then(() => this.#tick())
      due += this.#intervalMs
      this.#cancel = clock.setTimeout(tick, Math.max(0, Math.round(due - clock.now())))
    }
    this.#cancel = clock.setTimeout(tick, Math.round(this.#intervalMs))
  }

  stop(): void {
    this.#stopped = true
    this.#cancel?.()
  }

  async #tick(): Promise<void> {
    for (let s = 0; s < this.#nodes.length; s++) {
      if (this.#stopped) return
      const node = this.#nodes[s]!
      const time = (node.stats().overlays[0]?.globalTime ?? 0) + 1
      for (const b of this.model.tick(s, time)) {
        try {
          await node.relay(this.#overlay, b)
        } catch (err) {
          if (!(err instanceof BloomwalkError)) throw err
          this.refused++
        }
      }
    }
  }

  /** The figures at the end: over the honest peers given (running ones), at room time `time`. */
  async report(honest: readonly HonestPeer[], time: number): Promise<SpamFigures> {
    await this.#busy
    const authors = this.model.authors
    let stored = 0
    let spamTotal = 0
    let spamMax = 0
    let forwarded = 0
    let forwardedBytes = 0
    let sent = 0
    for (const h of honest) {
      let spam = 0
      for await (const b of h.store.range({ overlay: this.#overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) {
        stored += b.bytes.length
        if (authors.has(hex(b.author))) spam++
      }
      spamTotal += spam
      spamMax = Math.max(spamMax, spam)
      sent += h.sentBytes
      if (h.transport instanceof SpamCountingTransport) {
        forwarded += h.transport.tally.bundles
        forwardedBytes += h.transport.tally.bytes
      }
    }
    const n = Math.max(1, honest.length)
    const mean = (x: number) => Math.round(x / n)
    return {
      spammers: this.spammers,
      identities: this.model.identities,
      identityMs: Math.round(this.#intervalMs * 1000) / 1000,
      published: this.model.published,
      policyBound: this.model.policyBound(time),
      honestPeers: honest.length,
      sentBytesPerHonestPeer: mean(sent),
      storedBytesPerHonestPeer: mean(stored),
      spamStoredMean: mean(spamTotal),
      spamStoredMax: spamMax,
      spamForwardedPerHonestPeer: mean(forwarded),
      spamForwardedBytesPerHonestPeer: mean(forwardedBytes),
      versusNoSpam: null
    }
  }
}
