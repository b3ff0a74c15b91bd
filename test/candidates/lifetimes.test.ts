import { describe, expect, it } from 'vitest'
import { CandidateTable, INTRO_LIFETIME_MS, STUMBLE_LIFETIME_MS, WALK_ELIGIBLE_DELAY_MS, WALK_LIFETIME_MS, WALK_TIMEOUT_MS, categoryOf, isEligibleForWalk, resolveOptions } from '../../src/candidates/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { info } from './helpers.js'

const K = '8.8.4.4:7000'
const T0 = 1_000_000

describe('lifetimes expire at exactly the right instant', () => {
  it('walk: 57.5 s after the last response', () => {
    const t = new CandidateTable()
    t.recordWalkReply(K, info(K), T0)
    expect(t.category(K, T0)).toBe('walk')
    expect(t.category(K, T0 + WALK_LIFETIME_MS - 1)).toBe('walk')
    expect(t.category(K, T0 + WALK_LIFETIME_MS)).toBeUndefined()
    expect(WALK_LIFETIME_MS).toBe(57_500)
  })

  it('stumble: 57.5 s after the last request', () => {
    const t = new CandidateTable()
    t.recordStumble(K, info(K), T0)
    expect(t.category(K, T0 + STUMBLE_LIFETIME_MS - 1)).toBe('stumble')
    expect(t.category(K, T0 + STUMBLE_LIFETIME_MS)).toBeUndefined()
    expect(STUMBLE_LIFETIME_MS).toBe(57_500)
  })

  it('intro: 27.5 s after the introduction', () => {
    const t = new CandidateTable()
    t.recordIntro(K, info(K), T0)
    expect(t.category(K, T0 + INTRO_LIFETIME_MS - 1)).toBe('intro')
    expect(t.category(K, T0 + INTRO_LIFETIME_MS)).toBeUndefined()
    expect(INTRO_LIFETIME_MS).toBe(27_500)
  })

  it('trusted: never expires', () => {
    const t = new CandidateTable()
    t.addTrusted(K)
    expect(t.category(K, Number.MAX_SAFE_INTEGER)).toBe('trusted')
  })

  it('a later response, request or introduction restarts its lifetime', () => {
    const t = new CandidateTable()
    t.recordWalkReply(K, info(K), T0)
    t.recordWalkReply(K, info(K), T0 + 50_000)
    expect(t.category(K, T0 + 50_000 + WALK_LIFETIME_MS - 1)).toBe('walk')
    expect(t.category(K, T0 + 50_000 + WALK_LIFETIME_MS)).toBeUndefined()
  })

  it('precedence is trusted > walk > stumble > intro, and a candidate falls back as statuses expire', () => {
    const t = new CandidateTable()
    t.recordIntro(K, info(K), T0 + 40_000) // intro until T0 + 67 500
    t.recordStumble(K, info(K), T0 + 5_000) // stumble until T0 + 62 500
    t.recordWalkReply(K, info(K), T0) // walk until T0 + 57 500
    expect(t.category(K, T0 + 57_499)).toBe('walk')
    expect(t.category(K, T0 + 57_500)).toBe('stumble')
    expect(t.category(K, T0 + 62_500)).toBe('intro')
    expect(t.category(K, T0 + 67_500)).toBeUndefined()
    t.addTrusted(K)
    expect(t.category(K, T0 + 67_500)).toBe('trusted')
  })

  it('honours configured lifetimes', () => {
    const t = new CandidateTable({ walkLifetimeMs: 10, stumbleLifetimeMs: 20, introLifetimeMs: 30 })
    t.recordWalkReply('1.1.1.1:1', info('1.1.1.1:1'), 0)
    t.recordStumble('1.1.1.2:1', info('1.1.1.2:1'), 0)
    t.recordIntro('1.1.1.3:1', info('1.1.1.3:1'), 0)
    expect([t.category('1.1.1.1:1', 10), t.category('1.1.1.2:1', 19), t.category('1.1.1.2:1', 20), t.category('1.1.1.3:1', 29)]).toEqual([undefined, 'stumble', undefined, 'intro'])
  })

  it('categoryOf is a pure function of the timestamps', () => {
    const o = resolveOptions()
    const c = { key: K, lan: { host: '8.8.4.4', port: 7000 }, wan: { host: '8.8.4.4', port: 7000 }, connectionType: 'unknown' as const, lastWalk: undefined, lastWalkReply: 0, lastStumble: undefined, lastIntro: undefined, lastUseful: undefined, verified: true, trusted: false }
    expect(categoryOf(c, 57_499, o)).toBe('walk')
    expect(categoryOf(c, 57_500, o)).toBeUndefined()
    expect(isEligibleForWalk(c, 0, o, WALK_ELIGIBLE_DELAY_MS)).toBe(true)
    expect(isEligibleForWalk(c, 57_500, o, WALK_ELIGIBLE_DELAY_MS)).toBe(false)
  })
})

describe('walk eligibility', () => {
  it('a candidate is eligible again exactly 27.5 s after the last walk to it', () => {
    const t = new CandidateTable()
    t.recordStumble(K, info(K), T0)
    expect(t.recordWalk(K, T0 + 1_000)).toBe(true)
    const o = t.options
    const c = (): Parameters<typeof isEligibleForWalk>[0] => t.get(K)!
    expect(isEligibleForWalk(c(), T0 + 1_000 + WALK_ELIGIBLE_DELAY_MS - 1, o, o.walkEligibleDelayMs)).toBe(false)
    expect(isEligibleForWalk(c(), T0 + 1_000 + WALK_ELIGIBLE_DELAY_MS, o, o.walkEligibleDelayMs)).toBe(true)
  })

  it('recordWalk on an unknown key does nothing', () => {
    const t = new CandidateTable()
    expect(t.recordWalk(K, T0)).toBe(false)
    expect(t.size).toBe(0)
  })

  it('an expired candidate is not eligible', () => {
    const t = new CandidateTable()
    t.recordIntro(K, info(K), T0)
    expect(t.nextWalkTarget(T0 + INTRO_LIFETIME_MS, { u32: () => 0, bytes: (n) => new Uint8Array(n) })).toBeUndefined()
  })
})

describe('walkTimedOut', () => {
  it('drops walk status when no response came within 10.5 s, not a millisecond earlier', () => {
    const t = new CandidateTable()
    t.recordWalkReply(K, info(K), T0)
    t.recordWalk(K, T0 + 30_000)
    expect(t.walkTimedOut(K, T0 + 30_000 + WALK_TIMEOUT_MS - 1)).toBe(false)
    expect(t.category(K, T0 + 40_000)).toBe('walk')
    expect(t.walkTimedOut(K, T0 + 30_000 + WALK_TIMEOUT_MS)).toBe(true)
    expect(t.get(K)).toBeUndefined() // nothing else kept it
    expect(t.stats().timedOut).toBe(1)
  })

  it('keeps the entry when another status is still live', () => {
    const t = new CandidateTable()
    t.recordWalkReply(K, info(K), T0)
    t.recordStumble(K, info(K), T0 + 1)
    t.recordWalk(K, T0 + 2)
    expect(t.walkTimedOut(K, T0 + 2 + WALK_TIMEOUT_MS)).toBe(true)
    expect(t.category(K, T0 + 2 + WALK_TIMEOUT_MS)).toBe('stumble')
  })

  it('does nothing when the walk was answered', () => {
    const t = new CandidateTable()
    t.recordStumble(K, info(K), T0)
    t.recordWalk(K, T0)
    t.recordWalkReply(K, info(K), T0) // same millisecond counts as answered
    expect(t.walkTimedOut(K, T0 + WALK_TIMEOUT_MS)).toBe(false)
    expect(t.category(K, T0 + WALK_TIMEOUT_MS)).toBe('walk')
  })

  it('does nothing for an unknown key or a candidate never walked to', () => {
    const t = new CandidateTable()
    expect(t.walkTimedOut(K, T0)).toBe(false)
    t.recordStumble(K, info(K), T0)
    expect(t.walkTimedOut(K, T0 + WALK_TIMEOUT_MS)).toBe(false)
  })

  it('honours a configured timeout', () => {
    const t = new CandidateTable({ walkTimeoutMs: 100 })
    t.recordStumble(K, info(K), T0)
    t.recordWalk(K, T0)
    expect(t.walkTimedOut(K, T0 + 100)).toBe(true)
  })
})

describe('purge, counts, remove, list', () => {
  it('purge removes exactly the expired non-trusted entries', () => {
    const t = new CandidateTable()
    t.addTrusted('9.9.9.9:1')
    t.recordWalkReply('1.1.1.1:1', info('1.1.1.1:1'), T0)
    t.recordStumble('2.2.2.2:1', info('2.2.2.2:1'), T0 + 20_000)
    t.recordIntro('3.3.3.3:1', info('3.3.3.3:1'), T0)
    expect(t.counts(T0)).toEqual({ trusted: 1, walk: 1, stumble: 1, intro: 1, expired: 0, total: 4 })
    expect(t.purge(T0 + INTRO_LIFETIME_MS)).toBe(1)
    expect(t.counts(T0 + WALK_LIFETIME_MS)).toEqual({ trusted: 1, walk: 0, stumble: 1, intro: 0, expired: 1, total: 3 })
    expect(t.purge(T0 + WALK_LIFETIME_MS)).toBe(1)
    expect(t.purge(T0 + 10 ** 9)).toBe(1)
    expect(t.size).toBe(1)
    expect(t.stats().purged).toBe(3)
  })

  it('list filters by category and skips expired entries', () => {
    const t = new CandidateTable()
    t.recordWalkReply('1.1.1.1:1', info('1.1.1.1:1'), T0)
    t.recordStumble('2.2.2.2:1', info('2.2.2.2:1'), T0)
    expect(t.list(T0, 'walk').map((c) => c.key)).toEqual(['1.1.1.1:1'])
    expect(t.list(T0).length).toBe(2)
    expect(t.list(T0 + WALK_LIFETIME_MS).length).toBe(0)
  })

  it('remove deletes any entry, trusted included', () => {
    const t = new CandidateTable()
    t.addTrusted('9.9.9.9:1')
    expect(t.remove('9.9.9.9:1')).toBe(true)
    expect(t.remove('9.9.9.9:1')).toBe(false)
    expect(t.size).toBe(0)
  })
})

describe('records', () => {
  it('canonicalises keys, so two spellings are one candidate', () => {
    const t = new CandidateTable()
    t.recordStumble('[2001:DB8:0:0:0:0:0:1]:7000', info('[2001:db8::1]:7000'), T0)
    t.recordWalkReply('[2001:db8::1]:7000', info('[2001:db8::1]:7000'), T0)
    expect(t.size).toBe(1)
    expect(t.get('[2001:db8:0::1]:7000')?.key).toBe('[2001:db8::1]:7000')
  })

  it('refuses malformed keys', () => {
    const t = new CandidateTable()
    expect(t.recordStumble('nope', info('1.1.1.1:1'), T0)).toBeUndefined()
    expect(t.recordIntro('1.1.1.1:0', info('1.1.1.1:1'), T0)).toBeUndefined()
    expect(t.stats().refused).toBe(2)
    expect(t.size).toBe(0)
  })

  it('responses and requests verify a candidate; introductions do not', () => {
    const t = new CandidateTable()
    expect(t.recordIntro('1.1.1.1:1', info('1.1.1.1:1'), T0)!.verified).toBe(false)
    expect(t.recordStumble('1.1.1.1:1', info('1.1.1.1:1'), T0)!.verified).toBe(true)
    expect(t.recordWalkReply('2.2.2.2:1', info('2.2.2.2:1'), T0)!.verified).toBe(true)
  })

  it('stores what a peer says about itself', () => {
    const t = new CandidateTable()
    const c = t.recordStumble('8.8.4.4:41000', { lan: { host: '192.168.1.5', port: 7000 }, wan: { host: '8.8.4.4', port: 41000 }, connectionType: 'symmetric-NAT' }, T0)!
    expect(c).toMatchObject({ lan: { host: '192.168.1.5', port: 7000 }, wan: { host: '8.8.4.4', port: 41000 }, connectionType: 'symmetric-NAT', lastStumble: T0 })
  })

  it('hearsay never overwrites what a verified candidate said about itself', () => {
    const t = new CandidateTable()
    t.recordStumble(K, { ...info(K, 'public') }, T0)
    const c = t.recordIntro(K, { lan: { host: '6.6.6.6', port: 1 }, wan: { host: '6.6.6.6', port: 1 }, connectionType: 'symmetric-NAT' }, T0 + 1)!
    expect(c.lan).toEqual({ host: '8.8.4.4', port: 7000 })
    expect(c.connectionType).toBe('public')
    expect(c.lastIntro).toBe(T0 + 1)
  })

  it('keeps the key address when a peer reports unusable addresses', () => {
    const t = new CandidateTable()
    const c = t.recordStumble(K, { lan: { host: 'x', port: 1 }, wan: { host: '1.2.3.4', port: 0 }, connectionType: 'unknown' }, T0)!
    expect(c.lan).toEqual({ host: '8.8.4.4', port: 7000 })
    expect(c.wan).toEqual({ host: '8.8.4.4', port: 7000 })
  })

  it('snapshots are copies', () => {
    const t = new CandidateTable()
    const c = t.recordStumble(K, info(K), T0)! as { verified: boolean }
    c.verified = false
    expect(t.get(K)!.verified).toBe(true)
  })
})

describe('arguments', () => {
  it.each([{ walkLifetimeMs: -1 }, { introLifetimeMs: 1.5 }, { maxCandidates: -1 }, { maxPerNarrowSubnet: Number.NaN }, { categoryWeights: { walk: -1 } }, { categoryWeights: { intro: Infinity } }])(
    'rejects options %j',
    (init) => {
      let caught: unknown
      try {
        new CandidateTable(init)
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  )

  it('rejects a non-finite now and a malformed trusted key', () => {
    const t = new CandidateTable()
    for (const f of [() => t.recordStumble(K, info(K), Number.NaN), () => t.purge(Infinity), () => t.walkTimedOut(K, Number.NaN), () => t.addTrusted('nope')]) {
      let caught: unknown
      try {
        f()
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  })
})
