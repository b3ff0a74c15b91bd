/**
 * The testbed's network: Linux network namespaces on one bridge, each host with an address
 * of its own /16, `tc netem` delay and jitter on every host's egress (where the kernel has
 * sch_netem), loss by an nftables rule on every host's output, and optionally
 * NAT routers (nftables masquerade with a reply-only filter, as test/nat's cone and
 * symmetric recipes) with several hosts on one LAN behind each: a carrier-grade NAT.
 *
 * ```
 *   [pub] br0 ── eth0 20.0.0.1   [h0]  (the tracker)
 *            ├── eth0 21.0.0.1   [h1]  (a public peer)
 *            └── wan0 60.0.0.1   [r0] ── lan br ── eth0 10.0.0.2 [h2], 10.0.0.3 [h3] …
 * ```
 *
 * Public addresses are the simulator's (src/sim/nat.ts `publicHost`): each host in its own
 * /16 and /24, so the candidate table's per-subnet caps bind in neither. Every host has an
 * on-link default route, so hosts of different subnets reach each other over the bridge.
 * Namespace names start with `bwtb-<pid>-`; `down()` kills what runs inside them and deletes
 * them. Root (CAP_NET_ADMIN) only: {@link testbedUnavailable} says why not.
 */
import { deleteNamespace, deleteNamespaceSync, namespaces, namespacesUnavailable, pidAlive, run } from '../netns.js'
import { publicHost } from '../../src/sim/nat.js'

/** How a NAT router maps: `cone` keeps the source port (endpoint-independent), `symmetric` picks a random port per destination. */
export type TestbedNat = 'cone' | 'symmetric'

/** What to build. */
export interface LabSpec {
  /** Hosts with a public address (the first is usually the tracker). */
  publicHosts: number
  /** NAT routers and the hosts behind each. */
  nats: Array<{ kind: TestbedNat; hosts: number }>
  /** One-way delay of every datagram: `latencyMs` plus a uniform draw in [0, jitterMs). */
  latencyMs: number
  jitterMs: number
  /** Probability that a datagram is lost on the sender's output. */
  loss: number
}

/** One host of the lab. */
export interface LabHost {
  /** Namespace name. */
  ns: string
  /** Its own IPv4 address. */
  ip: string
  /** The address the Internet sees it at (its router's for a host behind a NAT). */
  publicIp: string
  /** NAT router index, or −1 for a public host. */
  nat: number
  /** Position behind its NAT (0 for public hosts): hosts behind one NAT bind distinct ports. */
  slot: number
}

const NS_ROOT = 'bwtb-'
let labs = 0
const live = new Set<Testbed>()

/** Why a testbed cannot run here (one line), or `undefined` when it can: needs Linux, root, `ip`, `tc` and `nft`, and makes a namespace to be sure. */
export function testbedUnavailable(): Promise<string | undefined> {
  const commands = [
    ['ip', 'iproute2'],
    ['tc', 'iproute2'],
    ['nft', 'nftables']
  ] as const
  return namespacesUnavailable(commands, `${NS_ROOT}${process.pid}-probe`, (ns) => run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], lossRules(0.5)))
}

/** Why `tc netem` cannot delay datagrams here (a kernel without sch_netem), or `undefined` when it can. */
export async function netemUnavailable(): Promise<string | undefined> {
  const probe = `${NS_ROOT}${process.pid}-netem`
  try {
    await run('ip', ['netns', 'add', probe])
    await run('ip', ['-n', probe, 'link', 'add', 'name', 'p0', 'type', 'veth', 'peer', 'name', 'p1'])
    await run('tc', ['-n', probe, 'qdisc', 'add', 'dev', 'p0', 'root', 'netem', 'delay', '1ms'])
    return undefined
  } catch (err) {
    return `tc netem is not available in this kernel (sch_netem): ${(err as Error).message.split('\n')[0]}`
  } finally {
    await run('ip', ['netns', 'del', probe]).catch(() => undefined)
  }
}

/**
 * Delays up to this (latency + jitter, ms) run without netem where the kernel has none: a
 * veth between namespaces of a loaded host already delays a datagram by about this much.
 */
export const NATIVE_DELAY_MS = 2

/** Deletes testbed namespaces left by processes that no longer run. */
export async function removeStaleTestbeds(): Promise<string[]> {
  const stale = namespaces().filter((ns) => {
    const m = /^bwtb-(\d+)-/.exec(ns)
    return m !== null && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))
  })
  for (const ns of stale) await deleteNamespace(ns, 30)
  return stale
}

/** netem arguments for a one-way delay uniform in [latency, latency + jitter). */
export function netemArgs(spec: Pick<LabSpec, 'latencyMs' | 'jitterMs'>): string[] {
  const args = ['delay', `${spec.latencyMs + spec.jitterMs / 2}ms`]
  // netem's jitter without a distribution table is uniform in ±jitter.
  if (spec.jitterMs > 0) args.push(`${spec.jitterMs / 2}ms`)
  // The default queue of 1000 packets would drop bursts of a busy host: not a loss asked for.
  args.push('limit', '100000')
  return args
}

/** nftables rules dropping each outgoing UDP datagram with probability `loss` (in steps of 10⁻⁴): the kernel's own random numbers. */
export function lossRules(loss: number): string {
  return [
    'table ip bwtbloss {',
    '  chain output {',
    '    type filter hook output priority filter; policy accept;',
    `    meta l4proto udp numgen random mod 10000 < ${Math.round(loss * 10_000)} drop`,
    '  }',
    '}',
    ''
  ].join('\n')
}

/** The nftables rules of a NAT router (wan0 outside, lanbr inside): masquerade and a reply-only filter. */
export function natRules(kind: TestbedNat): string {
  const masquerade = kind === 'symmetric' ? 'masquerade fully-random' : 'masquerade'
  return [
    'table ip bwtb {',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "wan0" ${masquerade}`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    '    iifname "wan0" ct state established,related accept',
    '    iifname "wan0" drop',
    '  }',
    // Unsolicited datagrams to the WAN address: dropped before conntrack confirms an entry (natlab pitfall 1).
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    '    iifname "wan0" ct state established,related accept',
    '    iifname "wan0" drop',
    '  }',
    '}',
    ''
  ].join('\n')
}

/** A built testbed. Create with {@link Testbed.up}; always `down()` it. */
export class Testbed {
  readonly prefix: string
  readonly spec: LabSpec
  readonly hosts: LabHost[] = []
  /** Delay and jitter are emulated by netem (false: the kernel has none and the delay asked for is at most {@link NATIVE_DELAY_MS}). */
  netem = false
  #down: Promise<void> | undefined

  private constructor(spec: LabSpec) {
    this.spec = spec
    this.prefix = `${NS_ROOT}${process.pid}-${++labs}-`
  }

  /** Builds the testbed (hosts in order: public ones, then each NAT's); on failure tears down what was built and rethrows. */
  static async up(spec: LabSpec, options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<Testbed> {
    const lab = new Testbed(spec)
    live.add(lab)
    try {
      await lab.#build(options.onProgress, options.signal)
    } catch (err) {
      await lab.down()
      throw err
    }
    return lab
  }

  /** Kills everything inside the testbed's namespaces and deletes them. Idempotent. */
  down(): Promise<void> {
    this.#down ??= (async () => {
      const ours = namespaces().filter((ns) => ns.startsWith(this.prefix))
      // In batches: 50 hosts at once would fork 50 `ip` processes.
      for (let i = 0; i < ours.length; i += 8) await Promise.all(ours.slice(i, i + 8).map((ns) => deleteNamespace(ns, 30)))
      live.delete(this)
    })()
    return this.#down
  }

  async #ns(name: string): Promise<string> {
    const ns = this.prefix + name
    await run('ip', ['netns', 'add', ns])
    await run('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up'])
    return ns
  }

  async #build(onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<void> {
    const check = (): void => {
      if (signal?.aborted === true) throw new Error('testbed: aborted while building')
    }
    const s = this.spec
    const total = s.publicHosts + s.nats.reduce((n, r) => n + r.hosts, 0)
    let done = 0
    const pub = await this.#ns('pub')
    await run('ip', ['-n', pub, 'link', 'add', 'name', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'])
    await run('ip', ['-n', pub, 'link', 'set', 'dev', 'br0', 'up'])
    let ipIndex = 0
    let port = 0
    const attach = async (bridgeNs: string, bridge: string, ns: string, ifName: string, cidr: string): Promise<void> => {
      const p = `p${port++}`
      await run('ip', ['-n', bridgeNs, 'link', 'add', 'name', p, 'type', 'veth', 'peer', 'name', ifName, 'netns', ns])
      await run('ip', ['-n', bridgeNs, 'link', 'set', 'dev', p, 'master', bridge])
      await run('ip', ['-n', bridgeNs, 'link', 'set', 'dev', p, 'up'])
      await run('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', ifName])
      await run('ip', ['-n', ns, 'link', 'set', 'dev', ifName, 'up'])
    }
    const delayed = s.latencyMs + s.jitterMs > 0
    if (delayed) {
      const why = await netemUnavailable()
      if (why !== undefined && s.latencyMs + s.jitterMs > NATIVE_DELAY_MS) throw new Error(`${why}; run with a delay (latency + jitter) of at most ${NATIVE_DELAY_MS} ms`)
      this.netem = why === undefined
    }
    const shape = async (ns: string, dev: string): Promise<void> => {
      if (delayed && this.netem) await run('tc', ['-n', ns, 'qdisc', 'add', 'dev', dev, 'root', 'netem', ...netemArgs(s)])
      if (s.loss > 0) await run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], lossRules(s.loss))
    }
    for (let i = 0; i < s.publicHosts; i++) {
      check()
      const ns = await this.#ns(`h${this.hosts.length}`)
      const ip = publicHost(ipIndex++)
      await attach(pub, 'br0', ns, 'eth0', `${ip}/32`)
      await run('ip', ['-n', ns, 'route', 'add', 'default', 'dev', 'eth0'])
      await shape(ns, 'eth0')
      this.hosts.push({ ns, ip, publicIp: ip, nat: -1, slot: 0 })
      onProgress?.(++done, total)
    }
    for (const [k, nat] of s.nats.entries()) {
      const router = await this.#ns(`r${k}`)
      const wan = publicHost(ipIndex++)
      await attach(pub, 'br0', router, 'wan0', `${wan}/32`)
      await run('ip', ['-n', router, 'route', 'add', 'default', 'dev', 'wan0'])
      await run('ip', ['-n', router, 'link', 'add', 'name', 'lanbr', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'])
      await run('ip', ['-n', router, 'addr', 'add', `10.${k}.0.1/16`, 'dev', 'lanbr'])
      await run('ip', ['-n', router, 'link', 'set', 'dev', 'lanbr', 'up'])
      await run('ip', ['netns', 'exec', router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter'])
      await run('ip', ['netns', 'exec', router, 'nft', '-f', '-'], natRules(nat.kind))
      for (let j = 0; j < nat.hosts; j++) {
        check()
        const ns = await this.#ns(`h${this.hosts.length}`)
        const ip = `10.${k}.${Math.floor((j + 2) / 256)}.${(j + 2) % 256}`
        await attach(router, 'lanbr', ns, 'eth0', `${ip}/16`)
        await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', `10.${k}.0.1`])
        await shape(ns, 'eth0')
        this.hosts.push({ ns, ip, publicIp: wan, nat: k, slot: j })
        onProgress?.(++done, total)
      }
    }
  }
}

/** Last resort when the process exits without `down()`: kill and delete our namespaces. */
process.once('exit', () => {
  for (const lab of live) {
    for (const ns of namespaces().filter((n) => n.startsWith(lab.prefix))) {
      deleteNamespaceSync(ns)
    }
  }
})
