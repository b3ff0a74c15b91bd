/** `bloomwalk sim` and `bloomwalk sweep` in-process: JSON, plots, usage errors. */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/args.js'
import { runSim } from '../../src/cli/sim.js'
import { runSweep } from '../../src/cli/sweep.js'

const quiet = { err: { write: () => true } }
const TINY = ['--nodes', '6', '--messages', '6', '--online', '1', '--duration', '600']

describe('bloomwalk sim / sweep', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bloomwalk-sim-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('sim --json prints one object with every metric; --plot writes an SVG', async () => {
    const lines: string[] = []
    const plot = join(dir, 'run.svg')
    const code = await runSim(['--preset', 'seed-6', '--seed', '5', '--json', '--plot', plot, ...TINY], (l) => lines.push(l), quiet)
    expect(lines).toHaveLength(1)
    const r = JSON.parse(lines[0]!)
    expect(code).toBe(r.delivery.complete ? 0 : 1)
    for (const key of ['delivery', 'latency', 'bandwidth', 'curve', 'run', 'network', 'driver']) expect(r).toHaveProperty(key)
    expect(r.bandwidth).toHaveProperty('byType')
    expect(r.run.wallSeconds).toBeGreaterThan(0)
    expect(r.run.peakRssBytes).toBeGreaterThan(0)
    expect((await readFile(plot, 'utf8')).startsWith('<svg')).toBe(true)
  })

  it('sim prints a readable summary and lists presets', async () => {
    const lines: string[] = []
    await runSim(['--preset', 'seed-1', '--protocol', 'mvds-interactive', '--online', '1'], (l) => lines.push(l), quiet)
    // Overridden: the header names the overrides, not the preset's description (its figures may no longer hold).
    expect(lines[0]).toBe('sim seed-1 (mvds-interactive) with --protocol mvds-interactive --online 1, seed 1')
    expect(lines.join('\n')).toMatch(/bandwidth .*datagrams/)
    const sized: string[] = []
    await runSim(['--preset', 'seed-6', ...TINY], (l) => sized.push(l), quiet)
    expect(sized[0]).toBe(`sim seed-6 (bloom) with ${TINY.join(' ')}, seed 1`)
    expect(sized[0]).not.toMatch(/100 peers/)
    expect(sized[1]).toMatch(/^peers 6,/)
    const list: string[] = []
    await runSim(['--list'], (l) => list.push(l), quiet)
    expect(list.map((l) => l.split(' ')[0])).toContain('dbs-500')
  })

  it('rejects unknown presets and bad overrides', async () => {
    await expect(runSim(['--preset', 'nope'], () => {}, quiet)).rejects.toThrow(UsageError)
    await expect(runSim(['--preset', 'nope'], () => {}, quiet)).rejects.toThrow(/unknown preset/)
    await expect(runSim(['--preset', 'seed-6', '--online', '0'], () => {}, quiet)).rejects.toThrow(UsageError)
    await expect(runSweep(['--preset', 'seed-6', '--param', 'colour=red'], () => {}, quiet)).rejects.toThrow(UsageError)
    await expect(runSweep(['--preset', 'seed-6'], () => {}, quiet)).rejects.toThrow(/--param/)
  })

  it('sweep runs every cell of the grid and plots heatmaps', async () => {
    const lines: string[] = []
    const plot = join(dir, 'sweep.svg')
    await runSweep(['--preset', 'seed-6', '--json', '--plot', plot, '--param', 'fpr=0.01,0.05', '--param', 'budget=576,1200', ...TINY], (l) => lines.push(l), quiet)
    const r = JSON.parse(lines[0]!)
    expect(r.cells).toHaveLength(4)
    expect(r.cells.map((c: { values: Record<string, string> }) => `${c.values['fpr']}/${c.values['budget']}`)).toEqual(['0.01/576', '0.01/1200', '0.05/576', '0.05/1200'])
    expect(r.cells[0].metrics).toHaveProperty('byteMultiplier')
    expect(await readFile(plot, 'utf8')).toMatch(/^<svg/)
  })

  it('sweep plots chosen metrics as lines per value of the second parameter (sybil presets)', async () => {
    const lines: string[] = []
    const plot = join(dir, 'sybil.svg')
    await runSweep(['--preset', 'sybil-10', '--json', '--plot', plot, '--plot-metrics', 'ratio,fullDeliverySeconds', '--plot-lines', '--param', 'attackers=0,0.3', '--param', 'trusted=on,off', ...TINY], (l) => lines.push(l), quiet)
    const r = JSON.parse(lines[0]!)
    expect(r.cells.map((c: { values: Record<string, string> }) => `${c.values['attackers']}/${c.values['trusted']}`)).toEqual(['0/on', '0/off', '0.3/on', '0.3/off'])
    const svg = await readFile(plot, 'utf8')
    expect(svg).toMatch(/delivered share/)
    expect(svg).toMatch(/seconds to full delivery/)
    await expect(runSweep(['--preset', 'sybil-10', '--param', 'attackers=0', '--plot-metrics', 'colour'], () => {}, quiet)).rejects.toThrow(/--plot-metrics/)
    const summary: string[] = []
    await runSim(['--preset', 'sybil-10', '--attackers', '0.3', '--trusted', 'off', ...TINY], (l) => summary.push(l), quiet)
    expect(summary.join('\n')).toMatch(/attack +3 Sybil hosts .*trackers a bootstrap only/)
    expect(summary.join('\n')).toMatch(/eclipse .* of honest walks reached a Sybil/)
  })

  it('sweep over seeds summarises each combination by its means', async () => {
    const lines: string[] = []
    await runSweep(['--preset', 'seed-1', '--json', '--param', 'seed=1,2,3', '--param', 'protocol=mvds-batch,mvds-interactive', '--online', '1'], (l) => lines.push(l), quiet)
    const r = JSON.parse(lines[0]!)
    expect(r.cells).toHaveLength(6)
    expect(r.groups.map((g: { values: Record<string, string>; runs: number }) => [g.values['protocol'], g.runs])).toEqual([
      ['mvds-batch', 3],
      ['mvds-interactive', 3]
    ])
    const batch = r.cells.filter((c: { values: Record<string, string> }) => c.values['protocol'] === 'mvds-batch')
    const mean = batch.reduce((a: number, c: { metrics: { datagramMultiplier: number } }) => a + c.metrics.datagramMultiplier, 0) / 3
    expect(r.groups[0].metrics.datagramMultiplier).toBeCloseTo(mean, 2)
    // The worst seed beside the mean: the lowest delivery, the highest byte multiplier.
    expect(r.groups[0].worst.ratio).toBe(Math.min(...batch.map((c: { metrics: { ratio: number } }) => c.metrics.ratio)))
    expect(r.groups[0].worst.byteMultiplier).toBe(Math.max(...batch.map((c: { metrics: { byteMultiplier: number } }) => c.metrics.byteMultiplier)))
    const p99s = batch.map((c: { metrics: { p99Seconds: number | null } }) => c.metrics.p99Seconds)
    expect(r.groups[0].worst.p99Seconds).toBe(p99s.includes(null) ? null : Math.max(...p99s))
  })
})

describe('usage errors found by the scenario check (exit 2, before anything runs)', () => {
  it.each([
    [['--preset', 'dbs-churn', '--protocol', 'mvds-batch'], /needs public peers/],
    [['--preset', 'large', '--protocol', 'mvds-interactive'], /no overlay history/],
    [['--preset', 'seed-6', '--trusted-peers', '500'], /trustedPeers must be an integer in \[0, 100\]/],
    [['--preset', 'seed-6', '--nodes', '0x10'], /--nodes must be a number, got "0x10"/],
    [['--preset', 'seed-6', '--nodes', '100000', '--messages', '10000'], /pairs; at most 100000000/]
  ])('sim %j', async (argv, message) => {
    await expect(runSim(argv, () => {}, quiet)).rejects.toThrow(UsageError)
    await expect(runSim(argv, () => {}, quiet)).rejects.toThrow(message)
  })

  it.each([
    [['--preset', 'seed-6', '--param', 'fpr=0.01,0.01'], /--param fpr lists 0.01 twice/],
    [['--preset', 'seed-6', '--fpr', '0.01', '--param', 'fpr=0.01,0.05'], /--fpr and --param fpr both given/],
    [['--preset', 'seed-6', '--seed', '2', '--param', 'seed=1,2'], /--seed and --param seed both given/],
    [['--preset', 'seed-6', '--plot', 'x.svg', '--param', 'fpr=0.01', '--param', 'budget=576', '--param', 'loss=0'], /at most two swept parameters/],
    [['--preset', 'dbs-churn', '--param', 'protocol=bloom,mvds-batch'], /cell protocol=mvds-batch: scenario dbs-churn: protocol mvds-batch needs public peers/]
  ])('sweep %j', async (argv, message) => {
    await expect(runSweep(argv, () => {}, quiet)).rejects.toThrow(UsageError)
    await expect(runSweep(argv, () => {}, quiet)).rejects.toThrow(message)
  })

  it('a fractional --duration is rounded to whole milliseconds', async () => {
    const lines: string[] = []
    await runSim(['--preset', 'seed-6', '--json', ...TINY, '--duration', '0.0015'], (l) => lines.push(l), quiet)
    expect(JSON.parse(lines[0]!).scenario.durationMs).toBe(2)
  })
})

describe('sweep results', () => {
  it('keep what a cell cost (wall, CPU, memory) apart from its figures, and exit 1 when a cell is incomplete', async () => {
    const lines: string[] = []
    const argv = ['--preset', 'seed-6', '--json', '--param', 'duration=600,3600', '--nodes', '6', '--messages', '6', '--online', '1']
    const code = await runSweep(argv, (l) => lines.push(l), quiet)
    const r = JSON.parse(lines[0]!)
    expect(r.cells.map((c: { metrics: { complete: boolean } }) => c.metrics.complete)).toEqual([false, true])
    expect(code).toBe(1)
    for (const c of r.cells) {
      expect(c.run.wallSeconds).toBeGreaterThan(0)
      expect(c.metrics).not.toHaveProperty('wallSeconds')
    }
    // The figures repeat exactly; only the cost varies.
    const again: string[] = []
    await runSweep(argv, (l) => again.push(l), quiet)
    const figures = (line: string) => JSON.parse(line).cells.map((c: { values: unknown; metrics: unknown }) => [c.values, c.metrics])
    expect(figures(again[0]!)).toEqual(figures(lines[0]!))
  })
})

describe('aborting', () => {
  it('an aborted run stops early and says so', async () => {
    const controller = new AbortController()
    controller.abort()
    const lines: string[] = []
    const code = await runSim(['--preset', 'seed-6', '--json', ...TINY], (l) => lines.push(l), { ...quiet, signal: controller.signal })
    const r = JSON.parse(lines[0]!)
    expect(r.aborted).toBe(true)
    expect(r.virtualSeconds).toBeLessThan(600)
    expect(code).toBe(1)
  })
})
