/**
 * What every `bloomwalk` command is handed: its arguments, a stdout line writer and the
 * process's other streams and signals, injectable so tests can run commands in-process.
 */
import type { Readable } from 'node:stream'
import { SystemClock } from '../env/clock.js'
import { createLogger, rateLimitedLogger, type Logger, type LogLevel, type LogSink } from '../env/logger.js'
import { MemoryReclaimer, processHeap } from '../env/memory-reclaimer.js'
import { choiceOption } from './args.js'

/** Where a command writes diagnostics (logs, progress): stderr in the real command. */
export interface ErrorStream {
  write(text: string): unknown
  /** True when a terminal shows it: progress is redrawn in place only then. */
  readonly isTTY?: boolean
}

/** The process around a command. Every field has a default (see {@link resolveIo}). */
export interface CommandIo {
  /** Diagnostics: logs, progress bars. Default `process.stderr`. */
  err: ErrorStream
  /** Aborted when the command must stop (SIGINT / SIGTERM in the real command). Default: never. */
  signal: AbortSignal
  /** Lines typed by the user (chat). Default `process.stdin`. */
  stdin: Readable
  /** Environment variables (data directory lookup). Default `process.env`. */
  env: NodeJS.ProcessEnv
}

/**
 * A command: resolves (or returns) the exit status, `undefined` meaning 0. Throws
 * `UsageError` for a bad argument (exit 2) and {@link CommandError} when it cannot do its
 * job (exit 1).
 */
export type Command = (argv: string[], out: (line: string) => void, io?: Partial<CommandIo>) => void | number | Promise<void | number>

/** The command could not do its job (a busy data directory, an unresolvable host, …): exit 1. */
export class CommandError extends Error {
  override name = 'CommandError'
}

/** Fills the defaults of {@link CommandIo}. */
export function resolveIo(io: Partial<CommandIo> = {}): CommandIo {
  return {
    err: io.err ?? process.stderr,
    signal: io.signal ?? new AbortController().signal,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env
  }
}

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

/** Formats accepted by `--log-format`. */
export const LOG_FORMATS = ['text', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/** The usage lines of `--log-format`. */
export const LOG_FORMAT_USAGE = `  --log-format  text (default): "ISO-8601-time level component message {fields}" lines;
                json: one JSON object per line, {"time", "level", "component", "msg", …fields}`

/** Keys a JSON log line sets itself; a field of the same name is written as `field.<name>`. */
const RESERVED: ReadonlySet<string> = new Set(['time', 'level', 'component', 'msg'])

/** JSON with bigints as decimal strings (a log line never throws). */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}

/** One log line in `format` (no newline); `time` is ms since 1970. */
export function formatLogLine(format: LogFormat, time: number, level: string, component: string, message: string, fields?: Record<string, unknown>): string {
  const iso = new Date(time).toISOString()
  if (format === 'text') return `${iso} ${level.padEnd(5)} ${component} ${message}${fields === undefined ? '' : ' ' + stringify(fields)}`
  const record: Record<string, unknown> = { time: iso, level, component, msg: message }
  for (const [k, v] of Object.entries(fields ?? {})) record[RESERVED.has(k) ? `field.${k}` : k] = v
  return stringify(record)
}

/**
 * A logger writing lines to `err` in the format of `--log-format` (text by default), at the
 * level of `--log-level`; each message at most 10 lines per second after a burst of 20 (a
 * flood of deliveries cannot fill the disk through the log; the next line says how many were
 * skipped).
 * @throws {UsageError} naming --log-level or --log-format
 */
export function commandLogger(name: string, raw: string | undefined, fallback: LogLevel, err: ErrorStream, rawFormat?: string): Logger {
  const level = choiceOption('log-level', raw, LOG_LEVELS, fallback)
  const format = choiceOption('log-format', rawFormat, LOG_FORMATS, 'text')
  const sink: LogSink = (lvl, who, message, fields) => {
    err.write(formatLogLine(format, Date.now(), lvl, who, message, fields) + '\n')
  }
  const clock = new SystemClock()
  return rateLimitedLogger(createLogger(name, { level, sink }), () => clock.now())
}

/** Resolves when `signal` aborts (at once when it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

/**
 * Runs a {@link MemoryReclaimer} until `signal` aborts: once the process is quiet after a
 * burst (a flood), one full collection gives back what the burst left in V8's young
 * generation (docs/operations.md, "Memory"). The long-running commands call it once each.
 */
export function reclaimMemoryWhenQuiet(signal: AbortSignal, log: Logger): MemoryReclaimer {
  const reclaimer = new MemoryReclaimer(new SystemClock(), processHeap(), { logger: log.child('memory') })
  if (signal.aborted) return reclaimer
  reclaimer.start()
  signal.addEventListener('abort', () => reclaimer.stop(), { once: true })
  return reclaimer
}

/** Calls `fn` every `ms` until `signal` aborts. A referenced timer: it keeps the process alive. */
export function every(ms: number, signal: AbortSignal, fn: () => void): void {
  if (signal.aborted) return
  const handle = setInterval(fn, ms)
  signal.addEventListener('abort', () => clearInterval(handle), { once: true })
}
