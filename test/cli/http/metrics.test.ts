/**
 * `--metrics`: the Prometheus page is valid text format (our strict reader, and `promtool
 * check metrics` where it is installed) and its per-type datagram and byte counters, drops,
 * candidates and per-room figures equal the node's `stats()`. The exact comparison runs on
 * the in-memory testnet (virtual time stands still while the page is fetched over real HTTP);
 * the command-line test runs a tracker and a node over UDP and scrapes both.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it, onTestFinished } from 'vitest'
import { silentLogger } from '../../../src/env/logger.js'
import { serveMetrics, snake } from '../../../src/cli/http/metrics.js'
import { httpEndpointOption } from '../../../src/cli/http/server.js'
import { testnet } from '../../node/harness.js'
import { deadline, start, tempDir, type Running } from '../helpers.js'
import { parsePrometheusText, sampleValue, type Exposition } from './prometheus-text.js'

const WAIT_MS = 20_000

async function scrape(url: string): Promise<{ text: string; page: Exposition; type: string }> {
  const res = await fetch(url)
  expect(res.status).toBe(200)
  const text = await res.text()
  return { text, page: parsePrometheusText(text), type: res.headers.get('content-type') ?? '' }
}

/** `promtool check metrics` on the page, when Debian's prometheus package is installed. */
function promtool(text: string): { ran: boolean; status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (r.error !== undefined) return { ran: false, status: null, output: String(r.error) }
  return { ran: true, status: r.status, output: r.stdout + r.stderr }
}

describe('metrics endpoint', { timeout: 60_000 }, () => {
  it('counts by packet type, drops, candidates and per-room figures equal stats()', async () => {
    const t = await testnet({ peers: 3, seed: 11 })
    onTestFinished(() => t.stop())
    const node = t.nodes[0]!
    for (let i = 0; i < 5; i++) await t.nodes[1]!.publish(t.overlay, new TextEncoder().encode(`message ${i}`))
    await t.run(60_000)
    const server = await serveMetrics({ host: '127.0.0.1', port: 0 }, node, 'peer', silentLogger)
    onTestFinished(() => server.close())

    const { text, page, type } = await scrape(`${server.url}/metrics`)
    const s = node.stats() // virtual time has not moved since the scrape
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(Object.keys(s.out).length).toBeGreaterThan(2)
    for (const [direction, byType] of [['in', s.in], ['out', s.out]] as const) {
      for (const [packetType, c] of Object.entries(byType)) {
        expect(sampleValue(page, 'bloomwalk_datagrams_total', { direction, type: packetType }), `${direction} ${packetType} datagrams`).toBe(c.datagrams)
        expect(sampleValue(page, 'bloomwalk_bytes_total', { direction, type: packetType }), `${direction} ${packetType} bytes`).toBe(c.bytes)
      }
    }
    // Exactly the packet types stats() has: nothing invented.
    expect(page.samples.filter((x) => x.name === 'bloomwalk_datagrams_total').length).toBe(Object.keys(s.in).length + Object.keys(s.out).length)
    for (const [reason, n] of Object.entries(s.drops)) expect(sampleValue(page, 'bloomwalk_drops_total', { reason })).toBe(n)
    const o = s.overlays[0]!
    expect(o.bundlesStored).toBe(5)
    expect(sampleValue(page, 'bloomwalk_bundles_stored', { overlay: o.overlay })).toBe(5)
    expect(sampleValue(page, 'bloomwalk_global_time', { overlay: o.overlay })).toBe(o.globalTime)
    for (const [category, n] of Object.entries(o.candidates)) expect(sampleValue(page, 'bloomwalk_candidates', { overlay: o.overlay, category })).toBe(n)
    for (const [field, n] of Object.entries(s)) if (typeof n === 'number' && field !== 'outstandingRequests') expect(sampleValue(page, `bloomwalk_${snake(field)}_total`), field).toBe(n)
    expect(sampleValue(page, 'bloomwalk_outstanding_requests')).toBe(s.outstandingRequests)
    for (const [event, n] of Object.entries(s.catchUp)) expect(sampleValue(page, 'bloomwalk_catch_up_events_total', { event })).toBe(n)
    for (const [event, n] of Object.entries(s.push)) expect(sampleValue(page, 'bloomwalk_push_events_total', { event })).toBe(n)
    expect(page.types.get('bloomwalk_datagrams_total')).toBe('counter')
    expect(page.types.get('bloomwalk_candidates')).toBe('gauge')
    // The process: resident memory and event-loop lag (prom-client's standard names).
    expect(sampleValue(page, 'process_resident_memory_bytes')).toBeGreaterThan(1e6)
    expect(sampleValue(page, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0)

    const check = promtool(text)
    if (check.ran) expect(check.status, check.output).toBe(0)
    else console.warn('promtool not installed (Debian: apt-get install prometheus); checked with the test reader only')

    // A second scrape after more traffic shows the new figures (a snapshot per scrape, not at start).
    await t.run(10_000)
    const later = (await scrape(`${server.url}/metrics`)).page
    expect(sampleValue(later, 'bloomwalk_datagrams_total', { direction: 'out', type: 'introduction-request' })).toBe(node.stats().out['introduction-request']!.datagrams)
    expect(sampleValue(later, 'bloomwalk_datagrams_total', { direction: 'out', type: 'introduction-request' })).toBeGreaterThan(sampleValue(page, 'bloomwalk_datagrams_total', { direction: 'out', type: 'introduction-request' })!)
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404)
  })

  it('bloomwalk tracker and node serve --metrics over HTTP while running over UDP', async () => {
    const line = (r: Running, re: RegExp, what: string) => deadline(r.err.waitFor(re), WAIT_MS, `${what}; stderr so far:\n${r.err.text}`)
    const tracker = start(['tracker', '--host', '127.0.0.1', '--port', '0', '--metrics', '127.0.0.1:0'])
    const port = (await line(tracker, /listening \{"address":"127\.0\.0\.1:(\d+)"/, 'the tracker to listen'))[1]!
    const trackerMetrics = (await line(tracker, /serving metrics \{"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/, 'the tracker to serve metrics'))[1]!
    const node = start(['node', '--room', 'metrics', '--tracker', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--step', '100', '--data', await tempDir(), '--metrics', '0'])
    const nodeMetrics = (await line(node, /serving metrics \{"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/, 'the node to serve metrics'))[1]!
    // Scrape until the node has walked to the tracker and had an answer (bounded by the deadline).
    const answered = async (): Promise<Exposition> => {
      for (;;) {
        const { page } = await scrape(nodeMetrics)
        if ((sampleValue(page, 'bloomwalk_datagrams_total', { direction: 'in', type: 'introduction-response' }) ?? 0) > 0) return page
      }
    }
    const page = await deadline(answered(), WAIT_MS, 'the node to count an introduction-response')
    expect(sampleValue(page, 'bloomwalk_datagrams_total', { direction: 'out', type: 'introduction-request' })).toBeGreaterThan(0)
    expect(sampleValue(page, 'bloomwalk_info', { role: 'peer' })).toBe(1)
    const tracked = (await scrape(trackerMetrics)).page
    expect(sampleValue(tracked, 'bloomwalk_info', { role: 'tracker' })).toBe(1)
    expect(sampleValue(tracked, 'bloomwalk_datagrams_total', { direction: 'in', type: 'introduction-request' })).toBeGreaterThan(0)
    node.stop()
    tracker.stop()
    expect(await node.exit).toBe(0)
    expect(await tracker.exit).toBe(0)
    // Stopped means closed: the port no longer answers.
    await expect(fetch(nodeMetrics)).rejects.toThrow()
  })

  it('--metrics takes PORT (loopback), HOST:PORT and [IPv6]:PORT; names and bad ports are usage errors', () => {
    expect(httpEndpointOption('metrics', '9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(httpEndpointOption('metrics', '0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 })
    expect(httpEndpointOption('metrics', '[::1]:0')).toEqual({ host: '::1', port: 0 })
    expect(httpEndpointOption('metrics', undefined)).toBeUndefined()
    expect(() => httpEndpointOption('metrics', 'localhost:9464')).toThrow(/--metrics must name an IP address/)
    expect(() => httpEndpointOption('metrics', '70000')).toThrow(/--metrics port must be 0–65535/)
    expect(() => httpEndpointOption('metrics', '127.0.0.1:x')).toThrow(/--metrics must be PORT or HOST:PORT/)
    expect(() => httpEndpointOption('metrics', '::1:80')).toThrow(/--metrics must be PORT or HOST:PORT/)
    expect(() => httpEndpointOption('metrics', ':80')).toThrow(/--metrics must name an IP address/)
    expect(httpEndpointOption('metrics', '[::]:9464')).toEqual({ host: '::', port: 9464 })
  })
})
