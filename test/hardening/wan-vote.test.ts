/**
 * WAN-address votes from spoofed sources (issue 8, DESIGN §6, §9). Every
 * introduction-request carries the address its sender sent it to: a vote for our WAN
 * address. Before the fix any source's request was a vote, so 70 spoofed requests (5.6 KB,
 * no reply needed) naming an honest peer's address made that address "ours": the dispatcher
 * then dropped every datagram from the honest peer as `self`, an eclipse. Only validated
 * addresses (a token echoed, or an answer to our random identifier) vote now.
 */
import { describe, expect, it } from 'vitest'
import { testnet } from '../node/harness.js'
import { adversary } from './helpers.js'

describe('WAN votes under spoofing', () => {
  it('70 spoofed requests naming an honest peer do not make its address ours; sync with it continues', async () => {
    const t = await testnet({ peers: 2, seed: 45 })
    const [victim, honest] = [t.nodes[0]!, t.nodes[1]!]
    await t.run(30_000)
    const wan = victim.stats().wan
    const spoofers = Array.from({ length: 70 }, () => adversary(t, victim))
    for (const s of spoofers) s.introduce({ destination: honest.address() })
    await t.run(1000)
    expect(victim.stats().wan).toEqual(wan)
    const b = await honest.publish(t.overlay, new TextEncoder().encode('still reachable'))
    const got = new Promise<boolean>((resolve) => victim.events.on('bundle', (d) => d.bundle.globalTime === b.globalTime && resolve(true)))
    await t.run(90_000)
    expect(victim.stats().drops['self'] ?? 0).toBe(0)
    expect(await Promise.race([got, Promise.resolve(false)])).toBe(true)
    await t.stop()
  }, 60_000)

  it('validated addresses of one host that vote a peer\'s address as ours do not get that peer dropped as "self"', async () => {
    const t = await testnet({ peers: 2, seed: 46 })
    const [victim, honest] = [t.nodes[0]!, t.nodes[1]!]
    await t.run(30_000)
    // Twelve ports of one host really receive, so they validate and their votes count:
    // they outvote our few honest voters. Our WAN view is wrong now, but only our LAN
    // (socket) address marks a datagram as our own.
    const sybils = Array.from({ length: 12 }, (_, i) => adversary(t, victim, { host: '10.77.0.1', port: 4000 + i }))
    for (const s of sybils) await s.validate({ destination: honest.address() })
    for (const s of sybils) s.introduce({ destination: honest.address() })
    await t.run(1000)
    expect(victim.stats().wan).toEqual(honest.address()) // the votes did land (see docs/security.md)
    const attackedAt = t.clock.now()
    const b = await honest.publish(t.overlay, new TextEncoder().encode('still reachable'))
    const got = new Promise<boolean>((resolve) => victim.events.on('bundle', (d) => d.bundle.globalTime === b.globalTime && resolve(true)))
    await t.run(90_000)
    // The honest peer's walks to us are still answered (before the fix the dispatcher dropped them as self).
    const us = honest.candidates(t.overlay).find((c) => c.key.endsWith(`:${victim.address().port}`) && c.key.startsWith(victim.address().host))
    expect(us?.lastWalkReply ?? 0).toBeGreaterThan(attackedAt)
    expect(await Promise.race([got, Promise.resolve(false)])).toBe(true)
    await t.stop()
  }, 60_000)
})

