/**
 * `bloomwalk tracker`: a tracker over UDP. It answers introduction-requests for any room,
 * introduces peers to each other, never walks and stores nothing (DESIGN §6).
 */
import { parseArgs } from 'node:util'
import { addressKey } from '../wire/index.js'
import { numberOption } from './args.js'
import { aborted, commandLogger, every, LOG_FORMAT_USAGE, reclaimMemoryWhenQuiet, resolveIo, type CommandIo } from './command.js'
import { CONFIG_USAGE, withConfig } from './config.js'
import { hostOption } from './options.js'
import { statsFields } from './report.js'
import { startUdpNode } from './udp-node.js'
import { METRICS_USAGE, serveMetrics } from './http/metrics.js'
import { httpEndpointOption } from './http/server.js'
import { serveStatusPage } from './http/status-page.js'

/** How often the tracker looks for new rooms and peers to log, ms. */
const WATCH_MS = 2000
/** Rooms and peers remembered for "new peer" lines before the memory is reset. */
const MAX_REMEMBERED = 100_000

/** The port a tracker binds by default. */
export const DEFAULT_TRACKER_PORT = 6421

const TRACKER_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  stats: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'no-puncture-requests': { type: 'boolean' },
  metrics: { type: 'string' },
  http: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean' }
} as const

export const TRACKER_USAGE = `usage: bloomwalk tracker [--port ${DEFAULT_TRACKER_PORT}] [--host 0.0.0.0] [--stats SECONDS] [--log-level LEVEL] [--no-puncture-requests]

Runs a tracker: answers introduction-requests of any room and introduces peers to each
other; never walks, stores nothing. Logs to stderr; stops on Ctrl-C (SIGINT) or SIGTERM.

  --port        UDP port to listen on (default ${DEFAULT_TRACKER_PORT})
  --host        local address to bind (default 0.0.0.0; :: for IPv6 and IPv4)
  --stats       seconds between stats lines, 0 for none (default 30)
  --log-level   debug, info, warn, error or silent (default info)
${LOG_FORMAT_USAGE}
${CONFIG_USAGE}
  --no-puncture-requests
                introduce peers without asking them to puncture toward the walker
                (turns hole punching off; for experiments)
${METRICS_USAGE}
  --http [HOST:]PORT
                serve a status page at http://HOST:PORT/ (HOST default 127.0.0.1): address,
                the rooms served, candidates, traffic and drops (docs/operations.md)`

export async function runTracker(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<void> {
  const { values } = parseArgs({ args: withConfig(argv, TRACKER_OPTIONS), options: TRACKER_OPTIONS, strict: true, allowPositionals: false })
  if (values.help === true) {
    out(TRACKER_USAGE)
    return
  }
  const io = resolveIo(partialIo)
  const port = numberOption('port', values.port, DEFAULT_TRACKER_PORT, { integer: true, min: 0, max: 65535 })
  const host = hostOption(values.host)
  const statsSeconds = numberOption('stats', values.stats, 30, { min: 0 })
  const log = commandLogger('tracker', values['log-level'], 'info', io.err, values['log-format'])
  const metricsAt = httpEndpointOption('metrics', values.metrics)
  const httpAt = httpEndpointOption('http', values.http)

  const tracker = await startUdpNode({ role: 'tracker', host, port, logger: log, node: { punctureRequests: values['no-puncture-requests'] !== true } })
  const { node } = tracker
  log.info('listening', { address: addressKey(tracker.transport.address()), advertised: addressKey(tracker.advertised) })
  let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined
  let page: Awaited<ReturnType<typeof serveStatusPage>> | undefined
  try {
    if (metricsAt !== undefined) metrics = await serveMetrics(metricsAt, node, 'tracker', log)
    if (httpAt !== undefined) page = await serveStatusPage({ endpoint: httpAt, node, role: 'tracker', address: tracker.transport.address(), advertised: tracker.advertised, log })
  } catch (err) {
    await metrics?.close()
    await tracker.close()
    throw err
  }
  const debug = values['log-level'] === 'debug'
  const rooms = new Set<string>()
  const peers = new Set<string>()
  // Rooms and peers are noticed from the node's candidate tables (a tracker keeps no other state).
  const watch = (): void => {
    for (const o of node.stats().overlays) {
      if (!rooms.has(o.overlay)) log.info('serving a new room', { overlay: o.overlay })
      rooms.add(o.overlay)
      if (!debug) continue
      for (const c of node.candidates(fromHex(o.overlay))) {
        const key = `${o.overlay}/${c.key}`
        if (!peers.has(key)) log.debug('new peer', { overlay: o.overlay.slice(0, 16), peer: c.key })
        peers.add(key)
      }
    }
    if (rooms.size > MAX_REMEMBERED) rooms.clear()
    if (peers.size > MAX_REMEMBERED) peers.clear()
  }
  every(WATCH_MS, io.signal, watch)
  if (statsSeconds > 0) every(statsSeconds * 1000, io.signal, () => log.info('stats', statsFields(node.stats())))
  reclaimMemoryWhenQuiet(io.signal, log)
  await aborted(io.signal)
  log.info('stopping')
  log.info('stats', statsFields(node.stats()))
  await page?.close()
  await metrics?.close()
  await tracker.close()
  log.info('stopped')
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
