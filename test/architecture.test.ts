/**
 * The project's layering rules, checked on the source text (DESIGN §1): only src/env reads
 * ambient time or randomness, and the sans-I/O core imports no I/O and nothing from the
 * shells (node, transport, sim, cli).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
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

/** The src/ modules each module imports (type-only imports and re-exports included), by path relative to src/. */
function importGraph(): Map<string, string[]> {
  const known = new Set(sources.map((s) => s.path))
  const graph = new Map<string, string[]>()
  for (const s of sources) {
    const out = new Set<string>()
    for (const m of s.text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)) {
      const target = normalize(join(dirname(s.path), m[1]!)).replace(/\.js$/, '.ts')
      if (known.has(target)) out.add(target)
    }
    graph.set(s.path, [...out].sort())
  }
  return graph
}

/** Every cycle's strongly connected component (Tarjan), each as its sorted module paths. */
function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  let next = 0
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    for (;;) {
      const w = stack.pop()!
      onStack.delete(w)
      component.push(w)
      if (w === v) break
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort())
  }
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v)
  return cycles
}

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

  it('pulls no node:crypto into the core through what it imports (the RNG helpers, the byte helpers, the heap)', () => {
    const graph = importGraph()
    const text = new Map(sources.map((s) => [s.path, s.text]))
    const offenders: string[] = []
    for (const start of sources.filter((s) => CORE.includes(s.path.split('/')[0]!)).map((s) => s.path)) {
      const seen = new Set([start])
      const todo = [start]
      while (todo.length > 0) {
        const path = todo.pop()!
        if (/from 'node:crypto'/.test(text.get(path)!)) offenders.push(`${start} reaches ${path}`)
        for (const next of graph.get(path) ?? []) if (!seen.has(next)) todo.push(next), seen.add(next)
      }
    }
    expect(offenders).toEqual([])
  })

  it('has no import cycle among src/ modules (type-only imports count: a cycle is a layering knot either way)', () => {
    const graph = importGraph()
    // The parser sees the imports: node.ts imports its overlay state, the CLI its commands.
    expect(graph.get('node/node.ts')).toContain('node/overlay.ts')
    expect(graph.get('cli/main.ts')?.length).toBeGreaterThan(0)
    expect(importCycles(graph)).toEqual([])
  })

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts', 'd.ts']],
      ['e.ts', []]
    ])
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']])
  })
})
