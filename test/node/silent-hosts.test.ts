import { describe, expect, it } from 'vitest'
import { MAX_SILENT_HOSTS, SILENT_HOST_BACKOFF_MS, SilentHosts } from '../../src/node/silent-hosts.js'
import { decodePacket, encodePacket } from '../../src/wire/codec.js'
import type { Address } from '../../src/wire/index.js'
import { MemoryStore } from '../../src/store/memory.js'
import { makeBundles } from '../helpers/bundles.js'
import { testnet } from './harness.js'

const T0 = 1_000_000

describe('SilentHosts', () => {
  it('marks a host, whatever the port, until the backoff has passed', () => {
    const s = new SilentHosts()
    s.mark('5.5.5.5', T0)
    expect(s.isSilent('5.5.5.5', T0 + SILENT_HOST_BACKOFF_MS - 1)).toBe(true)
    expect(s.isSilent('5.5.5.6', T0)).toBe(false)
    expect(s.isSilent('5.5.5.5', T0 + SILENT_HOST_BACKOFF_MS)).toBe(false)
    expect(s.size).toBe(0)
  })

  it('an IPv6 /64 is one host; IPv4-mapped IPv6 is its IPv4 host', () => {
    const s = new SilentHosts()
    s.mark('2001:db8:0:1::a', T0)
    expect(s.isSilent('2001:db8:0:1::ffff', T0)).toBe(true)
    expect(s.isSilent('2001:db8:0:2::a', T0)).toBe(false)
    s.mark('::ffff:7.7.7.7', T0)
    expect(s.isSilent('7.7.7.7', T0)).toBe(true)
    s.clear('7.7.7.7')
    expect(s.isSilent('::ffff:7.7.7.7', T0)).toBe(false)
  })

  it(`remembers at most ${MAX_SILENT_HOSTS} hosts, the oldest mark dropped first`, () => {
    const s = new SilentHosts()
    for (let i = 0; i < MAX_SILENT_HOSTS + 5; i++) s.mark(`9.9.${i >> 8}.${i & 255}`, T0)
    expect(s.size).toBe(MAX_SILENT_HOSTS)
    expect(s.isSilent('9.9.0.4', T0)).toBe(false)
    expect(s.isSilent('9.9.0.5', T0)).toBe(true)
  })
})

describe('idle checks skip a host that ignored a whole session', () => {
  it('a walked host that claims to be in sync and ignores symbols-requests is idle-checked once per backoff, on any of its ports', async () => {
    const t = await testnet({ peers: 0, seed: 61 })
    // A Sybil host with two ports: answers every walk claiming the walker's global time, ignores everything else.
    const sybil: Address[] = []
    let symbolsRequests = 0
    for (const port of [40_000, 40_001]) {
      const tr = t.net.bind({ host: '100.0.0.1', port })
      tr.onPacket = (from, bytes) => {
        const packet = decodePacket(bytes)?.packet
        if (packet?.type === 'symbols-request') symbolsRequests++
        if (packet?.type !== 'introduction-request') return
        const self = tr.address()
        tr.send(from, encodePacket(t.overlay, { type: 'introduction-response', destination: from, sourceLan: self, sourceWan: self, connectionType: 'public', identifier: packet.identifier, globalTime: packet.globalTime }))
      }
      sybil.push(tr.address())
    }
    const store = new MemoryStore()
    await store.open()
    await store.putMany(makeBundles(20, { overlay: t.overlay, seed: 3, maxGlobalTime: 40 }))
    const a = await t.addPeer({ store, trusted: sybil })
    // Five idle-check intervals: without the rule each port would be idle-checked about five times.
    await t.run(300_000, 250)
    const c = a.stats().catchUp
    expect(c.idleChecks).toBe(1)
    expect(c.gaveUp).toBe(1)
    expect(c.silentSkipped).toBeGreaterThan(0)
    expect(symbolsRequests).toBeLessThanOrEqual(4)
    await t.stop()
  })
})
