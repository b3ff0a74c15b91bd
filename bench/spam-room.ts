/**
 * An open room under spam (issue 20, DESIGN §14), on virtual time with the real node code:
 *
 *   npm run measure:spam -- [--peers 30] [--minutes 20] [--seed 1] [--json]
 *
 * `peers` honest nodes, always online on a 50 ± 20 ms network with 1 % loss, each publishing
 * 4 messages in the first half of the run (at most 10 minutes), all in a room whose policy (SPAM_POLICY below) sets a
 * per-author quota, a history, global-time pruning and an identity cost. Spammers (10 % and
 * 30 % of all nodes) are real nodes of the room that sync like everyone (so they forward
 * everyone's spam) and publish as fast as the policy and the identity cost let them: every
 * `IDENTITY_MS` of virtual time one fresh identity (its nonce really minted), whose quota —
 * Q bundles in the current window — they then fill. Each run is compared with the same seed
 * without spammers: honest delivery, honest P50/P90 latency, bytes sent per honest peer, and
 * per honest peer the spam it stores (max, and the policy's bound for what was published)
 * and the spam it forwards (bundles datagrams to others carrying spam, in bytes).
 */
import { generateKeyPair, mintIdentity, roomId, roomPolicy, signBundle, type Bundle, type KeyPair } from '../src/bundle/index.js'
import { ManualClock } from '../src/env/clock.js'
import { SeededRng, int } from '../src/env/rng.js'
import { createNode, type BloomwalkNode } from '../src/node/index.js'
import { MemoryStore } from '../src/store/memory.js'
import { MemoryNetwork, type Transport } from '../src/transport/index.js'
import { decodePacket, type Address } from '../src/wire/index.js'

/** The room's policy: 5 bundles per author per 200 global-time units, the newest 20 per author, pruned 4 000 behind, 8-bit identities (sim scale). */
const SPAM_POLICY = roomPolicy({ quota: { count: 5, window: 200 }, history: 20, pruning: { inactive: 2000, pruned: 4000 }, identityBits: 8 })
/** A spammer mints one identity per virtual second (a machine 2^12× faster than the 8-bit cost needs; a phone pays ≈ 1 s at 20 bits). */
const IDENTITY_MS = 1000
const MESSAGES_PER_PEER = 4
const MAX_PUBLISH_WINDOW_MS = 10 * 60_000

interface RunResult {
  spammers: number
  honestPublished: number
  delivery: number
  p50: number
  p90: number
  bytesPerHonestPeer: number
  spamPublished: number
  spamStoredMax: number
  spamStoredMean: number
  spamForwardedBytesPerHonestPeer: number
  identities: number
  storedBytesPerHonestPeer: number
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** Counts the spam bytes a node sends in bundles datagrams (forwarding). */
function spamCounter(inner: Transport, isSpam: (author: string) => boolean, tally: { bytes: number }): Transport {
  return {
    send: (to: Address, bytes: Uint8Array) => {
      const p = decodePacket(bytes)?.packet
      if (p?.type === 'bundles') for (const b of p.bundles) if (isSpam(hex(b.author))) tally.bytes += b.bytes.length
      inner.send(to, bytes)
    },
    get onPacket() {
      return inner.onPacket
    },
    set onPacket(fn) {
      inner.onPacket = fn
    },
    address: () => inner.address(),
    close: () => inner.close(),
    stats: () => inner.stats()
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r))
}

async function run(peers: number, spammerShare: number, minutes: number, seed: number): Promise<RunResult> {
  const clock = new ManualClock(1_000_000)
  const rng = new SeededRng(seed)
  const net = new MemoryNetwork({ clock, rng: rng.fork(), latencyMs: 50, jitterMs: 20, loss: 0.01 })
  const overlay = roomId('spam-room', SPAM_POLICY)
  const policies = new Map([[hex(overlay), SPAM_POLICY]])
  const trackerT = net.bind()
  const tracker = createNode({ components: { transport: trackerT, clock, rng: rng.fork() }, settings: { role: 'tracker' } })
  await tracker.start()
  const spamAuthors = new Set<string>()
  const isSpam = (a: string) => spamAuthors.has(a)
  const honest: { node: BloomwalkNode; store: MemoryStore; forwarded: { bytes: number }; sent: () => number }[] = []
  for (let i = 0; i < peers; i++) {
    const store = new MemoryStore()
    const forwarded = { bytes: 0 }
    const bound = net.bind()
    const node = createNode({ components: { transport: spamCounter(bound, isSpam, forwarded), clock, rng: rng.fork(), store }, settings: { overlays: [overlay], trusted: [trackerT.address()], policies } })
    await node.start()
    honest.push({ node, store, forwarded, sent: () => bound.stats().bytesSent })
  }
  const spammerCount = Math.round((peers * spammerShare) / (1 - spammerShare))
  const spammers: { node: BloomwalkNode; store: MemoryStore }[] = []
  for (let i = 0; i < spammerCount; i++) {
    const store = new MemoryStore()
    const node = createNode({ components: { transport: net.bind(), clock, rng: rng.fork(), store }, settings: { overlays: [overlay], trusted: [trackerT.address()], policies } })
    await node.start()
    spammers.push({ node, store })
  }
  // Honest publications at seeded times; latency until each honest peer has it.
  const schedule: { at: number; peer: number }[] = []
  const window = Math.min(MAX_PUBLISH_WINDOW_MS, (minutes * 60_000) / 2)
  for (let p = 0; p < peers; p++) for (let m = 0; m < MESSAGES_PER_PEER; m++) schedule.push({ at: clock.now() + int(rng, window), peer: p })
  schedule.sort((a, b) => a.at - b.at)
  const published = new Map<string, number>()
  const latencies: number[] = []
  const owed = new Map<string, number>()
  for (const h of honest) {
    h.node.events.on('bundle', ({ bundle, from }) => {
      if (from === undefined) return
      const at = published.get(hex(bundle.id))
      if (at === undefined) return
      latencies.push(clock.now() - at)
      owed.set(hex(bundle.id), (owed.get(hex(bundle.id)) ?? 0) - 1)
    })
  }
  let spamPublished = 0
  let identities = 0
  const spamRng = rng.fork()
  const end = clock.now() + minutes * 60_000
  let nextIdentity = clock.now() + IDENTITY_MS
  let next = 0
  while (clock.now() < end) {
    while (next < schedule.length && schedule[next]!.at <= clock.now()) {
      const { peer } = schedule[next++]!
      const b = await honest[peer]!.node.publish(overlay, new TextEncoder().encode(`honest ${peer} ${next}`))
      published.set(hex(b.id), clock.now())
      owed.set(hex(b.id), peers - 1)
    }
    if (clock.now() >= nextIdentity) {
      nextIdentity += IDENTITY_MS
      for (const s of spammers) {
        // A fresh identity, its nonce minted, its quota filled at the spammer's current global time.
        const keys: KeyPair = generateKeyPair(spamRng)
        const identityNonce = mintIdentity(overlay, keys.publicKey, SPAM_POLICY.identityBits)
        spamAuthors.add(hex(keys.publicKey))
        identities++
        const time = s.node.stats().overlays[0]!.globalTime
        for (let q = 0; q < SPAM_POLICY.quota.count; q++) {
          const b: Bundle = signBundle({ overlay, globalTime: time + 1, kind: 1, body: spamRng.bytes(100), identityNonce }, keys)
          // Straight into its store: its node serves it to every walker (and syncs everyone else's spam).
          if (await s.store.put(b)) spamPublished++
        }
      }
    }
    clock.advance(100)
    await settle()
  }
  // Stored spam per honest peer, bytes sent per honest peer.
  const spamStored: number[] = []
  let storedBytes = 0
  for (const h of honest) {
    let spam = 0
    for await (const b of h.store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER })) {
      storedBytes += b.bytes.length
      if (isSpam(hex(b.author))) spam++
    }
    spamStored.push(spam)
  }
  const delivered = latencies.length
  const owedTotal = published.size * (peers - 1)
  const result: RunResult = {
    spammers: spammerCount,
    honestPublished: published.size,
    delivery: owedTotal === 0 ? 1 : delivered / owedTotal,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    bytesPerHonestPeer: honest.reduce((a, h) => a + h.sent(), 0) / peers,
    spamPublished,
    spamStoredMax: Math.max(...spamStored),
    spamStoredMean: spamStored.reduce((a, b) => a + b, 0) / peers,
    spamForwardedBytesPerHonestPeer: honest.reduce((a, h) => a + h.forwarded.bytes, 0) / peers,
    identities,
    storedBytesPerHonestPeer: storedBytes / peers
  }
  await Promise.all([tracker.stop(), ...honest.map((h) => h.node.stop()), ...spammers.map((s) => s.node.stop())])
  return result
}

function ratio(a: number, b: number): string {
  return b === 0 ? (a === 0 ? '—' : '∞') : `×${(a / b).toFixed(3)}`
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? Number(args[i + 1]) : fallback
  }
  const peers = option('peers', 30)
  const minutes = option('minutes', 20)
  const seed = option('seed', 1)
  if (!(Number.isInteger(peers) && peers >= 2 && peers <= 200) || !(minutes > 0 && minutes <= 120) || !Number.isInteger(seed)) {
    process.stderr.write('usage: spam-room [--peers 2..200] [--minutes 1..120] [--seed n] [--json]\n')
    process.exit(2)
  }
  process.stdout.write(`policy: quota ${SPAM_POLICY.quota.count} per ${SPAM_POLICY.quota.window} global-time units, history ${SPAM_POLICY.history}, pruned ${SPAM_POLICY.pruning.pruned} behind, identity ${SPAM_POLICY.identityBits} bits; one identity per spammer per ${IDENTITY_MS} ms\n`)
  const quiet = await run(peers, 0, minutes, seed)
  const rows: { name: string; r: RunResult }[] = [{ name: 'no-spam', r: quiet }]
  for (const [name, share] of [['spam-10', 0.1], ['spam-30', 0.3]] as const) rows.push({ name, r: await run(peers, share, minutes, seed) })
  for (const { name, r } of rows) {
    process.stdout.write(
      `${name.padEnd(8)} spammers ${r.spammers} honest delivery ${(r.delivery * 100).toFixed(1)} % P50 ${(r.p50 / 1000).toFixed(1)} s P90 ${(r.p90 / 1000).toFixed(1)} s ` +
        `(${ratio(r.p90, quiet.p90)} of no-spam); bytes sent per honest peer ${Math.round(r.bytesPerHonestPeer)} (${ratio(r.bytesPerHonestPeer, quiet.bytesPerHonestPeer)}); ` +
        `stored per honest peer ${Math.round(r.storedBytesPerHonestPeer)} B; spam published ${r.spamPublished} by ${r.identities} identities, stored per honest peer max ${r.spamStoredMax} mean ${r.spamStoredMean.toFixed(0)}; ` +
        `spam forwarded per honest peer ${Math.round(r.spamForwardedBytesPerHonestPeer)} B\n`
    )
  }
  if (args.includes('--json')) process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
}

await main()
