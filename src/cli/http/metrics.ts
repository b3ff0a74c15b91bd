/**
 * `--metrics`: a node's counters in the Prometheus text format, through prom-client (the
 * library libp2p's and Waku's Node.js metrics use) with its own registry, never the global
 * one. Every value is read from one `stats()` snapshot taken per scrape, so the page is
 * consistent and costs nothing between scrapes. Counter groups are exported field by field
 * (`event` label), so counters added to the node later appear without a change here.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { Logger } from '../../env/logger.js'
import type { BloomwalkNode, NodeStats } from '../../node/index.js'
import { type Endpoint } from '../endpoint.js'
import { processMetrics, type ProcessMetrics } from './process-metrics.js'
import { send, startHttpServer, type HttpServer } from './server.js'

/** Metric names start with this. */
export const METRIC_PREFIX = 'bloomwalk_'

/** Top-level numbers of `stats()` that are levels, not counts (the rest are counters). */
const SCALAR_LEVELS: ReadonlySet<string> = new Set(['outstandingRequests'])

/** Groups of counters (objects of numbers) exported as `bloomwalk_<group>_events_total{event}`. */
const COUNTER_GROUPS = ['catchUp', 'push', 'firstContact', 'punctures', 'amplification'] as const satisfies readonly (keyof NodeStats)[]

/** Fields of those groups that are levels (tables' sizes), not counts: exported as gauges. */
const LEVEL_FIELDS: ReadonlySet<string> = new Set(['tracked', 'pending', 'active', 'waiting', 'hosts', 'authors', 'outstanding', 'sessionsActive'])

/** `walkTimeouts` → `walk_timeouts`. */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()).replace(/[^a-z0-9_]/g, '_')
}

/** The registry of one node's metrics: `text()` takes a snapshot and renders it. */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly #node: BloomwalkNode
  readonly #process: ProcessMetrics | undefined
  #stats: NodeStats

  constructor(node: BloomwalkNode, options: { role: string; process?: boolean } = { role: 'peer' }) {
    this.#node = node
    this.#stats = node.stats()
    const registers = [this.registry]
    const self = this
    const stats = (): NodeStats => self.#stats
    this.#process = options.process === false ? undefined : processMetrics(this.registry)
    new Gauge({ name: `${METRIC_PREFIX}info`, help: 'Always 1; labels: the node role', labelNames: ['role'], registers }).set({ role: options.role }, 1)

    const traffic = (name: 'datagrams' | 'bytes', field: 'datagrams' | 'bytes', help: string): void => {
      new Counter({
        name: `${METRIC_PREFIX}${name}_total`,
        help,
        labelNames: ['direction', 'type'],
        registers,
        collect() {
          this.reset()
          const s = stats()
          for (const [type, c] of Object.entries(s.in)) this.inc({ direction: 'in', type }, c[field])
          for (const [type, c] of Object.entries(s.out)) this.inc({ direction: 'out', type }, c[field])
        }
      })
    }
    traffic('datagrams', 'datagrams', 'UDP datagrams by packet type and direction')
    traffic('bytes', 'bytes', 'UDP payload bytes by packet type and direction')
    new Counter({
      name: `${METRIC_PREFIX}unvalidated_out_bytes_total`,
      help: 'Bytes sent to addresses that had not validated (the anti-amplification charge), by packet type',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset()
        for (const [type, c] of Object.entries(stats().outUnvalidated)) this.inc({ type }, c.bytes)
      }
    })
    const byReason = (name: string, field: 'drops' | 'bundleDrops', help: string): void => {
      new Counter({
        name: `${METRIC_PREFIX}${name}_total`,
        help,
        labelNames: ['reason'],
        registers,
        collect() {
          this.reset()
          for (const [reason, n] of Object.entries(stats()[field])) this.inc({ reason }, n)
        }
      })
    }
    byReason('drops', 'drops', 'Inbound datagrams dropped, by reason (docs/limits.md)')
    byReason('bundle_drops', 'bundleDrops', 'Bundles rejected after decoding, by reason')
    // Every top-level count of stats() (walks, walkTimeouts, bundlesStored, …), so one added later appears by itself.
    const scalars = Object.entries(this.#stats).filter(([k, v]) => typeof v === 'number' && !SCALAR_LEVELS.has(k)).map(([k]) => k)
    for (const field of scalars) {
      new Counter({
        name: `${METRIC_PREFIX}${snake(field)}_total`,
        help: `stats().${field}`,
        registers,
        collect() {
          this.reset()
          const v = (stats() as unknown as Record<string, unknown>)[field]
          if (typeof v === 'number' && v >= 0) this.inc(v)
        }
      })
    }
    for (const group of COUNTER_GROUPS) {
      const numbers = (): [string, number][] => Object.entries(stats()[group] as unknown as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]) && e[1] >= 0)
      new Counter({
        name: `${METRIC_PREFIX}${snake(group)}_events_total`,
        help: `stats().${group}: counts by event`,
        labelNames: ['event'],
        registers,
        collect() {
          this.reset()
          for (const [event, n] of numbers()) if (!LEVEL_FIELDS.has(event)) this.inc({ event }, n)
        }
      })
      new Gauge({
        name: `${METRIC_PREFIX}${snake(group)}_level`,
        help: `stats().${group}: table sizes now`,
        labelNames: ['field'],
        registers,
        collect() {
          this.reset()
          for (const [field, n] of numbers()) if (LEVEL_FIELDS.has(field)) this.set({ field }, n)
        }
      })
    }
    const gauge = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, v: number) => void, s: NodeStats) => void): void => {
      new Gauge({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames,
        registers,
        collect() {
          this.reset()
          fill((labels, v) => this.set(labels, v), stats())
        }
      })
    }
    gauge('candidates', 'Candidates by room (overlay id) and category (walk, stumble, intro, trusted)', ['overlay', 'category'], (set, s) => {
      for (const o of s.overlays) for (const [category, n] of Object.entries(o.candidates)) set({ overlay: o.overlay, category }, n)
    })
    gauge('bundles_stored', 'Bundles stored per room (overlay id)', ['overlay'], (set, s) => {
      for (const o of s.overlays) set({ overlay: o.overlay }, o.bundlesStored)
    })
    gauge('global_time', 'Lamport global time per room (overlay id)', ['overlay'], (set, s) => {
      for (const o of s.overlays) set({ overlay: o.overlay }, o.globalTime)
    })
    gauge('bundles_waiting', 'Bundles held in memory for missing parents, per room', ['overlay'], (set, s) => {
      for (const o of s.overlays) if (o.delivery !== undefined) set({ overlay: o.overlay }, o.delivery.waiting)
    })
    gauge('outstanding_requests', 'Introduction-requests awaiting an answer', [], (set, s) => set({}, s.outstandingRequests))
    gauge('budget_table_entries', 'Hosts and authors the intake budgets remember', ['table'], (set, s) => {
      set({ table: 'hosts' }, s.budgets.hosts)
      set({ table: 'authors' }, s.budgets.authors)
    })
    gauge('connection_info', 'Always 1; labels: the NAT type as the node sees it and its WAN address', ['connection_type', 'wan'], (set, s) => set({ connection_type: s.connectionType, wan: `${s.wan.host}:${s.wan.port}` }, 1))
  }

  /** The metrics page for one fresh `stats()` snapshot. */
  async text(): Promise<string> {
    this.#stats = this.#node.stats()
    const text = await this.registry.metrics()
    this.#process?.scraped()
    return text
  }

  /** Ends the process sampling (event-loop delay). */
  stop(): void {
    this.#process?.stop()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

/** The usage lines of `--metrics` (node and tracker). */
export const METRICS_USAGE = `  --metrics [HOST:]PORT
                serve Prometheus metrics at http://HOST:PORT/metrics (HOST default 127.0.0.1,
                loopback; 0.0.0.0 or :: to let other machines scrape): datagrams and bytes by
                packet type and direction, drops by reason, candidates by category, bundles
                and global time per room, sync, catch-up and push counters, event-loop lag,
                RSS (docs/operations.md)`

/** Serves `GET /metrics` (and `/` pointing to it) for `node` on `endpoint`; logs where. */
export async function serveMetrics(endpoint: Endpoint, node: BloomwalkNode, role: string, log: Logger): Promise<HttpServer & { metrics: NodeMetrics }> {
  const metrics = new NodeMetrics(node, { role })
  const server = await startHttpServer(endpoint, {
    '/metrics': async (_req, res) => send(res, 200, metrics.contentType, await metrics.text()),
    '/': (_req, res) => send(res, 200, 'text/plain; charset=utf-8', 'bloomwalk metrics: GET /metrics\n')
  })
  log.info('serving metrics', { url: `${server.url}/metrics` })
  const close = server.close.bind(server)
  return Object.assign(server, {
    metrics,
    close: async () => {
      metrics.stop()
      await close()
    }
  })
}
