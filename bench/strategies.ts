/**
 * Measures the range-selection strategies (docs/sync.md): walk steps a node needs to pull
 * what it lacks from one peer, in three situations, for `largest`, `modulo` and `adaptive`.
 * The sync core only (offer → answer → store), no network: one step = one offer and its
 * answer (≤ 5 120 bytes of bundles).
 *
 *   npm run build && node dist/bench/strategies.js [--json] [--seeds 5] [--shared 20000]
 */
import { SeededRng, shuffle } from '../src/env/rng.js'
import { MemoryStore } from '../src/store/memory.js'
import { answerOffer } from '../src/sync/answer.js'
import { offerSize } from '../src/sync/capacity.js'
import { syncConfig, type Strategy } from '../src/sync/config.js'
import { OfferBuilder } from '../src/sync/offer.js'
import type { Bundle } from '../src/bundle/types.js'
import { syntheticBundles } from './fixtures.js'

const args = process.argv.slice(2)
const json = args.includes('--json')
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`)
  return at >= 0 ? Number(args[at + 1]) : fallback
}
const SEEDS = option('seeds', 5)
const SHARED = option('shared', 20_000)
const MAX_STEPS = 2000
const size = offerSize(1200, 0.01, 'ipv4')

interface Scenario {
  name: string
  /** Bundles both hold, what only the peer holds. */
  split(all: Bundle[], rng: SeededRng): { shared: Bundle[]; missing: Bundle[] }
  /** Run the walker against the shared set until adaptive says "in sync" before the gap appears. */
  warm: boolean
}

const scenarios: Scenario[] = [
  {
    name: 'behind: lacks the newest half',
    warm: false,
    split: (all) => {
      const sorted = [...all].sort((a, b) => a.globalTime - b.globalTime)
      return { shared: sorted.slice(0, SHARED / 2), missing: sorted.slice(SHARED / 2) }
    }
  },
  {
    name: 'scattered: lacks 200 random old bundles',
    warm: false,
    split: (all, rng) => {
      const mixed = shuffle(rng, [...all])
      return { shared: mixed.slice(200), missing: mixed.slice(0, 200) }
    }
  },
  {
    name: 'fresh: in sync, then 30 new bundles appear at the peer',
    warm: true,
    split: (all) => {
      const sorted = [...all].sort((a, b) => a.globalTime - b.globalTime)
      return { shared: sorted.slice(0, SHARED - 30), missing: sorted.slice(SHARED - 30) }
    }
  }
]

async function stepsToPull(strategy: Strategy, scenario: Scenario, seed: number): Promise<number> {
  const rng = new SeededRng(seed)
  const all = syntheticBundles({ overlay: 'bench/strategies', count: SHARED, maxGlobalTime: SHARED, seed })
  const { shared, missing } = scenario.split(all, rng)
  const walker = new MemoryStore()
  const peer = new MemoryStore()
  await Promise.all([walker.open(), peer.open()])
  await walker.putMany(shared)
  await peer.putMany(shared)
  const overlay = all[0]!.overlay
  const config = syncConfig({ strategy })
  const builder = new OfferBuilder(overlay, config, { store: walker, rng })
  const step = async (): Promise<number> => {
    const gt = await walker.maxGlobalTime(overlay)
    const peerGt = await peer.maxGlobalTime(overlay)
    const offer = await builder.claim({ globalTime: gt, acceptable: gt + 10_000, size, peerKey: 'peer', peerGlobalTime: peerGt })
    if (offer === null) return 0
    const answer = await answerOffer(offer, { store: peer, overlay, globalTime: peerGt, rng }, config)
    const fresh: Bundle[] = []
    for (const b of answer.bundles) if (await walker.put(b)) fresh.push(b)
    builder.onStored(fresh, 'peer')
    return fresh.length
  }
  if (scenario.warm) for (let i = 0; i < 200 && builder.stats.largest === 0; i++) await step()
  await peer.putMany(missing)
  const target = shared.length + missing.length
  for (let steps = 1; steps <= MAX_STEPS; steps++) {
    await step()
    if ((await walker.count(overlay)) === target) return steps
  }
  return Infinity
}

const results: { scenario: string; strategy: Strategy; steps: number[]; mean: number; max: number }[] = []
for (const scenario of scenarios) {
  for (const strategy of ['largest', 'modulo', 'adaptive'] as const) {
    const steps: number[] = []
    for (let seed = 1; seed <= SEEDS; seed++) steps.push(await stepsToPull(strategy, scenario, seed))
    const mean = steps.reduce((a, b) => a + b, 0) / steps.length
    results.push({ scenario: scenario.name, strategy, steps, mean, max: Math.max(...steps) })
  }
}

if (json) {
  for (const r of results) process.stdout.write(JSON.stringify(r) + '\n')
} else {
  process.stdout.write(`walk steps to pull what one peer has (shared ${SHARED}, capacity ${size.capacity}, ${SEEDS} seeds, cap ${MAX_STEPS})\n\n`)
  process.stdout.write('| situation | largest | modulo | adaptive |\n|---|---|---|---|\n')
  for (const scenario of scenarios) {
    const cell = (s: Strategy) => {
      const r = results.find((x) => x.scenario === scenario.name && x.strategy === s)!
      return `${r.mean.toFixed(1)} (max ${r.max})`
    }
    process.stdout.write(`| ${scenario.name} | ${cell('largest')} | ${cell('modulo')} | ${cell('adaptive')} |\n`)
  }
}
