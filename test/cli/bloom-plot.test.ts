/**
 * `bloomwalk bloom --plot`: each point's filter is the size a walk step uses, its measured
 * false-positive rate at capacity agrees with the formula within sampling error, the same
 * seed draws the same points, and the SVG is written.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { measureBloom, PLOT_BUDGETS } from '../../src/cli/bloom-plot.js'
import { runBloom } from '../../src/cli/bloom.js'
import { offerSize } from '../../src/sync/capacity.js'
import { tempDir } from './helpers.js'

describe('bloom --plot', () => {
  it('measured rates at capacity agree with the formula within 5 standard errors', () => {
    const probes = 40_000
    const points = measureBloom({ budgets: [576, 1472], rates: [0.01, 0.05], probes, seed: 3 })
    expect(points).toHaveLength(4)
    for (const p of points) {
      const size = offerSize(p.budget, p.rate, 'ipv4')
      expect(p).toMatchObject({ filterBytes: size.bloomBytes, k: size.k, capacity: size.capacity })
      expect(p.theory).toBeLessThanOrEqual(p.rate * 1.02)
      const sigma = Math.sqrt((p.theory * (1 - p.theory)) / probes)
      expect(Math.abs(p.measured - p.theory), `budget ${p.budget} rate ${p.rate}`).toBeLessThan(5 * sigma)
    }
    expect(measureBloom({ budgets: [576], rates: [0.05], probes: 2000, seed: 9 })).toEqual(measureBloom({ budgets: [576], rates: [0.05], probes: 2000, seed: 9 }))
    expect(new Set(PLOT_BUDGETS).size).toBe(PLOT_BUDGETS.length)
    expect(PLOT_BUDGETS.at(0)).toBe(576)
    expect(PLOT_BUDGETS.at(-1)).toBe(1472)
  })

  it('writes the SVG and prints the points', async () => {
    const path = join(await tempDir(), 'bloom.svg')
    const lines: string[] = []
    await runBloom(['--plot', path, '--json', '--seed', '2'], (l) => lines.push(l))
    const svg = await readFile(path, 'utf8')
    expect(svg).toMatch(/^<svg/)
    expect(svg).toContain('seed 2')
    const r = JSON.parse(lines[0]!) as { points: unknown[]; seed: number }
    expect(r.seed).toBe(2)
    expect(r.points).toHaveLength(PLOT_BUDGETS.length * 4)
  })
})
