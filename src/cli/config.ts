/**
 * `--config FILE`: a command's options from a JSON object whose keys are the flags' names
 * without the dashes (`{"room": "lobby", "tracker": ["192.0.2.10:6421"], "no-idle-skip": true}`).
 * The file's options go before the command line's, and an option given on the command line
 * replaces the file's (a repeatable one too: `--tracker` on the command line drops the file's
 * trackers). Every key and value is checked: a mistake is a usage error naming the file and key.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { UsageError } from './args.js'

/** `parseArgs` option specs (the subset this reads). */
export type OptionSpecs = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>

/** Largest config file read, bytes (it is a handful of options). */
const MAX_CONFIG_BYTES = 64 * 1024

/** The usage lines of `--config`. */
export const CONFIG_USAGE = `  --config FILE read options from a JSON file: {"flag-name": value, …} with the flags' names
                without "--" (strings, numbers, true for a switch, an array for a repeatable
                flag); options on the command line override the file's`

/**
 * `argv` with the options of its `--config FILE` (if any) put before it.
 * @throws {UsageError} when the file cannot be read, is not a JSON object, or names an unknown option or a value of the wrong type
 */
export function withConfig(argv: string[], options: OptionSpecs): string[] {
  const parsed = parseArgs({ args: argv, options: { ...options, config: { type: 'string' } }, strict: true, allowPositionals: false })
  const values = parsed.values as Record<string, unknown>
  const path = values['config']
  if (typeof path !== 'string') return argv
  const bad = (why: string): never => {
    throw new UsageError(`--config ${path}: ${why}`)
  }
  let text = ''
  try {
    const bytes = readFileSync(path)
    if (bytes.length > MAX_CONFIG_BYTES) bad(`larger than ${MAX_CONFIG_BYTES} bytes`)
    text = bytes.toString('utf8')
  } catch (err) {
    if (err instanceof UsageError) throw err
    bad(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  let config: unknown
  try {
    config = JSON.parse(text)
  } catch (err) {
    bad(`not JSON: ${(err as Error).message}`)
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) bad('must be a JSON object of options, e.g. {"room": "lobby"}')
  const args: string[] = []
  const scalar = (key: string, v: unknown): string => {
    if (typeof v === 'string') return v
    if (typeof v === 'number' && Number.isFinite(v)) return String(v)
    return bad(`"${key}" must be a string or a number`)
  }
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const spec = options[key]
    if (key === 'config' || key === 'help' || spec === undefined) bad(`unknown option "${key}" (the keys are the command's flags without "--")`)
    if (values[key] !== undefined) continue // the command line wins
    if (spec!.type === 'boolean') {
      if (typeof value !== 'boolean') bad(`"${key}" is a switch: true or false`)
      if (value === true) args.push(`--${key}`)
    } else if (spec!.multiple === true && Array.isArray(value)) {
      for (const v of value) args.push(`--${key}=${scalar(key, v)}`)
    } else args.push(`--${key}=${scalar(key, value)}`)
  }
  return [...args, ...argv]
}
