/**
 * The project's layering rules, checked on the source text (DESIGN §1): only src/env reads
 * ambient time or randomness, and the sans-I/O core imports no I/O and nothing from the
 * shells (node, transport, sim, cli).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import ts from 'typescript'
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
    // The parser sees the imports: node.ts imports the walker's overlay type, the CLI its commands.
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

  it('keeps module-level mutable state to caches documented as per process by design (the nodes of one process share nothing else)', () => {
    expect(undocumentedModuleState(sources)).toEqual([])
  })

  it('finds undocumented module-level state when there is some (the check itself)', () => {
    const text = [
      '/** Per process by design: a pure function of the text. */',
      'const cache = new Map<string, string>()',
      'let perRequest = 0',
      'const CONSTANT: ReadonlySet<string> = new Set()',
      'export const shared = new Set<string>()'
    ].join('\n')
    expect(undocumentedModuleState([{ path: 'x.ts', text }])).toEqual(['x.ts: let perRequest = 0', 'x.ts: export const shared = new Set<string>()'])
  })

  it('lets only the ledger write an overlay\'s bundles and sketch (the invariant "sketch and counts mirror the store" kept in one place)', () => {
    // The shells that hold bundle stores (MVDS's own message store, in src/mvds, is not one).
    const writes = /\b(?:store|sketch)\.(?:put|putMany|delete|add|remove)\(/
    const shells = sources.filter((s) => SHELLS.includes(s.path.split('/')[0]!) && s.path !== 'node/ledger.ts')
    const offenders = shells.filter((s) => writes.test(s.text)).map((s) => s.path)
    expect(offenders).toEqual([])
    expect(writes.test(sources.find((s) => s.path === 'node/ledger.ts')!.text)).toBe(true)
  })

  it("lets only the walker's OverlayWalk write an overlay's candidate table (intake and the trusted list call its methods)", () => {
    const writes = /\b(?:candidates|table)\.(?:addTrusted|recordWalk|recordWalkReply|recordStumble|recordIntro|recordUseful|walkTimedOut|remove|purge|pickIntroduction)\(|\bnew CandidateTable\(/
    const offenders = (files: readonly { path: string; text: string }[]): string[] => files.filter((s) => s.path !== 'node/overlay.ts' && writes.test(s.text)).map((s) => s.path)
    expect(offenders(sources.filter((s) => SHELLS.includes(s.path.split('/')[0]!)))).toEqual([])
    expect(writes.test(sources.find((s) => s.path === 'node/overlay.ts')!.text)).toBe(true)
    // The check itself: a write around the OverlayWalk is found.
    expect(offenders([{ path: 'node/intake.ts', text: 'state.candidates.recordUseful(key, now)' }])).toEqual(['node/intake.ts'])
  })

  it('gives no service of the node a component it does not use (each …Components member is read somewhere)', () => {
    expect(unusedComponents(sources)).toEqual([])
    // The check itself: a member nothing reads is found.
    const probe = { path: 'node/probe.ts', text: 'export interface ProbeComponents {\n  clock: Clock\n  unused: number\n}\nexport function f(c: ProbeComponents) {\n  return c.clock.now()\n}\n' }
    expect(unusedComponents([probe])).toEqual(['node/probe.ts: ProbeComponents.unused'])
  })

  it('has no shared per-overlay state object in the node: no exported class of src/node exposes a writable field (the counter bag excepted)', () => {
    const offenders: string[] = []
    for (const s of sources.filter((f) => f.path.startsWith('node/'))) {
      const file = ts.createSourceFile(s.path, s.text, ts.ScriptTarget.Latest, true)
      for (const cls of file.statements.filter(ts.isClassDeclaration)) {
        if (cls.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) !== true || cls.name?.text === 'Counters') continue
        for (const m of cls.members) {
          if (!ts.isPropertyDeclaration(m) || ts.isPrivateIdentifier(m.name)) continue
          if (m.modifiers?.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword || x.kind === ts.SyntaxKind.PrivateKeyword) === true) continue
          offenders.push(`${s.path}: ${cls.name?.text ?? '?'}.${m.name.getText(file)}`)
        }
      }
    }
    expect(offenders).toEqual([])
  })
})

/**
 * Members of the node's `…Components` interfaces that nothing uses: a member must be read
 * (`.name`, or destructured) in the file that declares the interface or in a file that names
 * it. `NodeComponents` is createNode's option group, not a service's components.
 */
function unusedComponents(files: readonly { path: string; text: string }[]): string[] {
  const out: string[] = []
  for (const f of files.filter((x) => x.path.startsWith('node/'))) {
    const file = ts.createSourceFile(f.path, f.text, ts.ScriptTarget.Latest, true)
    for (const decl of file.statements.filter(ts.isInterfaceDeclaration)) {
      const name = decl.name.text
      if (!name.endsWith('Components') || name === 'NodeComponents') continue
      const users = files.filter((x) => x !== f && new RegExp(`\\b${name}\\b`).test(x.text)).map((x) => x.text)
      const text = [f.text.slice(0, decl.getStart(file)) + f.text.slice(decl.getEnd()), ...users].join('\n')
      for (const m of decl.members) {
        const member = m.name?.getText(file)
        if (member !== undefined && !new RegExp(`(?:\\.|\\{[^}]*\\b)${member}\\b`).test(text)) out.push(`${f.path}: ${name}.${member}`)
      }
    }
  }
  return out
}

/**
 * Module-level declarations holding mutable state (a `let`, or a `const` Map, Set, WeakMap or
 * array not typed read-only) whose comment just above does not say "per process by design".
 */
function undocumentedModuleState(files: readonly { path: string; text: string }[]): string[] {
  const out: string[] = []
  const mutable = /^(?:export )?(?:let |var |const \w+(?::(?!\s*Readonly)[^=]+)? = (?:new (?:Map|Set|WeakMap|WeakSet|Array)\b|\[\]))/
  for (const f of files) {
    const lines = f.text.split('\n')
    lines.forEach((line, i) => {
      if (!mutable.test(line)) return
      // The comment block right above the declaration.
      let j = i
      while (j > 0 && /^\s*(?:\/\*\*|\*|\/\/)/.test(lines[j - 1]!)) j--
      if (!/per process by design/i.test(lines.slice(j, i).join(' '))) out.push(`${f.path}: ${line}`)
    })
  }
  return out
}
