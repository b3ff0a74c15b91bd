#!/usr/bin/env node
/**
 * The `bloomwalk` command. The only place (with src/sim) that picks implementations:
 * the system clock, crypto randomness, UDP and LevelDB.
 */
import { BLOOM_USAGE, runBloom } from './bloom.js'
import { UsageError } from './args.js'

const USAGE = `usage: bloomwalk <command> [options]

commands:
  bloom     filter size, k and capacity for a datagram budget and false-positive rate

run "bloomwalk <command> --help" for a command's options`

type Command = (argv: string[], out: (line: string) => void) => void | Promise<void>

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  bloom: { run: runBloom, usage: BLOOM_USAGE }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const out = (line: string) => process.stdout.write(line + '\n')
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(USAGE)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(`bloomwalk: unknown command "${name}"\n${USAGE}\n`)
    return 2
  }
  try {
    await command.run(rest, out)
    return 0
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`bloomwalk ${name}: ${err.message}\n${command.usage}\n`)
      return 2
    }
    if (err instanceof Error && err.name === 'BloomwalkError') {
      process.stderr.write(`bloomwalk ${name}: ${err.message}\n`)
      return 1
    }
    throw err
  }
}

process.exitCode = await main(process.argv.slice(2))
