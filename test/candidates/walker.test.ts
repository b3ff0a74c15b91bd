import { describe, expect, it } from 'vitest'
import { BEHIND_TRUSTED_SHARE, CandidateTable, REVISIT_DELAY_MS, TRUSTED_RECHECK_MS, type Category, DEFAULT_CATEGORY_WEIGHTS, USEFUL_LIFETIME_MS, WALK_ELIGIBLE_DELAY_MS, drawCategory, pacedWalkEligibleDelayMs, withTrustedShare } from '../../src/candidates/index.js'
import { SeededRng } from '../../src/env/index.js'
import { info } from './helpers.js'

const T0 = 1_000_000
const ONLY_WALK = { trusted: 0, walk: 1, stumble: 0, intro: 0 }

/**
 * One candidate per category: trusted 9.9.9.9, walk 1.1.1.1, stumble 2.2.2.2, intro 3.3.3.3.
 * With trusted, also 9.9.9.7, walked to a moment before `now` (so not eligible): a node that
 * checked a trusted peer recently, which rule 6's recheck leaves at Dispersy's weights.
 */
function fourCategories(t: CandidateTable, now: number, which: readonly Category[] = ['trusted', 'walk', 'stumble', 'intro']): void {
  if (which.includes('trusted')) {
    t.addTrusted('9.9.9.9:1')
    t.addTrusted('9.9.9.7:1')
    t.recordWalk('9.9.9.7:1', now - 1)
  }
  if (which.includes('walk')) t.recordWalkReply('1.1.1.1:1', info('1.1.1.1:1'), now)
  if (which.includes('stumble')) t.recordStumble('2.2.2.2:1', info('2.2.2.2:1'), now)
  if (which.includes('intro')) t.recordIntro('3.3.3.3:1', info('3.3.3.3:1'), now)
}

function tally(t: CandidateTable, now: number, draws: number, seed: number): Record<Category | 'none', number> {
  const rng = new SeededRng(seed)
  const counts = { trusted: 0, walk: 0, stumble: 0, intro: 0, none: 0 }
  for (let i = 0; i < draws; i++) {
    const c = t.nextWalkTarget(now, rng)
    counts[c === undefined ? 'none' : t.category(c.key, now)!]++
  }
  return counts
}

/** |observed − p| within 4.5 standard deviations of a binomial proportion. */
function expectShare(observed: number, draws: number, p: number): void {
  const sd = Math.sqrt((p * (1 - p)) / draws)
  expect(Math.abs(observed / draws - p)).toBeLessThanOrEqual(4.5 * sd + 1e-12)
}

describe('nextWalkTarget: category draw', () => {
  it('matches 1 / 49.5 / 24.75 / 24.75 % over 100 000 draws', () => {
    const t = new CandidateTable()
    fourCategories(t, T0)
    const N = 100_000
    const counts = tally(t, T0, N, 42)
    expect(counts.none).toBe(0)
    for (const cat of ['trusted', 'walk', 'stumble', 'intro'] as const) expectShare(counts[cat], N, DEFAULT_CATEGORY_WEIGHTS[cat])
  })

  it('honours configured weights', () => {
    const t = new CandidateTable({ categoryWeights: { trusted: 0.25, walk: 0.25, stumble: 0.25, intro: 0.25 } })
    fourCategories(t, T0)
    const N = 40_000
    const counts = tally(t, T0, N, 5)
    for (const cat of ['trusted', 'walk', 'stumble', 'intro'] as const) expectShare(counts[cat], N, 0.25)
  })

  it('falls back to the non-empty categories in proportion to their weights', () => {
    const t = new CandidateTable()
    fourCategories(t, T0, ['walk', 'intro'])
    const N = 50_000
    const counts = tally(t, T0, N, 9)
    expect(counts.trusted + counts.stumble + counts.none).toBe(0)
    expectShare(counts.walk, N, 0.495 / (0.495 + 0.2475))
    expectShare(counts.intro, N, 0.2475 / (0.495 + 0.2475))
  })

  it('falls back to trusted alone when nothing else is eligible', () => {
    const t = new CandidateTable()
    fourCategories(t, T0, ['trusted'])
    expect(tally(t, T0, 1_000, 1).trusted).toBe(1_000)
  })

  it('treats a category whose candidates are all ineligible as empty', () => {
    const t = new CandidateTable()
    fourCategories(t, T0)
    for (const k of ['9.9.9.9:1', '1.1.1.1:1', '2.2.2.2:1']) t.recordWalk(k, T0)
    const counts = tally(t, T0 + 1, 1_000, 2)
    expect(counts.intro).toBe(1_000)
  })

  it('returns undefined when no candidate is eligible, nor walked to revisitDelayMs ago', () => {
    const t = new CandidateTable()
    expect(t.nextWalkTarget(T0, new SeededRng(1))).toBeUndefined()
    fourCategories(t, T0, ['stumble'])
    t.recordWalk('2.2.2.2:1', T0)
    // Unanswered: left to its walk timeout, never revisited.
    expect(t.nextWalkTarget(T0 + REVISIT_DELAY_MS, new SeededRng(1))).toBeUndefined()
    t.recordWalkReply('2.2.2.2:1', info('2.2.2.2:1'), T0 + 10)
    expect(t.nextWalkTarget(T0 + REVISIT_DELAY_MS - 1, new SeededRng(1))).toBeUndefined()
    expect(t.nextWalkTarget(T0 + REVISIT_DELAY_MS, new SeededRng(1))?.key).toBe('2.2.2.2:1')
    expect(t.nextWalkTarget(T0 + WALK_ELIGIBLE_DELAY_MS, new SeededRng(1))?.key).toBe('2.2.2.2:1')
  })

  it('never draws a zero-weight category, even as a fallback', () => {
    const t = new CandidateTable({ categoryWeights: { trusted: 0 } })
    fourCategories(t, T0, ['trusted'])
    expect(t.nextWalkTarget(T0, new SeededRng(1))).toBeUndefined()
  })

  it('drawCategory is deterministic for a seed', () => {
    const a = new SeededRng(77)
    const b = new SeededRng(77)
    const cats: Category[] = ['walk', 'stumble', 'intro']
    for (let i = 0; i < 100; i++) expect(drawCategory(cats, DEFAULT_CATEGORY_WEIGHTS, a)).toBe(drawCategory(cats, DEFAULT_CATEGORY_WEIGHTS, b))
    expect(drawCategory([], DEFAULT_CATEGORY_WEIGHTS, a)).toBeUndefined()
  })
})

describe('nextWalkTarget: oldest eligible first', () => {
  it('prefers never-walked candidates, then the oldest last walk', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    const keys = ['1.1.1.1:1', '1.1.1.2:1', '1.1.1.3:1']
    for (const k of keys) t.recordWalkReply(k, info(k), T0)
    t.recordWalk('1.1.1.1:1', T0 - 40_000)
    t.recordWalk('1.1.1.2:1', T0 - 50_000)
    const rng = new SeededRng(1)
    expect(t.nextWalkTarget(T0, rng)?.key).toBe('1.1.1.3:1') // never walked
    t.recordWalk('1.1.1.3:1', T0)
    expect(t.nextWalkTarget(T0, rng)?.key).toBe('1.1.1.2:1') // walked 50 s ago
    t.recordWalk('1.1.1.2:1', T0)
    expect(t.nextWalkTarget(T0, rng)?.key).toBe('1.1.1.1:1')
    t.recordWalk('1.1.1.1:1', T0)
    expect(t.nextWalkTarget(T0, rng)).toBeUndefined() // all walked just now
  })

  it('breaks ties by age in the table (first added first)', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    for (const k of ['5.5.5.5:1', '1.1.1.1:1', '3.3.3.3:1']) t.recordWalkReply(k, info(k), T0)
    expect(t.nextWalkTarget(T0, new SeededRng(1))?.key).toBe('5.5.5.5:1')
  })

  it('cycles through every candidate when the walker records each walk', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK, walkEligibleDelayMs: 0 })
    const keys = Array.from({ length: 5 }, (_, i) => `1.1.1.${i + 1}:1`)
    for (const k of keys) t.recordWalkReply(k, info(k), T0)
    const rng = new SeededRng(1)
    const order: string[] = []
    for (let step = 0; step < 10; step++) {
      const c = t.nextWalkTarget(T0 + step, rng)!
      order.push(c.key)
      t.recordWalk(c.key, T0 + step)
    }
    expect(order).toEqual([...keys, ...keys])
  })
})

describe('nextWalkTarget: a short table revisits rather than idling', () => {
  /** A walk to `key` (in the table) at `now`, answered at once. */
  function walkAnswered(t: CandidateTable, key: string, now: number): void {
    t.recordWalk(key, now)
    t.recordWalkReply(key, info(key), now)
  }

  /** Walk candidates 1.1.1.1 … 1.1.1.n, each walked to (and answered) at T0 + i ms. */
  function walkedAll(n: number, init: ConstructorParameters<typeof CandidateTable>[0] = {}): CandidateTable {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK, ...init })
    for (let i = 1; i <= n; i++) {
      t.recordWalkReply(`1.1.1.${i}:1`, info(`1.1.1.${i}:1`), T0)
      walkAnswered(t, `1.1.1.${i}:1`, T0 + i)
    }
    return t
  }

  it('walks again to the candidate walked longest ago, once revisitDelayMs has passed', () => {
    const t = walkedAll(3)
    const rng = new SeededRng(1)
    expect(t.nextWalkTarget(T0 + 1 + REVISIT_DELAY_MS - 1, rng)).toBeUndefined()
    expect(t.nextWalkTarget(T0 + 1 + REVISIT_DELAY_MS, rng)?.key).toBe('1.1.1.1:1')
    // Three peers and a walk every 5 s: each walked to every 15 s, never an idle step.
    const order: string[] = []
    for (let now = T0 + 10_000; now < T0 + WALK_ELIGIBLE_DELAY_MS; now += 5_000) {
      const c = t.nextWalkTarget(now, rng)!
      order.push(c.key)
      walkAnswered(t, c.key, now)
    }
    expect(order).toEqual(['1.1.1.1:1', '1.1.1.2:1', '1.1.1.3:1', '1.1.1.1:1'])
  })

  it('one peer alone is walked to every step, though each walk is recorded a little after its step began', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    t.recordWalkReply('1.1.1.1:1', info('1.1.1.1:1'), T0)
    const rng = new SeededRng(1)
    for (let step = 0; step < 12; step++) {
      const now = T0 + step * 5_000
      expect(t.nextWalkTarget(now, rng)?.key).toBe('1.1.1.1:1')
      walkAnswered(t, '1.1.1.1:1', now + 40) // the request left 40 ms into the step (a store read first)
    }
  })

  it('takes an eligible candidate before any revisit', () => {
    const t = walkedAll(3)
    t.recordIntro('3.3.3.3:1', info('3.3.3.3:1'), T0)
    const c = new CandidateTable({ categoryWeights: { trusted: 0, walk: 1, stumble: 0, intro: 1 } })
    for (let i = 1; i <= 3; i++) {
      c.recordWalkReply(`1.1.1.${i}:1`, info(`1.1.1.${i}:1`), T0)
      walkAnswered(c, `1.1.1.${i}:1`, T0)
    }
    c.recordIntro('3.3.3.3:1', info('3.3.3.3:1'), T0)
    expect(c.nextWalkTarget(T0 + 10_000, new SeededRng(1))?.key).toBe('3.3.3.3:1')
    // With the intro category's weight 0 it is never walked, so the walk candidates are revisited.
    expect(t.nextWalkTarget(T0 + 10_000, new SeededRng(1))?.key).toBe('1.1.1.1:1')
  })

  it('never revisits an address that did not answer its last walk (its walk timeout decides)', () => {
    const t = walkedAll(2)
    t.recordWalk('1.1.1.1:1', T0 + 10_000)
    t.recordWalk('1.1.1.2:1', T0 + 10_001)
    expect(t.nextWalkTarget(T0 + 20_000, new SeededRng(1))).toBeUndefined()
    t.recordWalkReply('1.1.1.2:1', info('1.1.1.2:1'), T0 + 10_100)
    expect(t.nextWalkTarget(T0 + 20_000, new SeededRng(1))?.key).toBe('1.1.1.2:1')
  })

  it('a tracker keeps its delay while another peer can be revisited, and is revisited when none can', () => {
    const t = new CandidateTable()
    t.addTrusted('9.9.9.9:1')
    t.recordWalk('9.9.9.9:1', T0)
    t.recordStumble('2.2.2.2:1', info('2.2.2.2:1'), T0)
    walkAnswered(t, '2.2.2.2:1', T0)
    expect(t.nextWalkTarget(T0 + REVISIT_DELAY_MS, new SeededRng(1))?.key).toBe('2.2.2.2:1')
    // 2.2.2.2 does not answer the revisit: nobody can be walked to but the tracker (our answers
    // were lost, say), which is walked to every revisitDelayMs, answered or not.
    t.recordWalk('2.2.2.2:1', T0 + REVISIT_DELAY_MS)
    const later = T0 + 2 * REVISIT_DELAY_MS
    expect(t.nextWalkTarget(later, new SeededRng(1))?.key).toBe('9.9.9.9:1')
    t.recordWalk('9.9.9.9:1', later)
    expect(t.nextWalkTarget(later + REVISIT_DELAY_MS - 1, new SeededRng(1))).toBeUndefined()
    expect(t.nextWalkTarget(later + REVISIT_DELAY_MS, new SeededRng(1))?.key).toBe('9.9.9.9:1')
    // A trusted weight of 0 is never walked, revisit or not.
    const never = new CandidateTable({ categoryWeights: { trusted: 0 } })
    never.addTrusted('9.9.9.9:1')
    never.recordWalk('9.9.9.9:1', T0)
    expect(never.nextWalkTarget(T0 + REVISIT_DELAY_MS, new SeededRng(1))).toBeUndefined()
  })

  it('a host still counts once: sixteen unproven ports and another host alternate', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    for (let p = 1; p <= 16; p++) t.recordWalkReply(`5.5.5.5:${p}`, info(`5.5.5.5:${p}`), T0)
    t.recordWalkReply('6.6.6.6:1', info('6.6.6.6:1'), T0)
    const rng = new SeededRng(3)
    const hosts: string[] = []
    for (let now = T0; now < T0 + 60_000; now += 5_000) {
      const c = t.nextWalkTarget(now, rng)!
      walkAnswered(t, c.key, now)
      hosts.push(c.key.split(':')[0]!)
    }
    expect(hosts).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? '5.5.5.5' : '6.6.6.6')))
  })

  it('revisitDelayMs: four fifths of a step at the eligibility delay\'s pace by default; at the delay it is off; above it is refused', () => {
    expect(new CandidateTable().options.revisitDelayMs).toBe(REVISIT_DELAY_MS)
    expect(REVISIT_DELAY_MS).toBe(4000)
    expect(new CandidateTable({ walkEligibleDelayMs: pacedWalkEligibleDelayMs(250) }).options.revisitDelayMs).toBe(200)
    const off = walkedAll(2, { revisitDelayMs: WALK_ELIGIBLE_DELAY_MS })
    expect(off.nextWalkTarget(T0 + WALK_ELIGIBLE_DELAY_MS, new SeededRng(1))).toBeUndefined()
    expect(() => new CandidateTable({ revisitDelayMs: WALK_ELIGIBLE_DELAY_MS + 1 })).toThrow(/revisitDelayMs/)
  })
})

describe('nextWalkTarget: a host counts once', () => {
  it('sixteen ports of one IPv4 host are one walk target per walkEligibleDelayMs', () => {
    // Revisits off (they share a host the same way: the next test).
    const t = new CandidateTable({ categoryWeights: ONLY_WALK, revisitDelayMs: WALK_ELIGIBLE_DELAY_MS })
    for (let p = 1; p <= 16; p++) t.recordWalkReply(`5.5.5.5:${p}`, info(`5.5.5.5:${p}`), T0)
    t.recordWalkReply('6.6.6.6:1', info('6.6.6.6:1'), T0)
    const rng = new SeededRng(3)
    const walked: string[] = []
    // Over one delay, with a walk every 5 s: each host once, however many ports it binds.
    for (let now = T0; now < T0 + WALK_ELIGIBLE_DELAY_MS; now += 5_000) {
      const c = t.nextWalkTarget(now, rng)
      if (c === undefined) continue
      t.recordWalk(c.key, now)
      walked.push(c.key)
    }
    expect(walked).toEqual(['5.5.5.5:1', '6.6.6.6:1'])
    // Once the delay has passed the host is eligible again, through the port walked to longest ago (never first).
    const next = t.nextWalkTarget(T0 + WALK_ELIGIBLE_DELAY_MS, rng)
    expect(next?.key).toBe('5.5.5.5:2')
  })

  it('orders hosts by their last walk, not by a never-walked port', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    t.recordWalkReply('5.5.5.5:1', info('5.5.5.5:1'), T0)
    t.recordWalkReply('6.6.6.6:1', info('6.6.6.6:1'), T0)
    t.recordWalk('6.6.6.6:1', T0)
    t.recordWalk('5.5.5.5:1', T0 + 1_000)
    // A new port of 5.5.5.5 was never walked to, but its host was walked after 6.6.6.6.
    t.recordWalkReply('5.5.5.5:2', info('5.5.5.5:2'), T0 + 2_000)
    const now = T0 + 1_000 + WALK_ELIGIBLE_DELAY_MS
    expect(t.nextWalkTarget(now, new SeededRng(1))?.key).toBe('6.6.6.6:1')
  })

  it('an IPv6 /64 is one host; another /64 of the same /48 is another', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    t.recordWalkReply('[2001:db8:1:1::a]:1', info('[2001:db8:1:1::a]:1'), T0)
    t.recordWalkReply('[2001:db8:1:1::b]:1', info('[2001:db8:1:1::b]:1'), T0)
    t.recordWalkReply('[2001:db8:1:2::a]:1', info('[2001:db8:1:2::a]:1'), T0)
    const rng = new SeededRng(1)
    const first = t.nextWalkTarget(T0, rng)!
    expect(first.key).toBe('[2001:db8:1:1::a]:1')
    t.recordWalk(first.key, T0)
    expect(t.nextWalkTarget(T0, rng)?.key).toBe('[2001:db8:1:2::a]:1')
    t.recordWalk('[2001:db8:1:2::a]:1', T0)
    expect(t.nextWalkTarget(T0, rng)).toBeUndefined()
  })

  it('trusted entries keep the per-address rule and do not hold back their host', () => {
    const t = new CandidateTable({ categoryWeights: { trusted: 1, walk: 1, stumble: 0, intro: 0 } })
    t.addTrusted('7.7.7.7:1')
    t.addTrusted('7.7.7.7:2')
    t.recordWalkReply('7.7.7.7:3', info('7.7.7.7:3'), T0)
    t.recordWalk('7.7.7.7:1', T0)
    const counts = tally(t, T0, 1_000, 4)
    // 7.7.7.7:2 (trusted, never walked) and 7.7.7.7:3 (walk; the trusted walk does not gate it) stay eligible.
    expect(counts.none).toBe(0)
    expect(counts.trusted + counts.walk).toBe(1_000)
    expect(counts.walk).toBeGreaterThan(0)
    expect(counts.trusted).toBeGreaterThan(0)
  })
})

/** Walks every `stepMs` from `from` (inclusive) to `to` (exclusive); returns the keys walked to. */
function walkEvery(t: CandidateTable, from: number, to: number, stepMs: number, rng: SeededRng): string[] {
  const walked: string[] = []
  for (let now = from; now < to; now += stepMs) {
    const c = t.nextWalkTarget(now, rng)
    if (c === undefined) continue
    t.recordWalk(c.key, now)
    walked.push(c.key)
  }
  return walked
}

describe('nextWalkTarget: a port that sent us a new bundle counts as a peer of its own', () => {
  // These walk every second and count walks per eligibility delay: revisits are off
  // (`revisitDelayMs` = the delay); they share a host the same way (the tests above).
  const NO_REVISIT = { categoryWeights: ONLY_WALK, revisitDelayMs: WALK_ELIGIBLE_DELAY_MS }

  it('ten useful ports of one address are each walked to once per delay, the unproven ports of that address once between them', () => {
    const t = new CandidateTable(NO_REVISIT)
    for (let p = 1; p <= 16; p++) t.recordWalkReply(`5.5.5.5:${p}`, info(`5.5.5.5:${p}`), T0)
    for (let p = 1; p <= 10; p++) expect(t.recordUseful(`5.5.5.5:${p}`, T0)).toBe(true)
    // A walk every 1 s over one delay (27.5 walks): the ten useful ports and one of the six unproven ones.
    const walked = walkEvery(t, T0, T0 + WALK_ELIGIBLE_DELAY_MS, 1_000, new SeededRng(3))
    const useful = walked.filter((k) => Number(k.split(':')[1]) <= 10)
    expect(new Set(useful).size).toBe(10)
    expect(useful.length).toBe(10)
    expect(walked.length - useful.length).toBe(1)
  })

  it('the Sybil case is unchanged: sixteen ports that never forward anything are one walk target per delay', () => {
    const t = new CandidateTable(NO_REVISIT)
    for (let p = 1; p <= 16; p++) t.recordWalkReply(`5.5.5.5:${p}`, info(`5.5.5.5:${p}`), T0)
    expect(walkEvery(t, T0, T0 + WALK_ELIGIBLE_DELAY_MS, 1_000, new SeededRng(3))).toEqual(['5.5.5.5:1'])
  })

  it('a walk to an unproven port that then delivers frees its host for the next unproven port at once', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    for (let p = 1; p <= 3; p++) t.recordWalkReply(`5.5.5.5:${p}`, info(`5.5.5.5:${p}`), T0)
    const rng = new SeededRng(1)
    const first = t.nextWalkTarget(T0, rng)!
    t.recordWalk(first.key, T0)
    expect(t.nextWalkTarget(T0 + 100, rng)).toBeUndefined()
    t.recordUseful(first.key, T0 + 200)
    const second = t.nextWalkTarget(T0 + 300, rng)
    expect(second).toBeDefined()
    expect(second!.key).not.toBe(first.key)
  })

  it('usefulness lapses after usefulLifetimeMs: the port counts with its host again', () => {
    const t = new CandidateTable({ ...NO_REVISIT, walkLifetimeMs: 10 * USEFUL_LIFETIME_MS })
    for (let p = 1; p <= 4; p++) t.recordWalkReply(`5.5.5.5:${p}`, info(`5.5.5.5:${p}`), T0)
    for (let p = 1; p <= 4; p++) t.recordUseful(`5.5.5.5:${p}`, T0)
    // Just before the lifetime ends all four are walked within one second; from its end, one per delay.
    const late = T0 + USEFUL_LIFETIME_MS - 4
    expect(walkEvery(t, late, late + 4, 1, new SeededRng(1))).toHaveLength(4)
    const after = T0 + USEFUL_LIFETIME_MS + WALK_ELIGIBLE_DELAY_MS
    expect(walkEvery(t, after, after + WALK_ELIGIBLE_DELAY_MS, 1_000, new SeededRng(1))).toHaveLength(1)
  })

  it('recordUseful of an unknown key is refused and changes nothing; an invalid lifetime is rejected', () => {
    const t = new CandidateTable()
    expect(t.recordUseful('5.5.5.5:1', T0)).toBe(false)
    expect(t.size).toBe(0)
    expect(() => new CandidateTable({ usefulLifetimeMs: -1 })).toThrow(/usefulLifetimeMs/)
    expect(() => t.recordUseful('5.5.5.5:1', Number.NaN)).toThrow(/now/)
  })
})

describe('nextWalkTarget: preferred candidates first within the drawn category', () => {
  it('takes an eligible preferred entry of the drawn category before older others, and the others when none is eligible', () => {
    const t = new CandidateTable({ categoryWeights: ONLY_WALK })
    for (const k of ['5.5.5.5:1', '6.6.6.6:1', '7.7.7.7:1']) t.recordWalkReply(k, info(k), T0)
    const prefer = (k: string) => k === '7.7.7.7:1'
    const rng = new SeededRng(1)
    expect(t.nextWalkTarget(T0, rng, prefer)?.key).toBe('7.7.7.7:1')
    t.recordWalk('7.7.7.7:1', T0)
    // The preferred entry is not eligible again yet: the oldest other one.
    expect(t.nextWalkTarget(T0 + 5_000, rng, prefer)?.key).toBe('5.5.5.5:1')
    // Without a preference, the plain order.
    expect(t.nextWalkTarget(T0 + 5_000, rng)?.key).toBe('5.5.5.5:1')
  })

  it('does not change the category draw', () => {
    const t = new CandidateTable()
    fourCategories(t, T0)
    const rng = new SeededRng(42)
    const counts = { trusted: 0, walk: 0, stumble: 0, intro: 0 }
    const N = 40_000
    // Preferring the stumble candidate does not move steps from the other categories to it.
    for (let i = 0; i < N; i++) counts[t.category(t.nextWalkTarget(T0, rng, (k) => k === '2.2.2.2:1')!.key, T0)!]++
    for (const cat of ['trusted', 'walk', 'stumble', 'intro'] as const) expectShare(counts[cat], N, DEFAULT_CATEGORY_WEIGHTS[cat])
  })

  it('within the trusted category, a trusted peer that forwarded to us comes before a tracker', () => {
    const t = new CandidateTable({ categoryWeights: { trusted: 1, walk: 0, stumble: 0, intro: 0 } })
    t.addTrusted('9.9.9.9:1')
    t.addTrusted('9.9.9.8:1')
    // Without a preference the per-address order: 9.9.9.9 was added first.
    expect(t.nextWalkTarget(T0, new SeededRng(1))?.key).toBe('9.9.9.9:1')
    expect(t.nextWalkTarget(T0, new SeededRng(1), (k) => k === '9.9.9.8:1')?.key).toBe('9.9.9.8:1')
  })
})

describe('nextWalkTarget: trusted peers get more steps while we are behind them (rule 6)', () => {
  const N = 40_000
  const draw = (t: CandidateTable, now: number, ahead?: (k: string) => boolean) => {
    const rng = new SeededRng(7)
    let trusted = 0
    for (let i = 0; i < N; i++) if (t.category(t.nextWalkTarget(now, rng, undefined, ahead)!.key, now) === 'trusted') trusted++
    return trusted
  }

  it('keeps 1 % when no trusted peer is ahead, and gives trusted behindTrustedShare of the draw while one is', () => {
    const t = new CandidateTable()
    fourCategories(t, T0)
    expectShare(draw(t, T0), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
    expectShare(draw(t, T0, () => false), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
    expectShare(draw(t, T0, (k) => k === '9.9.9.9:1'), N, BEHIND_TRUSTED_SHARE)
    // A non-trusted peer ahead of us is no reason.
    expectShare(draw(t, T0, (k) => k === '1.1.1.1:1'), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
  })

  it('a trusted peer that sent us a bundle we lacked counts as ahead for usefulLifetimeMs', () => {
    const t = new CandidateTable()
    fourCategories(t, T0)
    t.recordUseful('9.9.9.9:1', T0)
    const late = T0 + USEFUL_LIFETIME_MS - 1
    fourCategories(t, late, ['walk', 'stumble', 'intro']) // the others stay live
    expectShare(draw(t, late), N, BEHIND_TRUSTED_SHARE)
    expectShare(draw(t, late + 1), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
  })

  it('with no walk to any trusted entry within trustedRecheckMs we may be behind: trusted gets the share until one is walked to', () => {
    const t = new CandidateTable()
    t.addTrusted('9.9.9.9:1')
    t.addTrusted('9.9.9.8:1')
    const at = (now: number) => {
      fourCategories(t, now, ['walk', 'stumble', 'intro'])
      return draw(t, now)
    }
    // Never walked to a trusted entry (a node that just started): behind.
    expectShare(at(T0), N, BEHIND_TRUSTED_SHARE)
    t.recordWalk('9.9.9.9:1', T0)
    expectShare(at(T0 + TRUSTED_RECHECK_MS - 1), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
    expectShare(at(T0 + TRUSTED_RECHECK_MS), N, BEHIND_TRUSTED_SHARE)
    // A walk to the other trusted entry counts as well.
    t.recordWalk('9.9.9.8:1', T0 + TRUSTED_RECHECK_MS)
    expectShare(at(T0 + 2 * TRUSTED_RECHECK_MS - 1), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
    // trustedRecheckMs 0: never by the clock alone.
    const off = new CandidateTable({ trustedRecheckMs: 0 })
    off.addTrusted('9.9.9.9:1')
    fourCategories(off, T0, ['walk', 'stumble', 'intro'])
    expectShare(draw(off, T0), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
  })

  it('over 20 minutes of 5 s steps with always-eligible others, a trusted entry is walked to at least every trustedRecheckMs + 30 s', () => {
    const t = new CandidateTable()
    t.addTrusted('9.9.9.9:1')
    const rng = new SeededRng(3)
    const trustedWalks: number[] = []
    for (let now = T0; now < T0 + 20 * 60_000; now += 5_000) {
      for (let h = 1; h <= 12; h++) t.recordWalkReply(`${h}.1.1.1:1`, info(`${h}.1.1.1:1`), now)
      const c = t.nextWalkTarget(now, rng)!
      t.recordWalk(c.key, now)
      if (c.trusted) trustedWalks.push(now)
    }
    const gaps = trustedWalks.slice(1).map((x, i) => x - trustedWalks[i]!)
    expect(trustedWalks.length).toBeGreaterThanOrEqual(9)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(TRUSTED_RECHECK_MS + 30_000)
    // And not much more often: 1 % of 240 steps plus one per recheck.
    expect(trustedWalks.length).toBeLessThanOrEqual(20)
  })

  it('behindTrustedShare 0 turns the rule off; a share outside [0, 1) is rejected; the others keep their proportions; a zero trusted weight stays zero', () => {
    const t = new CandidateTable({ behindTrustedShare: 0 })
    fourCategories(t, T0)
    expectShare(draw(t, T0, () => true), N, DEFAULT_CATEGORY_WEIGHTS.trusted)
    expect(() => new CandidateTable({ behindTrustedShare: 1 })).toThrow(/behindTrustedShare/)
    expect(() => new CandidateTable({ behindTrustedShare: -0.1 })).toThrow(/behindTrustedShare/)
    const w = withTrustedShare(DEFAULT_CATEGORY_WEIGHTS, 0.5)
    expect(w.trusted / (w.trusted + w.walk + w.stumble + w.intro)).toBeCloseTo(0.5, 12)
    expect(w.walk / w.stumble).toBeCloseTo(2, 12)
    // Never lowers a trusted weight that is already higher.
    expect(withTrustedShare({ trusted: 1, walk: 1, stumble: 0, intro: 0 }, 0.25).trusted).toBe(1)
    expect(withTrustedShare({ trusted: 0, walk: 1, stumble: 0, intro: 0 }, 0.25).trusted).toBe(0)
  })
})
