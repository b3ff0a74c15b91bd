#!/usr/bin/env node
/**
 * The `bloomwalk` command. The only place (with src/sim) that picks implementations:
 * the system clock, crypto randomness, UDP and LevelDB. The command table is in
 * ./commands.ts.
 */
import { setFlagsFromString } from 'node:v8'
import { COMMANDS, main } from './commands.js'
import { SIM_USAGE, runSim } from './sim.js'
import { SWEEP_USAGE, runSweep } from './sweep.js'

// The simulator allocates many short-lived objects per datagram for hundreds of nodes in one
// heap; with V8's default semi-spaces the scavenger runs so often that dbs-500 takes 8–14 %
// longer (docs/evaluation.md §5). A larger young generation, for the simulator's commands
// only, set before their allocation starts.
if (process.argv[2] === 'sim' || process.argv[2] === 'sweep') setFlagsFromString('--max-semi-space-size=64')

// The simulator's commands (src/sim, docs/evaluation.md); the rest of the table is in ./commands.ts.
COMMANDS['sim'] ??= { run: runSim, usage: SIM_USAGE }
COMMANDS['sweep'] ??= { run: runSweep, usage: SWEEP_USAGE }

/** SIGINT / SIGTERM abort the command (it stops cleanly); a second signal exits at once. */
function signals(): AbortSignal {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130)
    process.stderr.write(`\nbloomwalk: ${signal}, stopping (again to exit at once)\n`)
    controller.abort(new Error(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return controller.signal
}

process.exitCode = await main(process.argv.slice(2), (line) => process.stdout.write(line + '\n'), { signal: signals() })
