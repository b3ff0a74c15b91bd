#!/usr/bin/env node
/**
 * The `bloomwalk` command. The only place (with src/sim) that picks implementations:
 * the system clock, crypto randomness, UDP and LevelDB. The command table is in
 * ./commands.ts.
 */
import { COMMANDS, main } from './commands.js'
import { SIM_USAGE, runSim } from './sim.js'
import { SWEEP_USAGE, runSweep } from './sweep.js'

// V8 flags cannot be changed from here: `v8.setFlagsFromString('--max-semi-space-size=…')` at
// run time does not resize the young generation on Node 20 (docs/evaluation.md §5). The
// simulator runs faster with a larger one when node is started with it:
// `node --max-semi-space-size=64 dist/src/cli/main.js sim …`.

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
