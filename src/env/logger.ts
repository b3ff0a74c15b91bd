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

/** Options of {@link rateLimitedLogger}. */
export interface RateLimit {
  /** Lines per second allowed for one message (its first argument). Default 10. */
  linesPerSecond?: number
  /** Lines one message may write at once before the rate applies. Default 20. */
  burst?: number
  /** Messages tracked at once (least recently used forgotten). Default 256. */
  maxMessages?: number
}

/**
 * A logger that writes at most `linesPerSecond` lines per message (the text before the
 * fields, e.g. "delivered"), so a flood of events cannot fill the disk through the log
 * (DESIGN §14). Lines over the rate are counted, and the next line written for that message
 * carries `suppressed: n`. `now` is milliseconds (the injected clock's).
 */
export function rateLimitedLogger(inner: Logger, now: () => number, limit: RateLimit = {}): Logger {
  const rate = limit.linesPerSecond ?? 10
  const burst = limit.burst ?? 20
  const maxMessages = limit.maxMessages ?? 256
  const buckets = new Map<string, { tokens: number; at: number; suppressed: number }>()
  const gate = (message: string): number | undefined => {
    const t = now()
    let b = buckets.get(message)
    if (b === undefined) {
      b = { tokens: burst, at: t, suppressed: 0 }
      if (buckets.size >= maxMessages) buckets.delete(buckets.keys().next().value as string)
    } else {
      buckets.delete(message)
      b.tokens = Math.min(burst, b.tokens + (Math.max(0, t - b.at) / 1000) * rate)
      b.at = t
    }
    buckets.set(message, b)
    if (b.tokens < 1) {
      b.suppressed++
      return undefined
    }
    b.tokens -= 1
    const suppressed = b.suppressed
    b.suppressed = 0
    return suppressed
  }
  const emit = (write: (message: string, fields?: Record<string, unknown>) => void) => (message: string, fields?: Record<string, unknown>) => {
    const suppressed = gate(message)
    if (suppressed === undefined) return
    write(message, suppressed === 0 ? fields : { ...fields, suppressed })
  }
  return {
    debug: emit((m, f) => inner.debug(m, f)),
    info: emit((m, f) => inner.info(m, f)),
    warn: emit((m, f) => inner.warn(m, f)),
    error: emit((m, f) => inner.error(m, f)),
    child: (sub) => rateLimitedLogger(inner.child(sub), now, limit)
  }
}
