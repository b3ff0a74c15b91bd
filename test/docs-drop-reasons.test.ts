/**
 * Every drop reason the node can count (and the demo prints) is explained in
 * docs/protocol.md: the wire's decode reasons, every literal passed to `drop(…)` or
 * `bundleDrop(…)` in src/node, the `symbols-…` results, the global-time verdicts, the intake
 * budgets' and the room policy's reasons.
 */
import { readFile, readdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DROP_REASONS } from '../src/wire/limits.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')

async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sources(path)))
    else if (entry.name.endsWith('.ts')) out.push(await readFile(path, 'utf8'))
  }
  return out
}

describe('docs/protocol.md', () => {
  it('explains every drop reason the node counts', async () => {
    const doc = await readFile(join(repo, 'docs/protocol.md'), 'utf8')
    const code = (await sources(join(repo, 'src/node'))).join('\n')
    const reasons = new Set<string>(DROP_REASONS)
    for (const m of code.matchAll(/\b(?:drop|bundleDrop)\('([a-z0-9-]+)'\)/g)) reasons.add(m[1]!)
    const decoder = await readFile(join(repo, 'src/reconcile/decoder.ts'), 'utf8')
    const added = /type AddSymbolsResult = ([^\n]+)/.exec(decoder)![1]!.match(/'([a-z-]+)'/g)!.map((q) => q.slice(1, -1))
    for (const r of [...added.filter((r) => r !== 'added' && r !== 'buffered'), 'unexpected-in-sync']) reasons.add(`symbols-${r}`)
    const lamport = await readFile(join(repo, 'src/clock/lamport.ts'), 'utf8')
    for (const v of /type GlobalTimeVerdict = ([^\n]+)/.exec(lamport)![1]!.match(/'([a-z-]+)'/g)!.map((q) => q.slice(1, -1))) if (v !== 'ok') reasons.add(`global-time-${v}`)
    // Reasons returned by the intake budgets and the room policy, counted as returned (budgets) or prefixed (retention).
    const returned = async (file: string) => [...(await readFile(join(repo, file), 'utf8')).matchAll(/return '([a-z-]+)'/g)].map((m) => m[1]!)
    for (const r of await returned('src/node/budgets.ts')) reasons.add(r)
    for (const file of ['src/node/retention.ts', 'src/sync/retention.ts']) for (const r of await returned(file)) reasons.add(`retention-${r}`)
    expect(reasons.size).toBeGreaterThan(40)
    const missing = [...reasons].filter((r) => !doc.includes(`\`${r}\``))
    expect(missing).toEqual([])
  })
})
