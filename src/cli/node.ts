/**
 * `bloomwalk node`: a peer in one room over UDP, keeping the room's bundles in LevelDB and
 * logging its walks, deliveries and periodic stats. Publishes nothing itself (see `chat`)
 * unless told to publish its stdin; `--status` keeps a machine-readable status file.
 */
import { createWriteStream } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { categoryOf, resolveOptions } from '../candidates/index.js'
import { SystemClock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { BloomwalkNode } from '../node/index.js'
import { addressKey } from '../wire/index.js'
import { choiceOption, numberOption } from './args.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET, type SyncConfig } from '../sync/config.js'
import { aborted, commandLogger, every, reclaimMemoryWhenQuiet, resolveIo, type CommandIo } from './command.js'
import { PEER_OPTIONS, PEER_OPTIONS_USAGE, startPeer, type Peer } from './peer.js'
import { shortHex, statsFields } from './report.js'
import { METRICS_USAGE, serveMetrics } from './http/metrics.js'
import { httpEndpointOption } from './http/server.js'
import { HTTP_USAGE, peerPage, serveStatusPage } from './http/status-page.js'
import { UsageError } from './args.js'
import { withConfig } from './config.js'

/** Bundles listed in the status file, newest last (the counts are complete). */
const STATUS_RECENT = 256
/** Milliseconds between status-file writes (it is also written soon after each bundle). */
const STATUS_EVERY_MS = 1000

const NODE_OPTIONS = {
  ...PEER_OPTIONS,
  stats: { type: 'string' },
  'no-idle-skip': { type: 'boolean' },
  'no-puncture-requests': { type: 'boolean' },
  status: { type: 'string' },
  deliveries: { type: 'string' },
  'publish-stdin': { type: 'boolean' },
  budget: { type: 'string' },
  fpr: { type: 'string' },
  strategy: { type: 'string' },
  'response-budget': { type: 'string' },
  metrics: { type: 'string' },
  http: { type: 'string' },
  'http-token': { type: 'string' }
} as const

export const NODE_USAGE = `usage: bloomwalk node --room NAME --tracker HOST:PORT [--tracker HOST:PORT …] [--data DIR] [--port P] [--host ADDR] [--stats SECONDS]

Runs a peer in a room: walks to peers, syncs the room's bundles into its LevelDB and serves
them to others. The author key in the data directory keeps the identity across restarts.
Logs walks, deliveries and stats to stderr; stops on Ctrl-C (SIGINT) or SIGTERM.

${PEER_OPTIONS_USAGE} (default info)
  --stats       seconds between stats lines, 0 for none (default 30)
  --no-idle-skip
                send a sync offer on every walk step, also after steps that brought
                nothing (turns off the skip curve, which saves bytes while idle)
  --no-puncture-requests
                introduce peers without asking them to puncture toward the walker
                (turns hole punching off; for experiments)
  --status FILE write a JSON status to FILE every second and after each bundle, atomically
                (write, then rename): stats, candidates with their category, and the
                published and delivered bundles (counts and the latest ${STATUS_RECENT})
  --deliveries FILE
                append one JSON line per bundle published or delivered here
                ({"t": ms since 1970, "walks": walk steps so far, "id", "body", "own", "from"}) and,
                every second, the traffic so far ({"t", "walks", "bytes", "datagrams"}),
                and the node's stats when it stops: what the testbed (bench/testbed) reads
  --publish-stdin
                publish each line read from stdin as a bundle (UTF-8 body)
  --budget BYTES
                UDP payload budget of a walk step's datagram, ${MIN_DATAGRAM_BUDGET}–${MAX_DATAGRAM_BUDGET} (default 1200): sets
                the Bloom filter's size (bloomwalk bloom shows it)
  --fpr RATE    the Bloom filter's target false-positive rate (default 0.01)
  --strategy S  range selection: largest (default), modulo or adaptive (docs/sync.md)
  --response-budget BYTES
                bytes of bundles answered per offer (default 5120, Dispersy's)
                (these four try a setting tuned with bloomwalk sweep on a real network;
                peers with different settings still sync with each other)
${METRICS_USAGE}
${HTTP_USAGE}

example:
  bloomwalk node --room lobby --tracker 192.0.2.10:6421`

export async function runNode(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<void> {
  const { values } = parseArgs({ args: withConfig(argv, NODE_OPTIONS), options: NODE_OPTIONS, strict: true, allowPositionals: false })
  if (values.help === true) {
    out(NODE_USAGE)
    return
  }
  const io = resolveIo(partialIo)
  const statsSeconds = numberOption('stats', values.stats, 30, { min: 0 })
  const log = commandLogger('node', values['log-level'], 'info', io.err, values['log-format'])
  const metricsAt = httpEndpointOption('metrics', values.metrics)
  const httpAt = httpEndpointOption('http', values.http)
  const httpToken = tokenOption(values['http-token'], httpAt !== undefined)
  const sync = syncOptions(values)
  // Deliveries start with start() (what an earlier run left undelivered): listen before it.
  let status: ReturnType<typeof statusFile> | undefined
  let deliveries: ReturnType<typeof deliveryLog> | undefined
  const listen = (node: BloomwalkNode): void => {
    node.events.on('walk', ({ to }) => log.info('walk', { to: addressKey(to) }), { signal: io.signal })
    node.events.on(
      'bundle',
      ({ bundle, from, own, missingParents }) => {
        // Ours: published by this node's key (here, or by an earlier run that had not delivered it yet).
        log.info(own ? 'published' : 'delivered', {
          id: shortHex(bundle.id, 8),
          author: shortHex(bundle.author, 8),
          globalTime: bundle.globalTime,
          bytes: bundle.bytes.length,
          ...(from === undefined ? {} : { from: addressKey(from) }),
          ...(missingParents === undefined ? {} : { missingParents: missingParents.length })
        })
        const record = { id: shortHex(bundle.id, bundle.id.length), body: new TextDecoder().decode(bundle.body), own, ...(from === undefined ? {} : { from: addressKey(from) }) }
        status?.record(record)
        deliveries?.record(record)
      },
      { signal: io.signal }
    )
  }
  const peer = await startPeer(
    values,
    io,
    log,
    {
      punctureRequests: values['no-puncture-requests'] !== true,
      sync: { ...sync, ...(values['no-idle-skip'] === true ? { skipCurve: [0] } : {}) }
    },
    listen
  )
  const { node } = peer
  if (Object.keys(sync).length > 0) log.info('sync settings', { ...sync })
  // Either server failing to bind stops what started before it.
  let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined
  let page: Awaited<ReturnType<typeof serveStatusPage>> | undefined
  try {
    if (metricsAt !== undefined) metrics = await serveMetrics(metricsAt, node, 'peer', log)
    if (httpAt !== undefined) page = await serveStatusPage({ endpoint: httpAt, ...peerPage(peer), log, ...(httpToken === undefined ? {} : { token: httpToken }) })
  } catch (err) {
    await metrics?.close()
    await peer.close()
    throw err
  }
  status = values.status === undefined ? undefined : statusFile(values.status, peer, io.signal)
  deliveries = values.deliveries === undefined ? undefined : deliveryLog(values.deliveries, peer, io.signal)
  if (values['publish-stdin'] === true) publishLines(peer, io, log)
  if (statsSeconds > 0) every(statsSeconds * 1000, io.signal, () => log.info('stats', statsFields(node.stats())))
  reclaimMemoryWhenQuiet(io.signal, log)
  await aborted(io.signal)
  log.info('stopping')
  log.info('stats', statsFields(node.stats()))
  await page?.close()
  await metrics?.close()
  await peer.close()
  await status?.close()
  await deliveries?.close()
  log.info('stopped')
}

/** Publishes each stdin line in turn; a line that cannot be published is logged and skipped. */
function publishLines(peer: Peer, io: CommandIo, log: Logger): void {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity })
  io.signal.addEventListener('abort', () => lines.close(), { once: true })
  const encoder = new TextEncoder()
  let chain = Promise.resolve()
  lines.on('line', (line) => {
    chain = chain.then(() =>
      peer.node.publish(peer.overlay, encoder.encode(line)).then(
        () => undefined,
        (err: unknown) => log.warn('cannot publish', { error: err instanceof Error ? err.message : String(err) })
      )
    )
  })
}

/**
 * The `--deliveries` file: one JSON line per bundle (published or delivered) with the wall
 * time and the node's walk count, and a traffic line every second. Appended through one
 * stream; one line per bundle, so it grows with the room, as the store does.
 */
function deliveryLog(path: string, peer: Peer, signal: AbortSignal): { record(b: StatusBundle): void; close(): Promise<void> } {
  const out = createWriteStream(path, { flags: 'a' })
  out.on('error', () => undefined)
  const line = (fields: Record<string, unknown>): void => {
    // Walk steps (timer-driven), not requests: first-contact follow-ups are no steps (issue 22).
    out.write(JSON.stringify({ t: Date.now(), walks: peer.node.stats().walkSteps, ...fields }) + '\n')
  }
  const traffic = (): void => {
    let bytes = 0
    let datagrams = 0
    for (const c of Object.values(peer.node.stats().out)) {
      bytes += c.bytes
      datagrams += c.datagrams
    }
    line({ bytes, datagrams })
  }
  traffic()
  every(STATUS_EVERY_MS, signal, traffic)
  return {
    record: (b) => line({ ...b }),
    close: () =>
      new Promise<void>((resolve) => {
        traffic()
        line({ stats: peer.node.stats() })
        out.end(resolve)
      })
  }
}

/** A bundle as the status file lists it (`from`: the peer it came from, when known). */
interface StatusBundle {
  id: string
  body: string
  own: boolean
  from?: string
}

/** The `--status` file: rewritten every second and soon after each bundle, never seen half-written. */
function statusFile(path: string, peer: Peer, signal: AbortSignal): { record(b: StatusBundle): void; close(): Promise<void> } {
  const clock = new SystemClock()
  // The CLI keeps the design's candidate lifetimes (only the walk eligibility delay is scaled).
  const lifetimes = resolveOptions()
  const published = { count: 0, recent: [] as StatusBundle[] }
  const delivered = { count: 0, recent: [] as StatusBundle[] }
  let writing: Promise<void> | undefined
  let again = false
  const write = async (): Promise<void> => {
    const now = clock.now()
    const candidates = peer.node.candidates(peer.overlay).map((c) => ({ ...c, category: categoryOf(c, now, lifetimes) }))
    const text = JSON.stringify({
      time: Date.now(),
      room: peer.room,
      address: addressKey(peer.transport.address()),
      advertised: addressKey(peer.advertised),
      stats: peer.node.stats(),
      candidates,
      published,
      delivered
    })
    await writeFile(`${path}.tmp`, text)
    await rename(`${path}.tmp`, path)
  }
  // One write at a time; a request during a write runs once it is done.
  const schedule = (): void => {
    if (writing !== undefined) {
      again = true
      return
    }
    writing = write()
      .catch(() => undefined)
      .finally(() => {
        writing = undefined
        if (again && !signal.aborted) {
          again = false
          schedule()
        }
      })
  }
  every(STATUS_EVERY_MS, signal, schedule)
  schedule()
  return {
    record(b) {
      const list = b.own ? published : delivered
      list.count++
      list.recent.push(b)
      if (list.recent.length > STATUS_RECENT) list.recent.shift()
      schedule()
    },
    async close() {
      await writing
      await write().catch(() => undefined)
    }
  }
}

/** Shortest `--http-token` accepted: a guessable token is no protection. */
const MIN_TOKEN_LENGTH = 16

/**
 * `--http-token`: at least 16 printable characters, and only with `--http`.
 * @throws {UsageError} naming --http-token
 */
export function tokenOption(raw: string | undefined, http: boolean): string | undefined {
  if (raw === undefined) return undefined
  if (!http) throw new UsageError('--http-token needs --http [HOST:]PORT')
  if (raw.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(raw)) throw new UsageError(`--http-token must be at least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces`)
  return raw
}

/**
 * `--budget`, `--fpr`, `--strategy`, `--response-budget`: the sync settings a sweep tunes.
 * @throws {UsageError} naming the first bad one
 */
export function syncOptions(values: { budget?: string; fpr?: string; strategy?: string; 'response-budget'?: string }): Partial<SyncConfig> {
  const out: Partial<SyncConfig> = {}
  if (values.budget !== undefined) out.datagramBudget = numberOption('budget', values.budget, 0, { integer: true, min: MIN_DATAGRAM_BUDGET, max: MAX_DATAGRAM_BUDGET })
  if (values.fpr !== undefined) out.falsePositiveRate = numberOption('fpr', values.fpr, 0, { min: 1e-9, max: 0.5 })
  if (values.strategy !== undefined) out.strategy = choiceOption('strategy', values.strategy, ['largest', 'modulo', 'adaptive'] as const, 'largest')
  if (values['response-budget'] !== undefined) out.responseBudget = numberOption('response-budget', values['response-budget'], 0, { integer: true, min: 1, max: 10_000_000 })
  return out
}
