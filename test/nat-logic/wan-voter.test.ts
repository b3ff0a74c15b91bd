import { describe, expect, it } from 'vitest'
import { type Address, WanVoter, chooseAddress } from '../../src/nat/index.js'
import { isBloomwalkError } from '../../src/errors.js'

const a = (host: string, port: number): Address => ({ host, port })
const LAN = a('192.168.1.10', 7000)

/** Feeds (voter, seen) samples the way hyperdht's test/nat.js feeds `nat.add(addr, referrer)`. */
function feed(voter: WanVoter, samples: Array<[Address, Address]>): string[] {
  return samples.map(([from, seen]) => voter.vote(from, seen))
}

describe('WanVoter: majority', () => {
  it('has no WAN and an unknown type before any vote', () => {
    const v = new WanVoter({ lan: LAN })
    expect(v.wan).toBeUndefined()
    expect(v.connectionType()).toBe('unknown')
    expect(v.voterCount).toBe(0)
  })

  it('adopts the first voted address', () => {
    const v = new WanVoter({ lan: LAN })
    expect(v.vote(a('5.5.5.5', 1), a('8.8.4.4', 7000))).toBe('changed')
    expect(v.wan).toEqual(a('8.8.4.4', 7000))
    expect(v.votesFor(a('8.8.4.4', 7000))).toBe(1)
  })

  it('switches only on strictly more votes, never on a tie', () => {
    const v = new WanVoter({ lan: LAN })
    const x = a('8.8.4.4', 7000)
    const y = a('9.9.9.9', 7000)
    feed(v, [[a('5.5.5.1', 1), x], [a('5.5.5.2', 1), x]])
    expect(v.vote(a('6.6.6.1', 1), y)).toBe('counted')
    expect(v.vote(a('6.6.6.2', 1), y)).toBe('counted') // 2 : 2, tie keeps x
    expect(v.wan).toEqual(x)
    expect(v.vote(a('6.6.6.3', 1), y)).toBe('changed') // 2 : 3
    expect(v.wan).toEqual(y)
  })

  it('gives each voter one vote; a later vote replaces the earlier one', () => {
    const v = new WanVoter({ lan: LAN })
    const x = a('8.8.4.4', 7000)
    const y = a('9.9.9.9', 7000)
    const voter = a('5.5.5.1', 1)
    for (let i = 0; i < 10; i++) v.vote(voter, x)
    expect(v.votesFor(x)).toBe(1)
    expect(v.voterCount).toBe(1)
    v.vote(a('5.5.5.2', 1), y) // 1 : 1, x stays
    expect(v.wan).toEqual(x)
    expect(v.vote(voter, y)).toBe('changed') // voter moves: 0 : 2
    expect(v.votesFor(x)).toBe(0)
    expect(v.votesFor(y)).toBe(2)
    expect(v.wan).toEqual(y)
  })

  it('switches when the current address loses votes to a third address', () => {
    const v = new WanVoter({ lan: LAN })
    const x = a('8.8.4.4', 7000)
    const y = a('9.9.9.9', 7000)
    const z = a('7.7.7.7', 7000)
    feed(v, [[a('5.5.5.1', 1), x], [a('5.5.5.2', 1), x], [a('6.6.6.1', 1), y], [a('6.6.6.2', 1), y]])
    expect(v.wan).toEqual(x)
    // A voter of x moves to z: x 1, y 2, z 1 → y has strictly more than x.
    expect(v.vote(a('5.5.5.1', 1), z)).toBe('changed')
    expect(v.wan).toEqual(y)
  })

  it('treats two spellings of one address as one candidate', () => {
    const v = new WanVoter({ lan: LAN })
    v.vote(a('5.5.5.1', 1), a('2001:db8::1', 7000))
    v.vote(a('5.5.5.2', 1), a('2001:DB8:0:0:0:0:0:1', 7000))
    expect(v.votesFor(a('2001:db8::1', 7000))).toBe(2)
    expect(v.standings()).toEqual([{ address: a('2001:db8::1', 7000), votes: 2 }])
  })

  it('ignores malformed addresses (and withdraws the voter’s earlier vote)', () => {
    const v = new WanVoter({ lan: LAN })
    const x = a('8.8.4.4', 7000)
    expect(v.vote(a('bogus', 1), x)).toBe('ignored')
    expect(v.vote(a('5.5.5.1', 0), x)).toBe('ignored')
    expect(v.voterCount).toBe(0)
    v.vote(a('5.5.5.1', 1), x)
    expect(v.vote(a('5.5.5.1', 1), a('8.8.4.4', 0))).toBe('ignored')
    expect(v.votesFor(x)).toBe(0)
    expect(v.wan).toEqual(x) // nothing has strictly more votes, so the WAN stays
  })

  it('ignores voters that claim our own WAN IP (they reached us through the LAN)', () => {
    const v = new WanVoter({ lan: LAN })
    const wan = a('8.8.4.4', 7000)
    v.vote(a('5.5.5.1', 1), wan)
    // A peer behind the same NAT addressed us by our LAN address.
    expect(v.vote(a('192.168.1.11', 7000), LAN, a('8.8.4.4', 7123))).toBe('ignored')
    expect(v.votesFor(LAN)).toBe(0)
    expect(v.connectionType()).toBe('unknown')
    // The same claim from outside our NAT counts.
    expect(v.vote(a('5.5.5.2', 1), wan, a('5.5.5.2', 1))).toBe('counted')
    expect(v.votesFor(wan)).toBe(2)
  })

  it('throws INVALID_ARGUMENT for a bad LAN address or voter cap', () => {
    for (const init of [{ lan: a('nope', 1) }, { lan: a('1.2.3.4', 0) }, { lan: LAN, maxVoters: 0 }, { lan: LAN, maxVoters: 1.5 }]) {
      let caught: unknown
      try {
        new WanVoter(init)
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  })

  it('reset forgets every vote', () => {
    const v = new WanVoter({ lan: LAN })
    v.vote(a('5.5.5.1', 1), a('8.8.4.4', 7000))
    v.reset()
    expect(v.wan).toBeUndefined()
    expect(v.voterCount).toBe(0)
  })
})

describe('WanVoter: bounded voter map', () => {
  it('keeps at most maxVoters voters, forgetting the least recent and its vote', () => {
    const v = new WanVoter({ lan: LAN, maxVoters: 8 })
    const x = a('8.8.4.4', 7000)
    const y = a('9.9.9.9', 7000)
    for (let i = 0; i < 10_000; i++) v.vote(a(`5.5.${i >> 8}.${i & 255}`, 1), x)
    expect(v.voterCount).toBe(8)
    expect(v.votesFor(x)).toBe(8)
    // 8 fresh voters for y push every x voter out of the window: the WAN follows.
    for (let i = 0; i < 8; i++) v.vote(a(`6.6.6.${i}`, 1), y)
    expect(v.voterCount).toBe(8)
    expect(v.votesFor(x)).toBe(0)
    expect(v.wan).toEqual(y)
  })

  it('a re-vote refreshes the voter, so it is not the next one forgotten', () => {
    const v = new WanVoter({ lan: LAN, maxVoters: 2 })
    const x = a('8.8.4.4', 7000)
    v.vote(a('5.5.5.1', 1), x)
    v.vote(a('5.5.5.2', 1), x)
    v.vote(a('5.5.5.1', 1), x) // refresh voter 1
    v.vote(a('5.5.5.3', 1), a('9.9.9.9', 7000)) // forgets voter 2
    expect(v.votesFor(x)).toBe(1)
    expect(v.voterCount).toBe(2)
  })
})

describe('WanVoter: connection type', () => {
  it('public: one voted address, equal to our LAN', () => {
    const lan = a('8.8.4.4', 7000)
    const v = new WanVoter({ lan })
    feed(v, [[a('5.5.5.1', 1), lan], [a('6.6.6.1', 1), lan], [a('7.7.7.1', 1), lan]])
    expect(v.connectionType()).toBe('public')
  })

  it('unknown: one voted address that is not our LAN (a NAT with one mapping)', () => {
    const v = new WanVoter({ lan: LAN })
    feed(v, [[a('5.5.5.1', 1), a('8.8.4.4', 40000)], [a('6.6.6.1', 1), a('8.8.4.4', 40000)]])
    expect(v.connectionType()).toBe('unknown')
  })

  it('public is re-evaluated when the LAN address changes', () => {
    const v = new WanVoter({ lan: LAN })
    v.vote(a('5.5.5.1', 1), a('8.8.4.4', 7000))
    expect(v.connectionType()).toBe('unknown')
    v.setLan(a('8.8.4.4', 7000))
    expect(v.connectionType()).toBe('public')
  })

  it('symmetric-NAT: each remote IP sees us at its own port', () => {
    const v = new WanVoter({ lan: LAN })
    feed(v, [
      [a('5.5.5.1', 1), a('8.8.4.4', 40001)],
      [a('6.6.6.1', 1), a('8.8.4.4', 40002)],
      [a('7.7.7.1', 1), a('8.8.4.4', 40003)]
    ])
    expect(v.connectionType()).toBe('symmetric-NAT')
  })

  it('symmetric-NAT: two ports of one remote IP see two mappings', () => {
    const v = new WanVoter({ lan: LAN })
    feed(v, [
      [a('5.5.5.1', 1), a('8.8.4.4', 40001)],
      [a('5.5.5.1', 2), a('8.8.4.4', 40002)]
    ])
    expect(v.connectionType()).toBe('symmetric-NAT')
  })

  it('unknown: a mapping shared by voters of two IPs is not symmetric (the odd vote is stale or a lie)', () => {
    const v = new WanVoter({ lan: LAN })
    feed(v, [
      [a('5.5.5.1', 1), a('8.8.4.4', 40001)],
      [a('6.6.6.1', 1), a('8.8.4.4', 40001)],
      [a('7.7.7.1', 1), a('8.8.4.4', 40002)]
    ])
    expect(v.connectionType()).toBe('unknown')
  })

  it('leaves symmetric-NAT once the stale votes are replaced', () => {
    const v = new WanVoter({ lan: LAN })
    const voters = [a('5.5.5.1', 1), a('6.6.6.1', 1)]
    feed(v, [[voters[0]!, a('8.8.4.4', 40001)], [voters[1]!, a('8.8.4.4', 40002)]])
    expect(v.connectionType()).toBe('symmetric-NAT')
    feed(v, [[voters[0]!, a('1.1.1.1', 7000)], [voters[1]!, a('1.1.1.1', 7000)]])
    expect(v.connectionType()).toBe('unknown')
    expect(v.wan).toEqual(a('1.1.1.1', 7000))
  })
})

describe('chooseAddress', () => {
  const peerLan = a('192.168.1.20', 7000)
  const peerWan = a('8.8.4.4', 41000)

  it('uses the LAN address of a peer behind our own NAT', () => {
    expect(chooseAddress(peerLan, peerWan, '8.8.4.4')).toEqual(peerLan)
    expect(chooseAddress(peerLan, peerWan, '::ffff:8.8.4.4')).toEqual(peerLan)
  })

  it('uses the WAN address of a peer elsewhere, or when our WAN is unknown', () => {
    expect(chooseAddress(peerLan, peerWan, '9.9.9.9')).toEqual(peerWan)
    expect(chooseAddress(peerLan, peerWan, undefined)).toEqual(peerWan)
  })

  it('falls back to the WAN address when the LAN address is unusable', () => {
    expect(chooseAddress(a('0.0.0.0', 7000), peerWan, '8.8.4.4')).toEqual(peerWan)
    expect(chooseAddress(a('::', 7000), peerWan, '8.8.4.4')).toEqual(peerWan)
    expect(chooseAddress(a('192.168.1.20', 0), peerWan, '8.8.4.4')).toEqual(peerWan)
  })
})
