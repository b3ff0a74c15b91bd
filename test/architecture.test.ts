/**
 * The project's layering rules, checked on the source text (DESIGN §1): only src/env reads
 * ambient time or randomness, and the sans-I/O core imports no I/O and nothing from the
 * shells (node, transport, sim, cli).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '..', 'src')
const CORE = ['wire', 'bloom', 'clock', 'sync', 'candidates', 'nat', 'mvds', 'causal', 'reconcile', 'bundle']
const SHELLS = ['node', 'transport', 'sim', 'cli']

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

const sources = files(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }))

describe('architecture', () => {
  it('reads ambient time and randomness only in src/env', () => {
    // A call of the global timers, not a Clock implementation's method (`setTimeout(fn: …)`).
    const ambient = /\bDate\.now\(|\bMath\.random\(|new Date\(\)|\bperformance\.now\(|(?<![.\w])setTimeout\((?!\w+\s*:)|(?<![.\w])setInterval\((?!\w+\s*:)/
    const offenders = sources.filter((s) => !s.path.startsWith('env/') && !s.path.startsWith('cli/') && ambient.test(s.text)).map((s) => s.path)
    expect(offenders).toEqual([])
  })

  it('keeps the core sans-I/O: no node: I/O modules and no imports from the shells', () => {
    const offenders: string[] = []
    for (const s of sources) {
      const top = s.path.split('/')[0]!
      if (!CORE.includes(top)) continue
      for (const m of s.text.matchAll(/from '([^']+)'/g)) {
        const spec = m[1]!
        if (/^node:(dgram|net|fs|fs\/promises|child_process|http|https|timers)$/.test(spec)) offenders.push(`${s.path} imports ${spec}`)
        if (SHELLS.some((shell) => spec.includes(`../${shell}/`))) offenders.push(`${s.path} imports ${spec}`)
        if (spec === 'level' || spec.includes('../store/level')) offenders.push(`${s.path} imports ${spec}`)
      }
    }
    expect(offenders).toEqual([])
  })
})
