import { describe, expect, it } from 'vitest'
import { CandidateTable, WALK_LIFETIME_MS } from '../../src/candidates/index.js'
import { SeededRng } from '../../src/env/index.js'
import { info } from './helpers.js'

const T0 = 1_000_000
const REQ = '7.7.7.7:7000'
const W = '1.1.1.1:1'
const S = '2.2.2.2:1'

function pickKey(t: CandidateTable, rng = new SeededRng(1), requester = REQ, type: 'public' | 'symmetric-NAT' | 'unknown' = 'unknown', wanHost: string | undefined = '7.7.7.7', now = T0): string | undefined {
  return t.pickIntroduction(requester, type, wanHost, now, rng)?.key
}

describe('pickIntroduction', () => {
  it('alternates walk and stumble candidates between calls', () => {
    const t = new CandidateTable()
    t.recordWalkReply(W, info(W), T0)
    t.recordStumble(S, info(S), T0)
    const rng = new SeededRng(1)
    expect([pickKey(t, rng), pickKey(t, rng), pickKey(t, rng), pickKey(t, rng)]).toEqual([W, S, W, S])
  })

  it('falls back to the other category when the preferred one has nobody', () => {
    const t = new CandidateTable()
    t.recordStumble(S, info(S), T0)
    const rng = new SeededRng(1)
    expect([pickKey(t, rng), pickKey(t, rng)]).toEqual([S, S])
  })

  it('chooses uniformly within the category', () => {
    const t = new CandidateTable()
    const keys = ['1.1.1.1:1', '1.1.1.2:1', '1.1.1.3:1', '1.1.1.4:1']
    for (const k of keys) t.recordWalkReply(k, info(k), T0)
    const rng = new SeededRng(3)
    const counts = new Map<string, number>()
    for (let i = 0; i < 8_000; i++) {
      const k = pickKey(t, rng)!
      counts.set(k, (counts.get(k) ?? 0) + 1)
    }
    for (const k of keys) expect(Math.abs(counts.get(k)! - 2_000)).toBeLessThan(200)
  })

  it('never introduces the requester to itself, whatever the spelling of its key', () => {
    const t = new CandidateTable()
    const v6 = '[2001:db8::7]:7000'
    t.recordWalkReply(v6, info(v6), T0)
    expect(pickKey(t, new SeededRng(1), '[2001:DB8:0:0:0:0:0:7]:7000', 'unknown', undefined)).toBeUndefined()
    t.recordWalkReply(W, info(W), T0)
    expect(pickKey(t, new SeededRng(1), v6, 'unknown', undefined)).toBe(W)
  })

  it('never introduces intro candidates (hearsay, unverified)', () => {
    const t = new CandidateTable()
    t.recordIntro('3.3.3.3:1', info('3.3.3.3:1'), T0)
    expect(pickKey(t)).toBeUndefined()
  })

  it('never introduces trusted candidates, even ones that answered', () => {
    const t = new CandidateTable()
    t.addTrusted('9.9.9.9:1')
    t.recordWalkReply('9.9.9.9:1', info('9.9.9.9:1'), T0)
    t.recordStumble('9.9.9.9:1', info('9.9.9.9:1'), T0)
    expect(pickKey(t)).toBeUndefined()
  })

  it('never introduces expired candidates', () => {
    const t = new CandidateTable()
    t.recordWalkReply(W, info(W), T0)
    expect(pickKey(t, new SeededRng(1), REQ, 'unknown', undefined, T0 + WALK_LIFETIME_MS)).toBeUndefined()
  })

  it('never pairs two symmetric-NAT peers with different WAN IPs', () => {
    const t = new CandidateTable()
    t.recordWalkReply(W, info(W, 'symmetric-NAT'), T0)
    expect(pickKey(t, new SeededRng(1), REQ, 'symmetric-NAT', '7.7.7.7')).toBeUndefined()
    expect(pickKey(t, new SeededRng(1), REQ, 'symmetric-NAT', undefined)).toBeUndefined()
  })

  it('pairs two symmetric-NAT peers behind the same WAN IP (they meet on the LAN)', () => {
    const t = new CandidateTable()
    t.recordWalkReply(W, info(W, 'symmetric-NAT', '7.7.7.7'), T0)
    expect(pickKey(t, new SeededRng(1), REQ, 'symmetric-NAT', '7.7.7.7')).toBe(W)
  })

  it('pairs a symmetric-NAT peer with anyone who is not symmetric', () => {
    const t = new CandidateTable()
    t.recordWalkReply(W, info(W, 'symmetric-NAT'), T0)
    expect(pickKey(t, new SeededRng(1), REQ, 'unknown', '7.7.7.7')).toBe(W)
    expect(pickKey(t, new SeededRng(1), REQ, 'public', '7.7.7.7')).toBe(W)
    const u = new CandidateTable()
    u.recordWalkReply(W, info(W, 'public'), T0)
    expect(pickKey(u, new SeededRng(1), REQ, 'symmetric-NAT', '7.7.7.7')).toBe(W)
  })

  it('returns undefined with an empty table', () => {
    expect(pickKey(new CandidateTable())).toBeUndefined()
  })
})
