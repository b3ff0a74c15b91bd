/** A two-party offer/answer harness over real stores: the sync core without a network. */
import { SeededRng } from '../../src/env/rng.js'
import type { Bundle } from '../../src/bundle/types.js'
import type { BundleStore } from '../../src/store/types.js'
import { MemoryStore } from '../../src/store/memory.js'
import { answerOffer } from '../../src/sync/answer.js'
import { type SyncConfig, syncConfig } from '../../src/sync/config.js'
import { type OfferSize, OfferBuilder } from '../../src/sync/offer.js'
import { bloomCapacity, bloomOptimalK } from '../../src/bloom/index.js'

/** A filter size like the one an IPv4 introduction-request at 1 200 bytes leaves room for. */
export function sizeFor(bloomBytes: number, fpr = 0.01): OfferSize {
  const capacity = bloomCapacity(bloomBytes, fpr)
  return { bloomBytes, k: bloomOptimalK(bloomBytes * 8, capacity), capacity }
}

export interface Party {
  name: string
  store: BundleStore
  builder: OfferBuilder
  rng: SeededRng
}

export async function party(name: string, overlay: Uint8Array, bundles: Bundle[], config: SyncConfig, seed: number): Promise<Party> {
  const store = new MemoryStore()
  await store.open()
  await store.putMany(bundles)
  const rng = new SeededRng(seed)
  return { name, store, rng, builder: new OfferBuilder(overlay, config, { store, rng }) }
}

export interface StepResult {
  offered: boolean
  received: number
  rowsRead: number
}

/** One walk step: `walker` offers to `peer`, `peer` answers, `walker` stores what arrived. */
export async function step(walker: Party, peer: Party, overlay: Uint8Array, config: SyncConfig, size: OfferSize): Promise<StepResult> {
  const globalTime = await walker.store.maxGlobalTime(overlay)
  const peerGlobalTime = await peer.store.maxGlobalTime(overlay)
  const offer = await walker.builder.claim({ globalTime, acceptable: globalTime + 10_000, size, peerKey: peer.name, peerGlobalTime })
  if (offer === null) return { offered: false, received: 0, rowsRead: 0 }
  const answer = await answerOffer(offer, { store: peer.store, overlay, globalTime: peerGlobalTime, rng: peer.rng }, config)
  const fresh: Bundle[] = []
  for (const b of answer.bundles) if (await walker.store.put(b)) fresh.push(b)
  walker.builder.onStored(fresh, peer.name)
  return { offered: true, received: fresh.length, rowsRead: answer.rowsRead }
}

/** Alternating steps in both directions until both stores hold the union; returns the rounds used (one round = a step each way). */
export async function converge(a: Party, b: Party, overlay: Uint8Array, config: SyncConfig, size: OfferSize, union: number, maxRounds: number): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    await step(a, b, overlay, config, size)
    await step(b, a, overlay, config, size)
    if ((await a.store.count(overlay)) === union && (await b.store.count(overlay)) === union) return round
  }
  return Infinity
}

export { syncConfig }
