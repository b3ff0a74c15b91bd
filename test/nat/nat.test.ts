/**
 * Hole punching through real NATs: real `bloomwalk` processes (tracker and nodes, the built
 * CLI) in Linux network namespaces behind nftables NAT routers (./harness.ts). Every test
 * builds its own lab, so no conntrack state leaks between tests, and waits for conditions by
 * polling the nodes' status files against a deadline. docs/nat-traversal.md explains the
 * sequence and what each test proves.
 *
 * Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN), `ip` and `nft`; skips with one line otherwise.
 * Run with `npm run test:nat` (builds first).
 */
import { existsSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CLI, NODE_PORT, startNode, startTracker, waitFor, type NodeProcess, type NodeOptions } from './bloomwalk.js'
import { NatLab, labUnavailable, removeStaleLabs, type ConntrackEntry, type LabSpec } from './harness.js'

/**
 * Walk steps every 500 ms instead of 5 s, so a peer may be walked to again after 2.75 s
 * instead of 27.5 s (the CLI scales that delay with the step): seconds per test, not
 * minutes. A sync offer on every step: with the idle skip curve (DESIGN §5) a node idle for
 * a few seconds offers on one step in ten, and a pull across two hops could take a minute;
 * this suite is about the path, not idle bandwidth.
 */
const FAST: NodeOptions = { stepMs: 500, noIdleSkip: true }
/** Deadline for a step of the protocol that takes a few walk steps. */
const SOON = 20_000

let unavailable: string | undefined
let lab: NatLab | undefined
let nodes: NodeProcess[] = []

beforeAll(async () => {
  unavailable = await labUnavailable()
  if (unavailable !== undefined) {
    console.warn(`NAT tests skipped: ${unavailable}`)
    return
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm run test:nat\` does)`)
  await removeStaleLabs()
})

beforeEach((ctx) => {
  if (unavailable !== undefined) ctx.skip()
})

afterEach(async (ctx) => {
  if (lab === undefined) return
  if (ctx.task.result?.state === 'fail') {
    // Leave the logs and status files for the failure message to point at.
    console.warn(`NAT lab ${lab.prefix}: logs kept in ${lab.dir}\n${nodes.map((n) => n.describe()).join('\n')}`)
    await lab.down()
  } else {
    await lab.down()
    lab.removeFiles()
  }
  lab = undefined
  nodes = []
})

afterAll(async () => {
  await lab?.down()
})

async function up(spec: LabSpec): Promise<NatLab> {
  lab = await NatLab.up(spec)
  return lab
}

function node(l: NatLab, host: string, options: NodeOptions): NodeProcess {
  const n = startNode(l, host, options)
  nodes.push(n)
  return n
}

function describeAll(): string {
  return nodes.map((n) => n.describe()).join('\n')
}

/** `host:port` of a node as the Internet sees it. */
function publicKey(l: NatLab, host: string): string {
  return `${l.publicIp(host)}:${NODE_PORT}`
}

/** The conntrack entry of the flow from `host` to `peer`'s public address, at `host`'s router. */
async function flow(l: NatLab, host: string, peer: string): Promise<ConntrackEntry | undefined> {
  return (await l.conntrack(host)).find((e) => e.src === l.ip(host) && e.sport === NODE_PORT && e.dst === l.publicIp(peer))
}

describe('hole punching through NATs in network namespaces', () => {
  it('cone ↔ cone: the tracker introduces, the introduced peer punctures, then the peers sync directly, also with the tracker gone', async () => {
    const l = await up({ publicHosts: ['tracker'], nats: [{ host: 'a', kind: 'cone' }, { host: 'c', kind: 'cone' }] })
    const tracker = await startTracker(l, 'tracker')
    const c = node(l, 'c', { ...FAST, trackers: [tracker.address] })
    await waitFor('c to register with the tracker', () => c.received('introduction-response') > 0, SOON, describeAll)
    const a = node(l, 'a', { ...FAST, trackers: [tracker.address] })
    const aPub = publicKey(l, 'a')
    const cPub = publicKey(l, 'c')

    // Each becomes a walk candidate of the other, at the other NAT's public address: a
    // walk candidate answered our introduction-request there, so the path is direct.
    await waitFor('a and c to walk to each other', () => a.candidate(cPub, 'walk') !== undefined && c.candidate(aPub, 'walk') !== undefined, SOON, describeAll)
    const sa = a.status()!
    const sc = c.status()!
    expect(sa.stats.wan).toEqual({ host: l.publicIp('a'), port: NODE_PORT })
    expect(sc.stats.wan).toEqual({ host: l.publicIp('c'), port: NODE_PORT })
    // The tracker asked a peer to puncture, and it did (the first sequence runs A→tracker→C).
    expect(sc.stats.in['puncture-request']?.datagrams).toBeGreaterThanOrEqual(1)
    expect(sc.stats.out.puncture?.datagrams).toBeGreaterThanOrEqual(1)

    // Bundles both ways, straight from the other NAT's public address.
    a.publish('a: before')
    c.publish('c: before')
    await waitFor('both bundles to cross', () => c.delivered('a: before') !== undefined && a.delivered('c: before') !== undefined, SOON, describeAll)
    expect(c.delivered('a: before')!.from).toBe(aPub)
    expect(a.delivered('c: before')!.from).toBe(cPub)
    const before = { a: await l.counters('a'), c: await l.counters('c') }
    expect(before.a.in.c).toBeGreaterThan(0)
    expect(before.c.in.a).toBeGreaterThan(0)

    // No tracker any more: the direct path carries everything.
    await tracker.stop()
    a.publish('a: tracker gone')
    c.publish('c: tracker gone')
    await waitFor('bundles published after the tracker stopped to cross', () => c.delivered('a: tracker gone') !== undefined && a.delivered('c: tracker gone') !== undefined, SOON, describeAll)
    expect(c.delivered('a: tracker gone')!.from).toBe(aPub)
    expect(a.delivered('c: tracker gone')!.from).toBe(cPub)
    const after = { a: await l.counters('a'), c: await l.counters('c') }
    expect(after.a.in.c).toBeGreaterThan(before.a.in.c!)
    expect(after.c.in.a).toBeGreaterThan(before.c.in.a!)
    console.info(`cone↔cone: routers a ${JSON.stringify(after.a)}, c ${JSON.stringify(after.c)}\n${describeAll()}`)
  })

  it('without puncture-requests a walker introduced to a NATed peer never gets through; the same peers with them do', async () => {
    const l = await up({ publicHosts: ['tracker'], nats: [{ host: 'a', kind: 'cone' }, { host: 'c', kind: 'cone' }] })
    const aPub = publicKey(l, 'a')
    const cPub = publicKey(l, 'c')
    // c registers with the tracker at its first step and then only answers (its next step
    // is a minute away): were it to walk to a as well, the two walks would open both NATs
    // from the inside (a simultaneous open) and the puncture would not be what is tested.
    const quiet: NodeOptions = { ...FAST, stepMs: 60_000 }
    let tracker = await startTracker(l, 'tracker', { noPunctureRequests: true })
    let c = node(l, 'c', { ...quiet, trackers: [tracker.address] })
    await waitFor('c to register with the tracker', () => c.received('introduction-response') > 0, SOON, describeAll)
    const a = node(l, 'a', { ...FAST, trackers: [tracker.address], noPunctureRequests: true })
    c.publish('c: unreachable')

    // a hears of c from the tracker over and over and walks to it; c's NAT drops every walk.
    // c never sent a anything, so each walk is a validation probe, at most one per 20 s
    // (docs/security.md, anti-amplification): three take over 40 s.
    await waitFor(
      "a's walks to c to be dropped by c's NAT and time out",
      async () => (await l.counters('c')).drop.a! >= 3 && (a.status()?.stats.walkTimeouts ?? 0) >= 1,
      60_000,
      describeAll
    )
    const sa = a.status()!
    expect(sa.candidates.find((x) => x.key === cPub)?.category).not.toBe('walk')
    expect(sa.stats.in['introduction-response']?.datagrams ?? 0).toBeGreaterThan(0) // from the tracker only
    expect(sa.stats.punctures.succeeded).toBe(0)
    expect(c.status()!.stats.in['puncture-request']).toBeUndefined()
    expect(c.status()!.stats.in['introduction-request']).toBeUndefined()
    expect(a.delivered('c: unreachable')).toBeUndefined()
    const none = { a: await l.counters('a'), c: await l.counters('c') }
    expect(none.a.out.c).toBeGreaterThanOrEqual(3) // a's walks left its NAT…
    expect(none.c.in.a).toBe(0) // …and none got into c's
    expect(none.a.in.c).toBe(0)
    console.info(`no puncture-requests: a ${JSON.stringify(none.a)}, c ${JSON.stringify(none.c)}, a walks ${sa.stats.walks} (timeouts ${sa.stats.walkTimeouts})`)

    // Control: the same quiet c, registered with a tracker that does send puncture-requests.
    await tracker.stop()
    await c.stop()
    tracker = await startTracker(l, 'tracker')
    c = node(l, 'c', { ...quiet, trackers: [tracker.address] })
    await waitFor('a to walk to c through the punctured NAT', () => a.candidate(cPub, 'walk') !== undefined && a.delivered('c: unreachable') !== undefined, SOON, describeAll)
    expect(a.delivered('c: unreachable')!.from).toBe(cPub)
    expect((await l.counters('a')).in.c).toBeGreaterThan(0)
    // c's status file is rewritten once a second, so it may not show the puncture yet when a's
    // delivery already does: wait for it rather than read it once.
    await waitFor("c's status to count the puncture it sent", () => (c.status()?.stats.out.puncture?.datagrams ?? 0) >= 1, SOON, describeAll)
    expect(aPub).not.toBe(cPub)
  })

  // Classifying symmetric-NAT needs the answer to a's own walk to p (a new NAT port, a second
  // voter). When walks to unvalidated addresses became probes (issue 21), the puncture a sends
  // p at the tracker's request used up p's one probe per 20 s and held that walk back: 22–28 s
  // after p started. Punctures now have a probe of their own (amplification.ts ProbeKind):
  // 6–12 s (26 s before, same machine). The deadline stays generous for a loaded CI machine.
  it('symmetric ↔ symmetric: punctures fail, both detect symmetric-NAT from WAN votes, and they sync through a public peer', { timeout: 180_000 }, async () => {
    const l = await up({ publicHosts: ['tracker', 'p'], nats: [{ host: 'a', kind: 'symmetric' }, { host: 'c', kind: 'symmetric' }] })
    const tracker = await startTracker(l, 'tracker')
    const c = node(l, 'c', { ...FAST, trackers: [tracker.address] })
    await waitFor('c to register with the tracker', () => c.received('introduction-response') > 0, SOON, describeAll)
    const a = node(l, 'a', { ...FAST, trackers: [tracker.address] })
    const t0 = Date.now()

    // Only the tracker is public, so the tracker introduces a and c to each other: each
    // expects a puncture that its NAT drops (it arrives at the port mapped for the tracker,
    // from an address that port never sent to), and its walks die at the other NAT.
    await waitFor(
      'failed punctures on both sides',
      () => (a.status()?.stats.punctures.failed ?? 0) > 0 && (c.status()?.stats.punctures.failed ?? 0) > 0,
      30_000,
      describeAll
    )
    const t1 = Date.now()
    const failed = { a: a.status()!.stats, c: c.status()!.stats }
    expect(failed.a.punctures.succeeded).toBe(0)
    expect(failed.c.punctures.succeeded).toBe(0)

    // A public peer: a second voter IP. Each NAT maps a's socket to a new port for it, so
    // a and c see two WAN addresses, each voted for by one IP: symmetric-NAT.
    const p = node(l, 'p', { ...FAST, trackers: [tracker.address] })
    await waitFor('a and c to classify themselves symmetric-NAT', () => a.status()?.stats.connectionType === 'symmetric-NAT' && c.status()?.stats.connectionType === 'symmetric-NAT', 90_000, describeAll)
    await waitFor('p to classify itself public', () => p.status()?.stats.connectionType === 'public', SOON, describeAll)
    const t2 = Date.now()

    a.publish('a: via p')
    c.publish('c: via p')
    const pKey = `${l.ip('p')}:${NODE_PORT}`
    await waitFor('both bundles to cross through p', () => c.delivered('a: via p') !== undefined && a.delivered('c: via p') !== undefined, 30_000, describeAll)
    const t3 = Date.now()
    expect(c.delivered('a: via p')!.from).toBe(pKey)
    expect(a.delivered('c: via p')!.from).toBe(pKey)

    // Never direct: no candidate of either at the other's NAT is a walk candidate, and
    // neither router admitted a datagram from the other.
    for (const [n, other] of [
      [a, 'c'],
      [c, 'a']
    ] as const) {
      expect(n.status()!.candidates.filter((x) => x.key.startsWith(`${l.publicIp(other)}:`) && x.category === 'walk')).toEqual([])
    }
    const counters = { a: await l.counters('a'), c: await l.counters('c') }
    expect(counters.a.in.c).toBe(0)
    expect(counters.c.in.a).toBe(0)
    expect(counters.a.drop.c! + counters.c.drop.a!).toBeGreaterThan(0)
    console.info(
      `symmetric: failed punctures after ${t1 - t0} ms, symmetric-NAT ${t2 - t1} ms after p started, relayed in ${t3 - t2} ms; routers a ${JSON.stringify(counters.a)} c ${JSON.stringify(counters.c)}\n${describeAll()}`
    )
  })

  it('public ↔ cone: a public peer and a peer behind a cone NAT sync both ways', async () => {
    const l = await up({ publicHosts: ['tracker', 'p'], nats: [{ host: 'a', kind: 'cone' }] })
    const tracker = await startTracker(l, 'tracker')
    const p = node(l, 'p', { ...FAST, trackers: [tracker.address] })
    await waitFor('p to register with the tracker', () => p.received('introduction-response') > 0, SOON, describeAll)
    const a = node(l, 'a', { ...FAST, trackers: [tracker.address] })
    const aPub = publicKey(l, 'a')
    const pKey = `${l.ip('p')}:${NODE_PORT}`
    await waitFor('a and p to walk to each other', () => a.candidate(pKey, 'walk') !== undefined && p.candidate(aPub, 'walk') !== undefined, SOON, describeAll)

    a.publish('a: to the public peer')
    p.publish('p: to the NATed peer')
    await waitFor('both bundles to cross', () => p.delivered('a: to the public peer') !== undefined && a.delivered('p: to the NATed peer') !== undefined, SOON, describeAll)
    expect(p.delivered('a: to the public peer')!.from).toBe(aPub)
    expect(a.delivered('p: to the NATed peer')!.from).toBe(pKey)
    expect(p.status()!.stats.connectionType).toBe('public')
    expect(a.status()!.stats.wan).toEqual({ host: l.publicIp('a'), port: NODE_PORT })
    expect(a.status()!.stats.connectionType).not.toBe('symmetric-NAT')
  })

  it('keep-alive: walking keeps both NAT mappings open for over a minute with a 10 s UDP timeout', { timeout: 150_000 }, async () => {
    const UDP_TIMEOUT_S = 10
    const HOLD_MS = 65_000
    const l = await up({ publicHosts: ['tracker'], nats: [{ host: 'a', kind: 'cone' }, { host: 'c', kind: 'cone' }], udpTimeoutS: UDP_TIMEOUT_S })
    // Steps every 500 ms, revisits every 2.75 s: each side walks to the other well within the timeout.
    const keep = FAST
    const tracker = await startTracker(l, 'tracker')
    const c = node(l, 'c', { ...keep, trackers: [tracker.address] })
    await waitFor('c to register with the tracker', () => c.received('introduction-response') > 0, SOON, describeAll)
    const a = node(l, 'a', { ...keep, trackers: [tracker.address] })
    const aPub = publicKey(l, 'a')
    const cPub = publicKey(l, 'c')
    await waitFor('a and c to walk to each other', () => a.candidate(cPub, 'walk') !== undefined && c.candidate(aPub, 'walk') !== undefined, SOON, describeAll)
    const start = { a: await flow(l, 'a', 'c'), c: await flow(l, 'c', 'a') }
    expect(start.a).toBeDefined()
    expect(start.c).toBeDefined()
    const drops = { a: (await l.counters('a')).drop.c!, c: (await l.counters('c')).drop.a! }

    // Hold for over a minute, both sides chatting every 10 s; at every poll both flows keep
    // their mapping and each peer stays the other's walk candidate.
    const sent: string[] = []
    const until = Date.now() + HOLD_MS
    let polls = 0
    while (Date.now() < until) {
      if (polls % 10 === 0) {
        for (const n of [a, c]) {
          const text = `${n.name}: ${polls} s`
          n.publish(text)
          sent.push(text)
        }
      }
      const fa = await flow(l, 'a', 'c')
      const fc = await flow(l, 'c', 'a')
      expect(fa?.replyDport, 'a→c mapping').toBe(start.a!.replyDport)
      expect(fc?.replyDport, 'c→a mapping').toBe(start.c!.replyDport)
      expect(fa!.timeout).toBeLessThanOrEqual(UDP_TIMEOUT_S)
      expect(a.candidate(cPub, 'walk'), describeAll()).toBeDefined()
      expect(c.candidate(aPub, 'walk'), describeAll()).toBeDefined()
      polls++
      await new Promise((r) => setTimeout(r, 1000))
    }

    // The same conntrack entries, now older than six of their timeouts: never re-created.
    const end = { a: (await flow(l, 'a', 'c'))!, c: (await flow(l, 'c', 'a'))! }
    expect(end.a.age).toBeGreaterThanOrEqual(HOLD_MS / 1000)
    expect(end.c.age).toBeGreaterThanOrEqual(HOLD_MS / 1000)
    expect({ a: (await l.counters('a')).drop.c, c: (await l.counters('c')).drop.a }).toEqual(drops)
    a.publish('a: a minute later')
    c.publish('c: a minute later')
    sent.push('a: a minute later', 'c: a minute later')
    const receiver = (text: string): NodeProcess => (text.startsWith('a:') ? c : a)
    await waitFor('every bundle to cross, the last ones published after the hold', () => sent.every((t) => receiver(t).delivered(t) !== undefined), 30_000, describeAll)
    for (const t of sent) expect(receiver(t).delivered(t)!.from, t).toBe(t.startsWith('a:') ? aPub : cPub)
    console.info(`keep-alive: ${polls} polls, ${sent.length} bundles; a→c mapping :${end.a.replyDport} age ${end.a.age} s, c→a mapping :${end.c.replyDport} age ${end.c.age} s (UDP timeout ${UDP_TIMEOUT_S} s)`)
  })
})
