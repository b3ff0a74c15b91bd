/**
 * Plots without the weight: vega and vega-lite are optional dependencies, loaded only to draw,
 * with a clear error when absent; heatmap colours start where a difference is meaningful;
 * every plot states its preset, peers, messages and seed.
 */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { plotCaption } from '../../src/cli/sim.js'
import { sweepCaption } from '../../src/cli/sweep.js'
import { heatmapSpec, loadPlotting, MIN_HEAT_SPAN_PERCENT, percentWorse, PLOTTING_MISSING, PlottingUnavailableError, renderSvg } from '../../src/sim/plot.js'
import { presetNamed } from '../../src/sim/presets.js'

const ROOT = join(import.meta.dirname, '..', '..')

const absent = async (name: string): Promise<never> => {
  throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' })
}

describe('optional plotting', () => {
  it('vega and vega-lite are optional dependencies, imported by no module statically', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
    for (const name of ['vega', 'vega-lite']) {
      expect(pkg['dependencies']?.[name]).toBeUndefined()
      expect(pkg['optionalDependencies']?.[name]).toBeDefined()
    }
    const files = async (dir: string): Promise<string[]> =>
      (await Promise.all((await readdir(dir, { withFileTypes: true })).map((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)])))).flat()
    for (const file of (await files(join(ROOT, 'src'))).filter((f) => f.endsWith('.ts'))) {
      expect(await readFile(file, 'utf8'), file).not.toMatch(/from '(vega|vega-lite)'/)
    }
  })

  it('without them, drawing fails with a message that says what to install', async () => {
    await expect(loadPlotting(absent)).rejects.toThrow(PlottingUnavailableError)
    await expect(renderSvg({ mark: 'point' }, absent)).rejects.toThrow(PLOTTING_MISSING)
    expect(PLOTTING_MISSING).toMatch(/npm install vega vega-lite/)
    // Any other failure is not disguised as a missing package.
    await expect(loadPlotting(async () => Promise.reject(new Error('disk on fire')))).rejects.toThrow('disk on fire')
  })

  it('with them, a spec renders to SVG', async () => {
    const svg = await renderSvg({ data: { values: [{ a: 1, b: 2 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } })
    expect(svg).toMatch(/^<svg/)
  })
})

describe('heatmap colours', () => {
  it('are percent worse than the best cell, on a scale of at least 5 %', () => {
    // The case from the issue: four hours, a second apart.
    const cells = [
      { x: 1, y: 1, value: 15263.7 },
      { x: 1, y: 2, value: 15264.9 },
      { x: 2, y: 1, value: null }
    ]
    const spec = heatmapSpec(cells, 'fpr', 'budget', 'seconds to 99 %') as { data: { values: { worse: number | null }[] }; layer: { encoding: { color: { scale?: { domain: number[] } } } }[] }
    const worse = spec.data.values.map((v) => v.worse)
    expect(worse[0]).toBe(0)
    expect(worse[1]).toBeCloseTo((1.2 / 15263.7) * 100, 6)
    expect(worse[2]).toBeNull()
    expect(spec.layer[0]!.encoding.color.scale!.domain).toEqual([0, MIN_HEAT_SPAN_PERCENT])
    // A real spread gets the whole palette.
    expect(((heatmapSpec([{ x: 1, y: 1, value: 10 }, { x: 2, y: 1, value: 30 }], 'a', 'b', 'm') as typeof spec).layer[0]!.encoding.color.scale!.domain)).toEqual([0, 200])
  })

  it('higher-is-better metrics count down from the largest; a best of 0 uses the largest magnitude', () => {
    expect(percentWorse([0.9, 1, null], 'higher')).toEqual([expect.closeTo(10, 9), 0, null])
    expect(percentWorse([0, 0.5, 1], 'lower')).toEqual([0, 50, 100])
    expect(percentWorse([0, 0], 'lower')).toEqual([0, 0])
    expect(percentWorse([null], 'lower')).toEqual([null])
  })
})

describe('plot captions', () => {
  it('state preset, protocol, peers, messages and seed (sim) and what a sweep held or swept', () => {
    const scenario = presetNamed('dbs-500')
    expect(plotCaption({ preset: 'dbs-500', protocol: scenario.protocol, seed: 3, scenario })).toBe(`dbs-500 (${scenario.protocol}): ${scenario.peers} peers, ${scenario.messages} messages, seed 3`)
    expect(sweepCaption('dbs-500', scenario, [{ name: 'fpr', values: ['0.01'] }], 7)).toBe(`dbs-500: ${scenario.peers} peers, ${scenario.messages} messages, seed 7`)
    expect(sweepCaption('dbs-500', scenario, [{ name: 'nodes', values: ['10', '20'] }, { name: 'seed', values: ['1', '2'] }], 7)).toBe(`dbs-500: peers swept, ${scenario.messages} messages, mean over seeds 1, 2`)
  })
})
