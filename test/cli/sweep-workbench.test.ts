/**
 * The Bloom-parameter workbench: sweep's sync parameters (response budget, step interval,
 * filter reuse, skip curve, k, push fan-out) reach the scenario the nodes run, and `--csv`
 * prints a header and one row per cell.
 */
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/args.js'
import { overridesFrom, parseOverride, scenarioFrom } from '../../src/cli/overrides.js'
import { csvField, runSweep } from '../../src/cli/sweep.js'
import type { Overrides } from '../../src/sim/presets.js'

const quiet = { err: { write: () => true } }
const TINY = ['--nodes', '6', '--messages', '6', '--online', '1', '--duration', '600']

describe('sweep: sync parameters and --csv', () => {
  it('each parameter lands in the scenario', () => {
    const o: Overrides = {}
    parseOverride(o, 'response-budget', '10240')
    parseOverride(o, 'step', '2500')
    parseOverride(o, 'reuse', '0')
    parseOverride(o, 'skip-curve', 'off')
    parseOverride(o, 'k', '4')
    parseOverride(o, 'push-fanout', '2')
    const s = scenarioFrom('seed-6', o)
    expect(s.sync).toMatchObject({ responseBudget: 10240, reuseLimit: 0, skipCurve: [0], hashFunctions: 4 })
    expect(s.stepIntervalMs).toBe(2500)
    expect(s.push).toMatchObject({ fanout: 2 })
    expect(scenarioFrom('seed-6', { skipCurve: true }).sync.skipCurve).toBeUndefined()
    expect(() => overridesFrom({ k: '33' })).toThrow(/--k must be ≤ 32/)
    expect(() => overridesFrom({ 'response-budget': '0' })).toThrow(UsageError)
    expect(() => overridesFrom({ 'skip-curve': 'maybe' })).toThrow(/--skip-curve must be one of on, off/)
    expect(() => overridesFrom({ step: '5' })).toThrow(/--step must be ≥ 10/)
  })

  it('--csv prints a header and a row per cell; --json and --csv exclude each other', async () => {
    const lines: string[] = []
    const code = await runSweep(['--preset', 'seed-6', '--param', 'response-budget=2560,10240', '--csv', ...TINY], (l) => lines.push(l), quiet)
    expect(lines).toHaveLength(3)
    const header = lines[0]!.split(',')
    expect(header.slice(0, 3)).toEqual(['response-budget', 'complete', 'ratio'])
    expect(header.at(-1)).toBe('wallSeconds')
    const rows = lines.slice(1).map((l) => l.split(','))
    expect(rows.map((r) => r[0])).toEqual(['2560', '10240'])
    for (const r of rows) {
      expect(r).toHaveLength(header.length)
      expect(['true', 'false']).toContain(r[1])
      expect(Number(r[header.indexOf('byteMultiplier')])).toBeGreaterThan(0)
    }
    expect(code).toBe(rows.every((r) => r[1] === 'true') ? 0 : 1)
    await expect(runSweep(['--preset', 'seed-6', '--param', 'k=2', '--csv', '--json'], () => undefined, quiet)).rejects.toThrow(/--json and --csv/)
  })

  it('over seeds, a "mean" row per combination follows the cells', async () => {
    const lines: string[] = []
    await runSweep(['--preset', 'seed-6', '--param', 'skip-curve=on,off', '--param', 'seed=1,2', '--csv', ...TINY], (l) => lines.push(l), quiet)
    expect(lines).toHaveLength(1 + 4 + 2)
    expect(lines.slice(5).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['on,mean', 'off,mean'])
  })

  it('CSV fields are quoted when they must be', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField(null)).toBe('')
    expect(csvField(1.5)).toBe('1.5')
  })
})

describe('node: the sync settings a sweep tunes', () => {
  it('--budget, --fpr, --strategy and --response-budget are checked and reach the node', async () => {
    const { syncOptions } = await import('../../src/cli/node.js')
    expect(syncOptions({ budget: '576', fpr: '0.05', strategy: 'modulo', 'response-budget': '10240' })).toEqual({ datagramBudget: 576, falsePositiveRate: 0.05, strategy: 'modulo', responseBudget: 10240 })
    expect(syncOptions({})).toEqual({})
    expect(() => syncOptions({ budget: '100' })).toThrow(/--budget must be ≥ 576/)
    expect(() => syncOptions({ fpr: '0.9' })).toThrow(/--fpr must be ≤ 0.5/)
    expect(() => syncOptions({ strategy: 'best' })).toThrow(/--strategy must be one of largest, modulo, adaptive/)
    const { start, deadline, tempDir } = await import('./helpers.js')
    const node = start(['node', '--room', 'tuned', '--tracker', '127.0.0.1:9', '--host', '127.0.0.1', '--data', await tempDir(), '--budget', '576', '--fpr', '0.05', '--strategy', 'modulo', '--response-budget', '10240'])
    await deadline(node.err.waitFor(/sync settings \{"datagramBudget":576,"falsePositiveRate":0.05,"strategy":"modulo","responseBudget":10240\}/), 20_000, `the node to log its sync settings; stderr:\n${node.err.text}`)
    node.stop()
    expect(await node.exit).toBe(0)
  })
})
