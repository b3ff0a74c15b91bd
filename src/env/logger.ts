/** A small levelled logger. The sink is injected; the default writes to stderr. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** Where formatted log lines go. */
export type LogSink = (level: Exclude<LogLevel, 'silent'>, name: string, message: string, fields?: Record<string, unknown>) => void

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  /** A logger for a sub-component: names join with a colon. */
  child(name: string): Logger
}

/** Writes `level name message {json}` lines to stderr. */
export const stderrSink: LogSink = (level, name, message, fields) => {
  const tail = fields === undefined ? '' : ' ' + JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  process.stderr.write(`${level} ${name} ${message}${tail}\n`)
}

/** Creates a logger that drops lines below `level`. */
export function createLogger(name: string, options: { level?: LogLevel; sink?: LogSink } = {}): Logger {
  const level = options.level ?? 'info'
  const sink = options.sink ?? stderrSink
  const min = RANK[level]
  const emit = (l: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[l] >= min) sink(l, name, message, fields)
  }
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (sub) => createLogger(`${name}:${sub}`, { level, sink })
  }
}

/** A logger that discards everything. */
export const silentLogger: Logger = createLogger('silent', { level: 'silent' })
