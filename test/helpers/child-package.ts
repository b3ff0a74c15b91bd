/**
 * A throwaway ESM package for crash tests' child processes: the given source entries and
 * every relative import they reach, transpiled (no type check) into `<root>/pkg` with the
 * same layout as the repository, `node_modules` symlinked to the repository's, and the
 * child script written as `pkg/child.mjs`. The child can then be SIGKILLed at will without
 * touching the test runner.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Builds `<root>/pkg` from `entries` (paths relative to the repository) and `child` (the script's source); returns the path of `child.mjs`. */
export async function buildChildPackage(root: string, entries: readonly string[], child: string): Promise<string> {
  const pkg = join(root, 'pkg')
  await mkdir(pkg)
  await writeFile(join(pkg, 'package.json'), '{"type":"module"}\n')
  await symlink(join(REPO, 'node_modules'), join(pkg, 'node_modules'), 'dir')
  const seen = new Set<string>()
  for (const entry of entries) await transpileClosure(join(REPO, entry), pkg, seen)
  const script = join(pkg, 'child.mjs')
  await writeFile(script, child)
  return script
}

/** Transpiles `entry` and every relative import it reaches into `outRoot`, mirroring paths. */
async function transpileClosure(entry: string, outRoot: string, seen: Set<string>): Promise<void> {
  const queue = [entry]
  while (queue.length > 0) {
    const file = queue.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    const source = await readFile(file, 'utf8')
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file
    })
    const target = join(outRoot, relative(REPO, file)).replace(/\.ts$/, '.js')
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, out.outputText)
    for (const m of source.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)\.js'/g)) queue.push(resolve(dirname(file), `${m[1]}.ts`))
  }
}
