/**
 * Sync-core benchmarks against a 100 000-bundle LevelDB store (issue 3): the median time to
 * build an offer (largest and modulo, fresh filter each time) and to answer one (an empty
 * filter over a pivot-sized range, the responder's worst honest case: it fills the 5 120-byte
 * response budget).
 *
 *   npm run build && node dist/bench/run.js --only sync
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BloomFilter } from '../src/bloom/index.js'
import { SeededRng } from '../src/env/rng.js'
import { LevelStore } from '../src/store/index.js'
import { answerOffer } from '../src/sync/answer.js'
import { offerSize } from '../src/sync/capacity.js'
import { syncConfig } from '../src/sync/config.js'
import { OfferBuilder } from '../src/sync/offer.js'
import { chunks, syntheticBundles } from './fixtures.js'
import type { BenchGroup } from './harness.js'

const BUNDLES = 100_000

export default function syncBench(): BenchGroup {
  let dir = ''
  let store: LevelStore
  let overlay: Uint8Array = new Uint8Array(32)
  const size = offerSize(1200, 0.01, 'ipv4')
  const rng = new SeededRng(5)
  let largest: OfferBuilder
  let modulo: OfferBuilder
  const config = syncConfig()
  const ctx = { globalTime: BUNDLES, acceptable: BUNDLES + 10_000, size, peerKey: 'peer' }
  const empty = new BloomFilter(size.bloomBytes, size.k, 1)
  return {
    group: 'sync',
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'bloomwalk-bench-sync-'))
      const bundles = syntheticBundles({ overlay: 'bench/sync', count: BUNDLES, maxGlobalTime: BUNDLES, seed: 3 })
      overlay = bundles[0]!.overlay
      store = new LevelStore(join(dir, 'db'))
      await store.open()
      for (const batch of chunks(bundles, 1000)) await store.putMany(batch)
      largest = new OfferBuilder(overlay, syncConfig({ strategy: 'largest' }), { store, rng })
      modulo = new OfferBuilder(overlay, syncConfig({ strategy: 'modulo' }), { store, rng })
    },
    async teardown() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
    cases: [
      {
        name: 'build offer, largest (pivot), 100 000 bundles in LevelDB',
        fn: async () => {
          largest.reset()
          await largest.claim(ctx)
        }
      },
      {
        name: 'build offer, modulo, 100 000 bundles in LevelDB',
        fn: async () => {
          modulo.reset()
          await modulo.claim(ctx)
        }
      },
      {
        name: 'answer an offer (empty filter, 5 120-byte budget), LevelDB',
        fn: async () => {
          const low = 1 + Math.floor(rng.u32() % (BUNDLES - 2000))
          await answerOffer({ timeLow: low, timeHigh: low + 1000, modulo: 1, offset: 0, bloom: empty }, { store, overlay, globalTime: BUNDLES, rng }, config)
        }
      },
      {
        name: 'answer a modulo offer holding every bundle (row cap bound), LevelDB',
        fn: async () => {
          await answerOffer({ timeLow: 1, timeHigh: 0, modulo: 120, offset: 7, bloom: { has: () => true } }, { store, overlay, globalTime: BUNDLES, rng }, config)
        }
      }
    ]
  }
}
