/**
 * Anti-amplification measurement (issue 8, DESIGN §9): spoofed datagrams from many
 * unvalidated addresses against a node holding many bundles, and the bytes the node sends
 * because of them ÷ the bytes it received from them (QUIC's limit: ≤ 3).
 *
 *   npm run measure:amplification [-- --bundles 10000 --addresses 1000 --rounds 3 --json]
 *
 * The node ("victim") holds `bundles` bundles, does not walk (so everything it sends is
 * caused by the attack), and knows four validated helper peers, so it introduces them and
 * sends them puncture-requests. Each spoofed address is a bound in-memory transport that
 * counts what is reflected to it. Attacks, each from every address, `rounds` times:
 * - full: an introduction-request with a full-size empty Bloom filter over [1, ∞): "send me
 *   everything" (answered with up to 5 120 bytes of bundles when allowed);
 * - tiny: the smallest introduction-request (IPv4, no offer, advice set: the node answers,
 *   introduces a helper and sends that helper a puncture-request);
 * - puncture: a tiny request (to become a stumble candidate), then puncture-requests naming
 *   a third-party target (the node punctures the target, charged to the requester);
 * - ipv6-claims: tiny requests that vote a long IPv6 WAN address for the node (lengthening
 *   its responses) and claim IPv6 LAN addresses (lengthening its puncture-requests).
 * Attacks run in this order against the same node, so later ones see what earlier ones did.
 * Then {@link measureWalkingAmplification}: a node that WALKS, to which spoofed sources are
 * stumble candidates (`--step MS`, default 500; `--walk-ms`, default 120 000).
 */
import { pathToFileURL } from 'node:url'
import { BloomFilter } from '../src/bloom/index.js'
import { ManualClock } from '../src/env/clock.js'
import { SeededRng } from '../src/env/rng.js'
import { createNode, type BloomwalkNode } from '../src/node/index.js'
import { MemoryStore } from '../src/store/memory.js'
import { offerSize } from '../src/sync/capacity.js'
import { MemoryNetwork, type MemoryTransport } from '../src/transport/index.js'
import { decodePacket, encodePacket, type Address, type Packet } from '../src/wire/index.js'
import { syntheticBundles } from './fixtures.js'

export type Attack = 'full' | 'tiny' | 'puncture' | 'ipv6-claims'
export const ATTACKS: readonly Attack[] = ['full', 'tiny', 'puncture', 'ipv6-claims']

export interface AmplificationOptions {
  /** Bundles the node holds. Default 10 000. */
  bundles?: number
  /** Distinct spoofed source addresses per attack. Default 1 000. */
  addresses?: number
  /** Datagrams each address sends per attack. Default 3. */
  rounds?: number
  seed?: number
}

export interface AttackResult {
  attack: Attack
  addresses: number
  datagramsIn: number
  bytesIn: number
  /** Everything the node sent during the attack, to anyone. */
  bytesOut: number
  /** bytesOut ÷ bytesIn. */
  ratio: number
  /** Largest (bytes reflected to one spoofed address) ÷ (bytes "it" sent). */
  maxPerAddress: number
  /** Bytes out by packet type. */
  out: Record<string, number>
  /** Sends the guard refused. */
  blocked: number
  /** Offers whose answer was held back whole because the 3× limit would have cut it (DESIGN §13). */
  deferred: number
}

const OVERLAY_NAME = 'amplification'
/** A long IPv6 address the ipv6-claims attack votes as the node's WAN address (lengthens every response). */
const V6_WAN: Address = { host: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 }
const HELPERS = 4

function diff(after: Record<string, { bytes: number }>, before: Record<string, { bytes: number }>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(after)) {
    const d = v.bytes - (before[k]?.bytes ?? 0)
    if (d > 0) out[k] = d
  }
  return out
}

/** The victim's world: virtual clock, seeded rng, in-memory network and a store of `bundles` bundles. */
async function victimWorld(bundles: number, seed: number) {
  const clock = new ManualClock(1_000_000)
  const rng = new SeededRng(seed)
  const net = new MemoryNetwork({ clock, rng: rng.fork(), latencyMs: 5, maxDatagram: 65_507 })
  const store = new MemoryStore()
  await store.open()
  const fill = syntheticBundles({ overlay: OVERLAY_NAME, count: bundles, maxGlobalTime: Math.max(1, Math.floor(bundles / 2)), signed: 0 })
  for (const b of fill) await store.put(b)
  return { clock, rng, net, store, overlay: fill[0]!.overlay }
}

/** Measures every attack against one node; each attack uses its own fresh addresses. */
export async function measureAmplification(options: AmplificationOptions = {}): Promise<AttackResult[]> {
  const bundles = options.bundles ?? 10_000
  const addresses = options.addresses ?? 1000
  const rounds = options.rounds ?? 3
  const { clock, rng, net, store, overlay } = await victimWorld(bundles, options.seed ?? 1)
  // An IPv6 node: its own addresses make every response it sends longer (the worst case).
  const victimTransport = net.bind({ host: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', port: 7759 })
  const victim: BloomwalkNode = createNode({ components: { transport: victimTransport, clock, rng: rng.fork(), store }, settings: { overlays: [overlay], stepIntervalMs: 1e12 } })
  await victim.start()
  const to = victim.address()
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 40; i++) {
      clock.advance(5)
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
  const request = (from: Address, identifier: number, extra: Partial<Extract<Packet, { type: 'introduction-request' }>> = {}): Uint8Array =>
    encodePacket(overlay, { type: 'introduction-request', destination: to, sourceLan: from, sourceWan: from, advice: true, connectionType: 'unknown', identifier, globalTime: 1, ...extra })

  // Helpers: validated stumble candidates (they echoed their token), so they get introduced.
  for (let i = 0; i < HELPERS; i++) {
    const h = net.bind({ host: `198.51.${100 + i}.7`, port: 7759 })
    let token: Uint8Array | undefined
    h.onPacket = (_from, bytes) => {
      const p = decodePacket(bytes)?.packet
      if (p?.type === 'introduction-response') token = p.token
    }
    // They claim long IPv6 LAN addresses: introductions of them cost the node more bytes.
    const lan = { host: `fd00:ffff:ffff:ffff:ffff:ffff:ffff:fff${i}`, port: 65535 }
    h.send(to, request(h.address(), 1, { sourceLan: lan }))
    await settle()
    h.send(to, request(h.address(), 2, { sourceLan: lan, token }))
    await settle()
  }

  const size = offerSize(1200, 0.01, 'ipv4')
  const thirdParty: Address = { host: '203.0.113.99', port: 443 }
  const results: AttackResult[] = []
  let subnet = 0
  for (const attack of ATTACKS) {
    const sources: MemoryTransport[] = []
    const reflected = new Map<string, number>()
    for (let i = 0; i < addresses; i++, subnet++) {
      // ipv6-claims comes from one /24, so the subnet cap keeps it out of the candidate table
      // and the node introduces the helpers (with their long claimed LAN addresses) instead.
      const host = attack === 'ipv6-claims' ? `10.99.0.${1 + (i % 250)}` : `10.${subnet % 250}.${Math.floor(subnet / 250) % 250}.${1 + Math.floor(subnet / 62_500)}`
      const t = net.bind({ host, port: 1024 + (subnet % 60_000) })
      const key = `${t.address().host}:${t.address().port}`
      t.onPacket = (_from, bytes) => reflected.set(key, (reflected.get(key) ?? 0) + bytes.length)
      sources.push(t)
    }
    const sentBy = new Map<string, number>()
    const before = victim.stats()
    const beforeOut = victimTransport.stats().bytesSent
    let datagramsIn = 0
    let bytesIn = 0
    const send = (t: MemoryTransport, bytes: Uint8Array): void => {
      const key = `${t.address().host}:${t.address().port}`
      sentBy.set(key, (sentBy.get(key) ?? 0) + bytes.length)
      datagramsIn++
      bytesIn += bytes.length
      t.send(to, bytes)
    }
    for (let round = 0; round < rounds; round++) {
      sources.forEach((t, i) => {
        const from = t.address()
        const id = round * addresses + i + 1
        if (attack === 'full') send(t, request(from, id, { sync: { timeLow: 1, timeHigh: 0, modulo: 1, offset: 0, bloom: new BloomFilter(size.bloomBytes, size.k, id) } }))
        else if (attack === 'tiny') send(t, request(from, id))
        else if (attack === 'ipv6-claims') send(t, request(from, id, { destination: V6_WAN, sourceLan: { host: 'fd00:1:2:3:4:5:6:7', port: 65535 } }))
        else if (round === 0) send(t, request(from, id))
        else send(t, encodePacket(overlay, { type: 'puncture-request', walkerLan: { host: 'fd00:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 }, walkerWan: thirdParty, identifier: id }))
      })
      await settle()
    }
    await settle()
    const after = victim.stats()
    const bytesOut = victimTransport.stats().bytesSent - beforeOut
    let maxPerAddress = 0
    for (const [key, got] of reflected) maxPerAddress = Math.max(maxPerAddress, got / (sentBy.get(key) ?? Infinity))
    results.push({
      attack,
      addresses,
      datagramsIn,
      bytesIn,
      bytesOut,
      ratio: bytesOut / bytesIn,
      maxPerAddress,
      out: diff(after.out, before.out),
      blocked: after.amplification.blocked - before.amplification.blocked,
      deferred: after.answersDeferred - before.answersDeferred
    })
  }
  await victim.stop()
  return results
}

/** What a walking node sent to spoofed addresses, by packet type. */
export interface WalkingResult {
  addresses: number
  /** Bytes the spoofed sources sent (one tiny introduction-request each). */
  bytesIn: number
  /** Bytes that reached the spoofed addresses, by packet type. */
  out: Record<string, number>
  /** Per packet type: the largest (bytes of that type sent to one address) ÷ (bytes it sent). */
  worstByType: Record<string, number>
  /** The largest (all bytes sent to one address) ÷ (bytes it sent). */
  worst: number
  /** Introduction-requests the node sent to spoofed addresses, and how many carried a sync offer. */
  walksToSpoofed: number
  offersToSpoofed: number
  /** Spoofed addresses still in the candidate table at the end (an address that does not answer is dropped). */
  leftInTable: number
  /** Bytes the node sent in the whole run, to anyone. */
  bytesOutTotal: number
}

/**
 * A WALKING node (every `stepMs`, default 500 ms: ten times the default pace) holding
 * `bundles` bundles and knowing a few real peers receives one spoofed tiny
 * introduction-request from each of `addresses` addresses (they become stumble candidates)
 * and then walks for `walkMs` of virtual time. Every datagram that reaches a spoofed address
 * is counted by packet type: walks, introduction-responses, punctures, answers, symbols.
 */
export async function measureWalkingAmplification(options: { bundles?: number; addresses?: number; stepMs?: number; walkMs?: number; seed?: number } = {}): Promise<WalkingResult> {
  const bundles = options.bundles ?? 2000
  const addresses = options.addresses ?? 200
  const stepMs = options.stepMs ?? 500
  const walkMs = options.walkMs ?? 120_000
  const { clock, rng, net, store, overlay } = await victimWorld(bundles, options.seed ?? 2)
  const victimTransport = net.bind({ host: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', port: 7759 })
  // Real peers the victim walks to as well (empty stores: they only answer and introduce).
  const peers: BloomwalkNode[] = []
  for (let i = 0; i < HELPERS; i++) {
    const peerStore = new MemoryStore()
    const t = net.bind({ host: `198.51.${100 + i}.9`, port: 7759 })
    peers.push(createNode({ components: { transport: t, clock, rng: rng.fork(), store: peerStore }, settings: { overlays: [overlay], stepIntervalMs: 1e12 } }))
  }
  const victim = createNode({ components: { transport: victimTransport, clock, rng: rng.fork(), store }, settings: { overlays: [overlay], stepIntervalMs: stepMs, trusted: peers.map((p) => p.address()) } })
  for (const p of peers) await p.start()
  await victim.start()
  const to = victim.address()
  const step = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 5) {
      clock.advance(5)
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
  const byAddress = new Map<string, { sent: number; got: Record<string, number> }>()
  let walksToSpoofed = 0
  let offersToSpoofed = 0
  let bytesIn = 0
  for (let i = 0; i < addresses; i++) {
    const t = net.bind({ host: `10.${77 + (i % 100)}.${Math.floor(i / 100)}.${1 + (i % 250)}`, port: 2000 + i })
    const key = `${t.address().host}:${t.address().port}`
    const entry = { sent: 0, got: {} as Record<string, number> }
    byAddress.set(key, entry)
    t.onPacket = (_from, bytes) => {
      const p = decodePacket(bytes)?.packet
      const type = p?.type ?? 'undecodable'
      entry.got[type] = (entry.got[type] ?? 0) + bytes.length
      if (p?.type === 'introduction-request') {
        walksToSpoofed++
        if (p.sync !== undefined) offersToSpoofed++
      }
    }
    const from = t.address()
    const bytes = encodePacket(overlay, { type: 'introduction-request', destination: to, sourceLan: from, sourceWan: from, advice: true, connectionType: 'unknown', identifier: i + 1, globalTime: 1 })
    entry.sent += bytes.length
    bytesIn += bytes.length
    t.send(to, bytes)
  }
  await step(walkMs)
  const out: Record<string, number> = {}
  const worstByType: Record<string, number> = {}
  let worst = 0
  for (const { sent, got } of byAddress.values()) {
    let total = 0
    for (const [type, b] of Object.entries(got)) {
      out[type] = (out[type] ?? 0) + b
      worstByType[type] = Math.max(worstByType[type] ?? 0, b / sent)
      total += b
    }
    worst = Math.max(worst, total / sent)
  }
  const left = victim.candidates(overlay).filter((c) => byAddress.has(c.key)).length
  const bytesOutTotal = victimTransport.stats().bytesSent
  await victim.stop()
  for (const p of peers) await p.stop()
  return { addresses, bytesIn, out, worstByType, worst, walksToSpoofed, offersToSpoofed, leftInTable: left, bytesOutTotal }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(`--${name}`)
    return at >= 0 ? Number(args[at + 1]) : fallback
  }
  const opts = { bundles: option('bundles', 10_000), addresses: option('addresses', 1000), rounds: option('rounds', 3), seed: option('seed', 1) }
  const results = await measureAmplification(opts)
  if (args.includes('--json')) {
    for (const r of results) console.log(JSON.stringify(r))
  } else {
    console.log(`anti-amplification: node holding ${opts.bundles} bundles, ${opts.addresses} spoofed addresses per attack, ${opts.rounds} datagrams each (limit: ratio ≤ 3)`)
    for (const r of results) {
      const out = Object.entries(r.out).map(([k, v]) => `${k} ${v}`).join(', ')
      console.log(`${r.attack.padEnd(12)} in ${r.bytesIn} B / ${r.datagramsIn} datagrams, out ${r.bytesOut} B → ratio ${r.ratio.toFixed(3)} (worst address ${r.maxPerAddress.toFixed(3)}), ${r.blocked} sends blocked, ${r.deferred} answers held back [${out}]`)
    }
  }
  const walking = await measureWalkingAmplification({ bundles: Math.min(opts.bundles, 2000), addresses: Math.min(opts.addresses, 200), stepMs: option('step', 500), walkMs: option('walk-ms', 120_000), seed: opts.seed })
  if (args.includes('--json')) console.log(JSON.stringify({ attack: 'walking', ...walking }))
  else {
    const types = Object.entries(walking.worstByType).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')
    console.log(
      `walking     a node walking every ${option('step', 500)} ms, ${walking.addresses} spoofed stumble candidates (${walking.bytesIn} B in): worst address ${walking.worst.toFixed(3)}; worst by type [${types}]; ${walking.walksToSpoofed} walks to them, ${walking.offersToSpoofed} with a sync offer; ${walking.leftInTable} left in the candidate table`
    )
  }
  if (results.some((r) => r.ratio > 3 || r.maxPerAddress > 3) || walking.worst > 3) process.exitCode = 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
