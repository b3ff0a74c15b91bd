/**
 * The README's Library example, run as written against the BUILT package (`import … from
 * 'bloomwalk'` resolves to dist/ through package.json's exports, as for a user), in a child
 * process: it must print both deliveries and exit by itself — the node, the transport and the
 * store it opens are all closed. The package is built by `npm ci` (prepare); this test builds
 * it when dist/ is missing.
 */
import { execFile, spawn } from 'node:child_process'
import { access, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
let dir = ''

/** The first ```ts block of the README's "## Library" section. */
async function example(): Promise<string> {
  const readme = await readFile(join(repo, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('\n## Library'))
  const match = /```ts\n([\s\S]*?)```/.exec(section)
  if (match === null) throw new Error('README has no ts block under "## Library"')
  return match[1]!
}

describe("the README's Library example", () => {
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('runs against the built package, delivers both messages and exits by itself', async () => {
    try {
      await access(join(repo, 'dist/src/index.js'))
    } catch {
      await promisify(execFile)(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.build.json')])
    }
    dir = await mkdtemp(join(tmpdir(), 'bloomwalk-readme-'))
    await mkdir(join(dir, 'node_modules'))
    await symlink(repo, join(dir, 'node_modules', 'bloomwalk'), 'dir')
    await writeFile(join(dir, 'package.json'), '{"type":"module"}\n')
    const code = await example()
    expect(code).toContain("from 'bloomwalk'")
    await writeFile(join(dir, 'example.mjs'), code)
    const child = spawn(process.execPath, ['example.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    // Generous: the example waits 2 s on its iterator; a process kept alive by an open handle never exits.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })))
    clearTimeout(timer)
    expect(exit, `stderr: ${err}`).toEqual({ code: 0, signal: null })
    expect(out.split('\n').slice(0, 2)).toEqual(['me: hello', 'me: a reply'])
    expect(out).toContain('bundlesStored')
  }, 120_000)

  it('the subpath entry points resolve through package.json and export what they promise; the root no longer exports hash internals', async () => {
    // Runs after the test above, in its folder (the package symlinked as node_modules/bloomwalk).
    expect(dir).not.toBe('')
    const probe = [
      "import * as root from 'bloomwalk'",
      "import * as testing from 'bloomwalk/testing'",
      "import * as wire from 'bloomwalk/wire'",
      "import * as bloom from 'bloomwalk/bloom'",
      "import * as sim from 'bloomwalk/sim'",
      'const has = (m, names) => names.filter((n) => typeof m[n] !== "function" && typeof m[n] !== "object")',
      'console.log(JSON.stringify({',
      "  testing: has(testing, ['MemoryNetwork', 'ManualClock', 'SeededRng', 'MemoryStore']),",
      "  wire: has(wire, ['encodePacket', 'decodePacket', 'DEFAULT_DECODE_LIMITS']),",
      "  bloom: has(bloom, ['BloomFilter', 'bloomSizeFor', 'fmix32']),",
      "  sim: has(sim, ['simulate', 'PRESETS', 'presetNamed', 'withOverrides']),",
      "  root: has(root, ['createNode', 'createUdpTransport', 'LevelStore', 'MemoryStore', 'BloomFilter', 'SystemClock', 'CryptoRng', 'roomId', 'BloomwalkError']),",
      "  internals: ['fmix32', 'LANE2_SEED_XOR', 'int', 'float', 'shuffle'].filter((n) => n in root),",
      "  presets: Object.keys(sim.PRESETS).length",
      '}))'
    ].join('\n')
    await writeFile(join(dir, 'subpaths.mjs'), probe)
    const { stdout } = await promisify(execFile)(process.execPath, ['subpaths.mjs'], { cwd: dir })
    const r = JSON.parse(stdout) as Record<string, string[] | number>
    // Every list is of names missing: all empty.
    expect(r).toMatchObject({ testing: [], wire: [], bloom: [], sim: [], root: [], internals: [] })
    expect(r['presets']).toBeGreaterThan(10)
  }, 60_000)
})
