import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/args.js'
import { main } from '../../src/cli/commands.js'
import { RECONCILE_METHODS, runReconcileBench, type ReconcileBenchReport } from '../../bench/reconcile-bench.js'
import { formatReport } from '../../bench/reconcile-report.js'

async function run(args: string[]): Promise<string[]> {
  const lines: string[] = []
  await runReconcileBench(args, (l) => lines.push(l), { err: { write: () => true } })
  return lines
}

describe('reconcile-bench', () => {
  it('stops at the first Ctrl-C (exit 130), between two datagrams, without a report', async () => {
    const controller = new AbortController()
    const out: string[] = []
    const err: string[] = []
    const write = (t: string) => {
      err.push(t)
      // Ctrl-C while the Bloom walk reconciles 20 000 bundles: without the signal it would run on for seconds.
      if (t.includes('bloom-largest: reconciling')) controller.abort()
      return true
    }
    const code = await runReconcileBench(['--shared', '20000', '--diff', '2000', '--methods', 'bloom-largest,symbols'], (l) => out.push(l), { err: { write }, signal: controller.signal })
    expect(code).toBe(130)
    expect(out).toEqual([])
    expect(err.at(-1)).toBe('reconcile-bench: interrupted\n')
    expect(err.join('')).not.toContain('symbols: filling')
  })

  it('reconciles N = 2 000, D = 20 by each method and reports every figure; coded symbols find every difference', async () => {
    const [line, ...rest] = await run(['--shared', '2000', '--diff', '20', '--json'])
    expect(rest).toEqual([])
    const report = JSON.parse(line!) as ReconcileBenchReport
    expect(report.options).toMatchObject({ shared: 2000, diff: 20, layout: 'random', budget: 1200, policy: 'node' })
    expect(report.setup).toMatchObject({ bundles: 2020, bundleBytes: 196 })
    expect(report.setup.sketchCpuMs?.a).toBeGreaterThan(0)
    expect(report.results.map((r) => r.method)).toEqual([...RECONCILE_METHODS])
    for (const r of report.results) {
      expect(r).toEqual({
        method: expect.any(String),
        finished: expect.any(Boolean),
        roundTrips: expect.any(Number),
        requests: expect.any(Number),
        found: expect.any(Number),
        resolved: expect.any(Number),
        datagrams: { aToB: expect.any(Number), bToA: expect.any(Number) },
        bytes: { aToB: expect.any(Number), bToA: expect.any(Number), total: r.bytes.aToB + r.bytes.bToA },
        missingBytes: r.resolved * 196,
        metadataBytes: r.bytes.total - r.missingBytes,
        metadataPerDifference: expect.any(Number),
        largestDatagram: expect.any(Number),
        cpuMs: { a: expect.any(Number), b: expect.any(Number) },
        storeCpuMs: { a: expect.any(Number), b: expect.any(Number) },
        gcMs: { a: expect.any(Number), b: expect.any(Number) },
        wallMs: expect.any(Number),
        byType: expect.any(Object),
        detail: expect.any(Object)
      })
      expect(r.roundTrips).toBeGreaterThanOrEqual(1)
      expect(r.largestDatagram).toBeLessThanOrEqual(1200)
      expect(r.metadataPerDifference).toBeCloseTo(r.metadataBytes / 20, 0)
    }
    const symbols = report.results.find((r) => r.method === 'symbols')!
    expect(symbols.found).toBe(20)
    expect(symbols).toMatchObject({ finished: true, resolved: 20 })
    expect(symbols.detail).toMatchObject({ end: 'decoded', weLack: 10, theyLack: 10, notServed: 0 })
    // The Bloom walk at this size finishes well within the default 5 000 steps.
    for (const r of report.results) expect(r.resolved).toBe(20)

    const text = formatReport(report)
    expect(text.filter((l) => l.startsWith('|'))).toHaveLength(2 + RECONCILE_METHODS.length)
    expect(text.join('\n')).toMatch(/coded symbols: decoded \(policy node\)/)
  })

  it("the Bloom walk runs the node's walker and responder: one introduction-request and its response per step, each step one round trip, nothing dropped", async () => {
    const [line] = await run(['--shared', '2000', '--diff', '20', '--methods', 'bloom-largest,bloom-modulo', '--json'])
    for (const r of (JSON.parse(line!) as ReconcileBenchReport).results) {
      const steps = (r.detail as { steps: number }).steps
      expect(r).toMatchObject({ finished: true, resolved: 20, roundTrips: steps })
      expect(r.byType['introduction-request']?.datagrams).toBe(steps)
      expect(r.byType['introduction-response']?.datagrams).toBe(steps)
    }
  })

  it('runs as `bloomwalk reconcile-bench` too (the command loads it from bench/)', async () => {
    const lines: string[] = []
    const errors: string[] = []
    const code = await main(['reconcile-bench', '--shared', '500', '--diff', '4', '--methods', 'bloom-modulo', '--json'], (l) => void lines.push(l), { err: { write: (t: string) => errors.push(t) > 0 } })
    expect(errors.filter((e) => !e.startsWith('reconcile-bench: '))).toEqual([])
    expect(code).toBe(0)
    expect((JSON.parse(lines[0]!) as ReconcileBenchReport).results[0]).toMatchObject({ method: 'bloom-modulo', finished: true, resolved: 4 })
  })

  it('an idle check (D = 0) costs one datagram each way', async () => {
    const [line] = await run(['--shared', '500', '--diff', '0', '--methods', 'symbols', '--json'])
    const [r] = (JSON.parse(line!) as ReconcileBenchReport).results
    expect(r).toMatchObject({ finished: true, roundTrips: 1, datagrams: { aToB: 1, bToA: 1 }, metadataPerDifference: null, detail: { end: 'in-sync', symbols: 0 } })
  })

  it('--layout newest: A lacks the newest D, all held by B: one newest-first fetch brings them, the idle check then says in sync; the report prints the floor beside each row', async () => {
    const [line] = await run(['--shared', '2000', '--diff', '20', '--layout', 'newest', '--methods', 'symbols', '--json'])
    const report = JSON.parse(line!) as ReconcileBenchReport
    const [r] = report.results
    expect(r).toMatchObject({ finished: true, resolved: 20, found: 20, roundTrips: 2, detail: { end: 'in-sync', newerFetches: 1, newerFetched: 20, weLack: 0, theyLack: 0 } })
    expect(r!.byType['bundle-request']).toEqual({ datagrams: 1, bytes: expect.any(Number) })
    const { fullIds, shortIds } = report.setup.floor!
    expect(fullIds - shortIds).toBeCloseTo(24, 1)
    const text = formatReport(report).join('\n')
    expect(text).toContain('0 only at A, 20 only at B, newest')
    expect(text).toMatch(/information floor for D = 20: [\d.]+ B per difference with 32-byte ids/)
    const ratio = (r!.metadataPerDifference! / fullIds).toFixed(2)
    expect(text).toContain(`| ${ratio}× / `)
  })

  it('--layout newest with more than one answer\'s worth (D = 400): slices of global time asked at once, at most three round trips', async () => {
    const [line] = await run(['--shared', '2000', '--diff', '400', '--layout', 'newest', '--methods', 'symbols', '--json'])
    const [r] = (JSON.parse(line!) as ReconcileBenchReport).results
    expect(r).toMatchObject({ finished: true, resolved: 400 })
    // The slices in one round trip, the idle check in a second; a third when a few share A's newest global time.
    expect(r!.roundTrips).toBeLessThanOrEqual(3)
    expect(Number(r!.detail['newerFetches'])).toBeGreaterThan(1)
    expect(Number(r!.detail['newerFetched'])).toBeGreaterThan(390)
  })

  it('rejects bad options with a usage error naming the option', async () => {
    await expect(run(['--layout', 'old'])).rejects.toThrow(/--layout/)
    await expect(run(['--methods', 'bloom'])).rejects.toThrow(UsageError)
    await expect(run(['--budget', '2000'])).rejects.toThrow(/--budget/)
    await expect(run(['--policy', 'maybe'])).rejects.toThrow(/--policy/)
    await expect(run(['--symbols-per-difference', '0.1'])).rejects.toThrow(/--symbols-per-difference/)
  })
})
