/**
 * Runs every `bench/*.bench.js` module (each default-exports a `BenchGroup` or a function
 * returning one) and prints a table, or JSON lines with `--json`.
 *
 *   npm run bench                    # all groups, table
 *   npm run bench -- --json          # one JSON object per line
 *   npm run bench -- --only bloom    # groups whose file name contains "bloom"
 *   npm run bench -- --quick         # shorter timing (smoke run)
 */
import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type BenchGroup, fmt, runGroup } from './harness.js'

const args = process.argv.slice(2)
const json = args.includes('--json')
const quick = args.includes('--quick')
const onlyAt = args.indexOf('--only')
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined

const here = dirname(fileURLToPath(import.meta.url))
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js') && (only === undefined || f.includes(only))).sort()
if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${only ?? '*'}\n`)
  process.exit(2)
}

const options = quick ? { time: 200, warmupTime: 50 } : { time: 1500, warmupTime: 300 }
if (!json) process.stdout.write(`bloomwalk benchmarks — node ${process.version}, ${options.time} ms per case after ${options.warmupTime} ms warm-up\n`)

for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchGroup | (() => Promise<BenchGroup> | BenchGroup) }
  const group = typeof mod.default === 'function' ? await mod.default() : mod.default
  const { results, figures } = await runGroup(group, options)
  if (json) {
    for (const r of results) process.stdout.write(JSON.stringify(r) + '\n')
    for (const [name, value] of Object.entries(figures)) process.stdout.write(JSON.stringify({ group: group.group, name, value }) + '\n')
    continue
  }
  process.stdout.write(`\n## ${group.group}\n`)
  const rows = results.map((r) => [
    r.name,
    fmt(r.opsPerSec),
    r.itemsPerSec === undefined ? '' : fmt(r.itemsPerSec),
    fmt(r.medianMs),
    r.ratio === undefined ? '' : `${fmt(r.ratio)}× ${r.baseline}`
  ])
  const head = ['case', 'ops/s', 'items/s', 'median ms', 'vs baseline']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  process.stdout.write(line(head) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n')
  for (const row of rows) process.stdout.write(line(row) + '\n')
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}: ${fmt(value)}\n`)
}
