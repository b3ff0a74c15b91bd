/**
 * A NAT lab in Linux network namespaces, for running real `bloomwalk` processes behind real
 * NATs (docs/nat-traversal.md). Learned from the natlab recipe in ../shared/natlab; written
 * here in TypeScript driving `ip` and `nft`.
 *
 * ```
 *   [P-tracker] eth0 10.200.0.2 ──┐
 *   [P-p]       eth0 10.200.0.3 ──┤ br0 in [P-pub]: the "Internet", one /24
 *   [P-ra] wan0 10.200.0.101 ─────┤
 *     └ lan0 10.200.1.1 ── eth0 10.200.1.2 [P-a]     (host a behind NAT router ra)
 *   [P-rc] wan0 10.200.0.102 ─────┘
 *     └ lan0 10.200.2.1 ── eth0 10.200.2.2 [P-c]
 * ```
 *
 * Each NAT router masquerades its LAN behind its WAN address and drops unsolicited inbound
 * traffic before conntrack confirms it (without that drop, Linux re-maps ports and punching
 * breaks: natlab pitfall 1; rules in ./router.ts). Two kinds:
 * - `cone`: `masquerade` keeps the source port, so one LAN socket keeps one public port
 *   whatever the destination (endpoint-independent mapping); the firewall admits only
 *   replies (address- and port-dependent filtering): a port-restricted cone.
 * - `symmetric`: `masquerade fully-random`, a fresh random port per destination.
 *
 * Every namespace name starts with `bw-<pid>-<n>-`, so labs of parallel runs never meet;
 * nothing is created in the host namespace (veth peers are created directly inside the lab
 * namespaces). `down()` kills only processes inside the lab's own namespaces, by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { deleteNamespace, deleteNamespaceSync, namespaces, namespacesUnavailable, pidAlive, run } from '../../bench/netns.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RULES_TABLE, parseConntrack, parseCounters, routerRules, type ConntrackEntry, type NatKind, type RouterCounters } from './router.js'

export type { ConntrackEntry, NatKind, RouterCounters }

/** What to build. */
export interface LabSpec {
  /** Hosts with a public address on the shared segment, e.g. `['tracker', 'p']`. */
  publicHosts: string[]
  /** NAT routers, each with one private host of the same name behind it. */
  nats: Array<{ host: string; kind: NatKind }>
  /** Conntrack UDP timeout in every router, seconds (unreplied and stream alike). Default: the kernel's 30 / 120. */
  udpTimeoutS?: number
}

/** A process started inside a lab namespace. */
export interface LabProcess {
  readonly name: string
  readonly child: ChildProcess
  /** Where its stdout and stderr go. */
  readonly log: string
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<number | string>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>
}

/** The public segment: 10.200.0.0/24 on the bridge. */
const PUBLIC_NET = '10.200.0'
/** Names of the lab's namespaces start with this, then the pid of the process that made them. */
const NS_ROOT = 'bw-'

let labs = 0
const live = new Set<NatLab>()

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Why NAT labs cannot run here (one line), or `undefined` when they can: checks for `ip` and
 * `nft`, then actually creates and deletes a namespace.
 */
export function labUnavailable(): Promise<string | undefined> {
  const commands = [
    ['ip', 'iproute2'],
    ['nft', 'nftables']
  ] as const
  return namespacesUnavailable(commands, `${NS_ROOT}${process.pid}-probe`, (ns) => run('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']))
}

/**
 * Deletes lab namespaces left behind by test processes that no longer run (a crashed or
 * killed run). Namespaces of live processes, ours included, are left alone.
 */
export async function removeStaleLabs(): Promise<string[]> {
  const stale = namespaces().filter((ns) => {
    const m = /^bw-(\d+)-/.exec(ns)
    return m !== null && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))
  })
  for (const ns of stale) await deleteNamespace(ns)
  return stale
}

interface NatRouter {
  host: string
  kind: NatKind
  router: string
  wan: string
  lan: string
  hostIp: string
}

/** A built lab. Create with {@link NatLab.up}; always `down()` it. */
export class NatLab {
  /** Namespace name prefix: `bw-<pid>-<n>-`. */
  readonly prefix: string
  /** Scratch directory for logs and data directories; removed by `down()`. */
  readonly dir: string
  readonly spec: LabSpec
  readonly #public = new Map<string, string>()
  readonly #nats = new Map<string, NatRouter>()
  readonly #processes = new Set<LabProcess>()
  readonly #names = new Map<string, number>()
  #down: Promise<void> | undefined

  private constructor(spec: LabSpec) {
    this.spec = spec
    this.prefix = `${NS_ROOT}${process.pid}-${++labs}-`
    this.dir = mkdtempSync(join(tmpdir(), this.prefix))
    spec.publicHosts.forEach((h, i) => this.#public.set(h, `${PUBLIC_NET}.${2 + i}`))
    spec.nats.forEach((n, i) =>
      this.#nats.set(n.host, { host: n.host, kind: n.kind, router: `r${n.host}`, wan: `${PUBLIC_NET}.${101 + i}`, lan: `10.200.${1 + i}.1`, hostIp: `10.200.${1 + i}.2` })
    )
    const names = [...spec.publicHosts, ...spec.nats.map((n) => n.host)]
    if (new Set(names).size !== names.length || names.some((n) => !/^[a-z][a-z0-9]{0,9}$/.test(n) || n === 'pub')) {
      throw new Error(`lab host names must be distinct, short lowercase words other than "pub": ${names.join(', ')}`)
    }
  }

  /** Builds the lab; on any failure tears down what was built and rethrows. */
  static async up(spec: LabSpec): Promise<NatLab> {
    const lab = new NatLab(spec)
    live.add(lab)
    try {
      await lab.#build()
    } catch (err) {
      await lab.down()
      throw err
    }
    return lab
  }

  /** The namespace a host (or `r<host>` router, or `pub`) lives in. */
  ns(name: string): string {
    return this.prefix + name
  }

  /** A host's own IP: its public IP, or its private IP behind its NAT. */
  ip(host: string): string {
    const ip = this.#public.get(host) ?? this.#nats.get(host)?.hostIp
    if (ip === undefined) throw new Error(`no host ${host} in the lab`)
    return ip
  }

  /** The IP the Internet sees a host at: its own for a public host, its router's WAN IP behind a NAT. */
  publicIp(host: string): string {
    const ip = this.#public.get(host) ?? this.#nats.get(host)?.wan
    if (ip === undefined) throw new Error(`no host ${host} in the lab`)
    return ip
  }

  /** Runs a command inside a lab namespace and returns its stdout. */
  exec(name: string, cmd: string, args: string[] = [], input?: string): Promise<string> {
    return run('ip', ['netns', 'exec', this.ns(name), cmd, ...args], input)
  }

  /** A fresh path in the lab's directory: `<base><ext>`, then `<base>-2<ext>`, … (a restarted process gets its own files). */
  file(base: string, ext: string): string {
    const n = (this.#names.get(base + ext) ?? 0) + 1
    this.#names.set(base + ext, n)
    return join(this.dir, `${n === 1 ? base : `${base}-${n}`}${ext}`)
  }

  /**
   * Starts a long-running process inside a host's namespace (`ip netns exec` execs it, so
   * the child's pid is the process itself). stdout and stderr go to `<name>.log` in the lab's
   * directory (`<name>-2.log` for a second process of the same name); stdin is a pipe.
   */
  spawn(host: string, name: string, cmd: string, args: string[]): LabProcess {
    this.ip(host)
    const log = this.file(name, '.log')
    const out = createWriteStream(log)
    const child = spawn('ip', ['netns', 'exec', this.ns(host), cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    child.stdout.pipe(out, { end: false })
    child.stderr.pipe(out, { end: false })
    child.stdin.on('error', () => undefined)
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')))
    void exited.then(() => setTimeout(() => out.end(), 50))
    const proc: LabProcess = {
      name,
      child,
      log,
      exited,
      stop: async (graceMs = 3000) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
          await exited
          clearTimeout(timer)
        }
        this.#processes.delete(proc)
      }
    }
    this.#processes.add(proc)
    return proc
  }

  /** The counters of the NAT router in front of `host`. */
  async counters(host: string): Promise<RouterCounters> {
    return parseCounters(await this.exec(this.#router(host).router, 'nft', ['-j', 'list', 'table', 'ip', RULES_TABLE]))
  }

  /** The UDP conntrack entries of the NAT router in front of `host`. */
  async conntrack(host: string): Promise<ConntrackEntry[]> {
    const text = await this.exec(this.#router(host).router, 'cat', ['/proc/net/nf_conntrack']).catch((err: Error) => {
      throw new Error(`cannot read the conntrack table (the kernel needs CONFIG_NF_CONNTRACK_PROCFS): ${err.message}`)
    })
    return parseConntrack(text)
  }

  /** Stops every process the lab started, then everything else inside its namespaces, and deletes them. Idempotent. */
  down(): Promise<void> {
    this.#down ??= (async () => {
      await Promise.all([...this.#processes].map((p) => p.stop()))
      const ours = namespaces().filter((ns) => ns.startsWith(this.prefix))
      // Hosts first, then routers, then the segment: deleting a namespace removes its veths.
      await Promise.all(ours.map((ns) => deleteNamespace(ns)))
      live.delete(this)
    })()
    return this.#down
  }

  /** Removes the scratch directory (logs, data). Call after `down()` once the logs are not needed. */
  removeFiles(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }

  #router(host: string): NatRouter {
    const r = this.#nats.get(host)
    if (r === undefined) throw new Error(`${host} is not behind a NAT in this lab`)
    return r
  }

  async #addNamespace(name: string): Promise<void> {
    const ns = this.ns(name)
    await run('ip', ['netns', 'add', ns])
    await run('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up'])
    // A new namespace does not inherit the host's settings: pin what matters.
    await this.#sysctl(name, {
      'net/ipv4/conf/all/rp_filter': 0,
      'net/ipv4/conf/default/rp_filter': 0,
      'net/ipv6/conf/all/disable_ipv6': 1,
      'net/ipv6/conf/default/disable_ipv6': 1
    })
  }

  /** Writes sysctls inside a namespace through /proc/sys (no procps needed). */
  async #sysctl(name: string, values: Record<string, number>): Promise<void> {
    const script = Object.entries(values)
      .map(([k, v]) => `echo ${v} > /proc/sys/${k}`)
      .join(' && ')
    await this.exec(name, 'sh', ['-c', script])
  }

  /** A veth pair: `ifA` inside namespace `a`, its peer `ifB` created directly inside `b`. */
  async #veth(a: string, ifA: string, b: string, ifB: string): Promise<void> {
    // Always "name"/"dev": a bare short name can parse as a keyword (natlab pitfall 4).
    await run('ip', ['-n', this.ns(a), 'link', 'add', 'name', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', this.ns(b)])
  }

  async #ip(name: string, ...args: string[]): Promise<void> {
    await run('ip', ['-n', this.ns(name), ...args])
  }

  async #build(): Promise<void> {
    await this.#addNamespace('pub')
    await this.#ip('pub', 'link', 'add', 'name', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0')
    await this.#ip('pub', 'link', 'set', 'dev', 'br0', 'up')
    const attach = async (name: string, ifName: string, ip: string): Promise<void> => {
      const port = `p-${name}`
      await this.#veth('pub', port, name, ifName)
      await this.#ip('pub', 'link', 'set', 'dev', port, 'master', 'br0')
      await this.#ip('pub', 'link', 'set', 'dev', port, 'up')
      await this.#ip(name, 'addr', 'add', `${ip}/24`, 'dev', ifName)
      await this.#ip(name, 'link', 'set', 'dev', ifName, 'up')
    }
    for (const [host, ip] of this.#public) {
      await this.#addNamespace(host)
      await attach(host, 'eth0', ip)
    }
    for (const r of this.#nats.values()) {
      await this.#addNamespace(r.router)
      await this.#addNamespace(r.host)
      await attach(r.router, 'wan0', r.wan)
      await this.#veth(r.router, 'lan0', r.host, 'eth0')
      await this.#ip(r.router, 'addr', 'add', `${r.lan}/24`, 'dev', 'lan0')
      await this.#ip(r.router, 'link', 'set', 'dev', 'lan0', 'up')
      await this.#ip(r.host, 'addr', 'add', `${r.hostIp}/24`, 'dev', 'eth0')
      await this.#ip(r.host, 'link', 'set', 'dev', 'eth0', 'up')
      await this.#ip(r.host, 'route', 'add', 'default', 'via', r.lan)
      const timeout = this.spec.udpTimeoutS
      await this.#sysctl(r.router, {
        'net/ipv4/ip_forward': 1,
        // delta-time (an entry's age) in /proc/net/nf_conntrack: proves a mapping was never re-created.
        'net/netfilter/nf_conntrack_timestamp': 1,
        ...(timeout === undefined ? {} : { 'net/netfilter/nf_conntrack_udp_timeout': timeout, 'net/netfilter/nf_conntrack_udp_timeout_stream': timeout })
      })
      const others = [...this.#nats.values()].filter((o) => o !== r).map((o) => ({ name: o.host, wan: o.wan }))
      await this.exec(r.router, 'nft', ['-f', '-'], routerRules(r.kind, others))
    }
  }

}

/** Last resort when the test process exits without `down()`: delete our namespaces (processes inside die with a KILL). */
process.once('exit', () => {
  for (const lab of live) {
    for (const ns of namespaces().filter((n) => n.startsWith(lab.prefix))) {
      deleteNamespaceSync(ns)
    }
  }
})
