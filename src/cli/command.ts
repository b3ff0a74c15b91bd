/**
 * What every `bloomwalk` command is handed: its arguments, a stdout line writer and the
 * process's other streams and signals, injectable so tests can run commands in-process.
 */
import type { Readable } from 'node:stream'
import { SystemClock } from '../env/clock.js'
import { createLogger, rateLimitedLogger, type Logger, type LogLevel, type LogSink } from '../env/logger.js'
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

/**
 * A logger writing `HH:MM:SS level name message {fields}` lines to `err`, at the level of
 * `--log-level`; each message at most 10 lines per second after a burst of 20 (a flood of
 * deliveries cannot fill the disk through the log; the next line says how many were skipped).
 */
export function commandLogger(name: string, raw: string | undefined, fallback: LogLevel, err: ErrorStream): Logger {
  const level = choiceOption('log-level', raw, LOG_LEVELS, fallback)
  const sink: LogSink = (lvl, who, message, fields) => {
    const tail = fields === undefined ? '' : ' ' + JSON.stringify(fields)
    err.write(`${clockTime()} ${lvl.padEnd(5)} ${who} ${message}${tail}\n`)
  }
  const clock = new SystemClock()
  return rateLimitedLogger(createLogger(name, { level, sink }), () => clock.now())
}

function clockTime(): string {
  return new Date().toISOString().slice(11, 19)
}

/** Resolves when `signal` aborts (at once when it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

/** Calls `fn` every `ms` until `signal` aborts. A referenced timer: it keeps the process alive. */
export function every(ms: number, signal: AbortSignal, fn: () => void): void {
  if (signal.aborted) return
  const handle = setInterval(fn, ms)
  signal.addEventListener('abort', () => clearInterval(handle), { once: true })
}
