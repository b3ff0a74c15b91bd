/**
 * The command table of `bloomwalk` and the dispatcher over it (the executable is
 * ./main.js). Exit status: 0 success, 1 the command could not do its job (or the demo did not
 * converge), 2 a bad argument (the message names it).
 */
import { BLOOM_USAGE, runBloom } from './bloom.js'
import { CHAT_USAGE, runChat } from './chat.js'
import { CommandError, type Command, type CommandIo } from './command.js'
import { DEMO_USAGE, runDemo } from './demo.js'
import { NODE_USAGE, runNode } from './node.js'
import { RECONCILE_BENCH_USAGE, runReconcileBenchCommand } from './reconcile-bench.js'
import { STORE_USAGE, runStore } from './store.js'
import { TRACKER_USAGE, runTracker } from './tracker.js'
import { UsageError } from './args.js'
import { version } from './version.js'

export { version }

export const USAGE = `usage: bloomwalk <command> [options]

commands:
  demo      a tracker and N peers over UDP on this machine converge on M messages; prints the cost
  tracker   run a tracker: introduces the peers of any room to each other
  node      run a peer in a room: syncs and serves the room's bundles, stored in LevelDB
  chat      a terminal public chat in a room
  bloom     filter size, k and capacity for a datagram budget and false-positive rate
  store     check or repair the bundle stores of a data directory (store check|repair --data DIR)
  sim       one simulation of a preset on virtual time (the real node code, many peers)
  sweep     a simulation preset over a grid of parameters and seeds; a table, JSON or a plot
  reconcile-bench
            the Bloom walk against coded-symbol catch-up between two peers (from a checkout)

  --version print the version

run "bloomwalk <command> --help" for a command's options`

export const COMMANDS: Record<string, { run: Command; usage: string }> = {
  demo: { run: runDemo, usage: DEMO_USAGE },
  tracker: { run: runTracker, usage: TRACKER_USAGE },
  node: { run: runNode, usage: NODE_USAGE },
  chat: { run: runChat, usage: CHAT_USAGE },
  bloom: { run: runBloom, usage: BLOOM_USAGE },
  store: { run: runStore, usage: STORE_USAGE },
  'reconcile-bench': { run: runReconcileBenchCommand, usage: RECONCILE_BENCH_USAGE }
}

/**
 * `--opt -5` → `--opt=-5`: node's parseArgs takes a value starting with a dash for an option
 * and rejects it with its own message; joined, the value reaches our range checks, which say
 * what is allowed. (No command takes positionals, so a negative number is always a value.)
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const next = argv[i + 1]
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

/** Runs one command line; resolves the exit status. */
export async function main(argv: string[], out: (line: string) => void, io: Partial<CommandIo> = {}): Promise<number> {
  const err = io.err ?? process.stderr
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(USAGE)
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    out(`bloomwalk ${version()}`)
    return 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    err.write(`bloomwalk: unknown command "${name}"\nrun "bloomwalk --help" for the commands\n`)
    return 2
  }
  try {
    const code = await command.run(joinNegativeValues(rest), out, io)
    return typeof code === 'number' ? code : 0
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      err.write(`bloomwalk ${name}: ${e.message}\nrun "bloomwalk ${name} --help" for its options\n`)
      return 2
    }
    if (e instanceof CommandError || (e instanceof Error && e.name === 'BloomwalkError')) {
      err.write(`bloomwalk ${name}: ${e.message}\n`)
      return 1
    }
    throw e
  }
}
