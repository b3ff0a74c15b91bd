/**
 * `bloomwalk store check|repair --data DIR`: looks at (and repairs) the LevelDB stores of a
 * data directory — every `rooms/<room>/` folder, or DIR itself when it is one store folder.
 * Check changes nothing a store needs (docs/store.md, "Check and repair"); repair copies each
 * damaged folder to `<folder>.backup-<time>` first, then runs LevelDB's repair and rebuilds
 * the store's index and counts.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { checkLevelStore, repairLevelStore, type StoreCheck } from '../store/level-check.js'
import { UsageError } from './args.js'
import { CommandError, resolveIo, type CommandIo } from './command.js'
import { dataDir } from './data-dir.js'

export const STORE_USAGE = `usage: bloomwalk store check|repair [--data DIR]

Checks or repairs the bundle stores (LevelDB) of a data directory: every rooms/<room>/
folder, or DIR itself when it is one store folder.

  check    reads every row, index entry and count; says what is wrong. Creates and deletes
           nothing. Exit 0 when every store is fine, 1 otherwise.
  repair   for each store that is not fine: copies the folder to <folder>.backup-<time>,
           runs LevelDB's own repair (rebuilds its manifest and CURRENT from the files it
           finds), then rebuilds the id index and counts from the rows. Never deletes a row.
           Stop the node that uses the data directory first.

  --data   the data directory (default $XDG_DATA_HOME/bloomwalk or ~/.local/share/bloomwalk)`

/** Names LevelDB gives its files: a folder holding one of them is a store folder. */
const LEVEL_FILE = /^(?:CURRENT|MANIFEST-\d+|\d+\.(?:log|ldb|sst))$/

export async function runStore(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { data: { type: 'string' }, help: { type: 'boolean' } }, strict: true, allowPositionals: true })
  if (values.help === true) {
    out(STORE_USAGE)
    return 0
  }
  const action = positionals[0]
  if (action !== 'check' && action !== 'repair') throw new UsageError(action === undefined ? 'missing check or repair' : `unknown action "${action}" (check or repair)`)
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`)
  const io = resolveIo(partialIo)
  const data = dataDir(values.data, io.env)
  const folders = await storeFolders(data)
  if (folders.length === 0) {
    out(`no stores under ${data}`)
    return 0
  }
  let bad = 0
  for (const folder of folders) {
    const check = await checkLevelStore(folder)
    const fine = check.state === 'ok' || check.state === 'empty'
    if (action === 'check' || fine) {
      report(check, out)
      if (!fine) bad++
      continue
    }
    report(check, out)
    const backup = `${folder}.backup-${new Date().toISOString().replace(/[:.]/g, '-')}`
    let after: StoreCheck
    try {
      ;({ after } = await repairLevelStore(folder, backup))
    } catch (err) {
      throw new CommandError(err instanceof Error ? err.message : String(err))
    }
    out(`  repaired; the folder as it was is in ${backup}`)
    report(after, out)
    if (after.state !== 'ok') bad++
  }
  return bad === 0 ? 0 : 1
}

/** DIR when it is a store folder, else its rooms/<room>/ folders (backups left out). */
async function storeFolders(data: string): Promise<string[]> {
  const names = await readdir(data).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new CommandError(`no data directory at ${data}`)
    throw new CommandError(`cannot read ${data}: ${err.message}`)
  })
  if (names.some((n) => LEVEL_FILE.test(n))) return [data]
  const rooms = join(data, 'rooms')
  const entries = await readdir(rooms, { withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => e.isDirectory() && !e.name.includes('.backup-'))
    .map((e) => join(rooms, e.name))
    .sort()
}

function report(check: StoreCheck, out: (line: string) => void): void {
  const rows = check.overlays.reduce((n, o) => n + o.rows, 0)
  const summary = check.state === 'ok' || check.state === 'damaged' ? `: ${check.overlays.length} overlay${check.overlays.length === 1 ? '' : 's'}, ${rows} bundles` : ''
  out(`${check.state.padEnd(10)} ${check.location}${summary}`)
  for (const p of check.problems) out(`  ${p}`)
}
