/** Small helpers for parsing command-line values with clear errors. */

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** A decimal number: digits with an optional sign, fraction and exponent (1200, 0.01, 1e-3). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** Parses a number option, checking it is finite and (optionally) an integer within bounds. */
export function numberOption(name: string, raw: string | undefined, fallback: number, check: { integer?: boolean; min?: number; max?: number } = {}): number {
  if (raw === undefined) return fallback
  // Decimal only: Number() would also take "0x10", "0b1" and surrounding spaces.
  if (!DECIMAL.test(raw)) throw new UsageError(`--${name} must be a number, got "${raw}"`)
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${raw}"`)
  if (check.integer === true && !Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got ${raw}`)
  if (check.min !== undefined && value < check.min) throw new UsageError(`--${name} must be ≥ ${check.min}, got ${raw}`)
  if (check.max !== undefined && value > check.max) throw new UsageError(`--${name} must be ≤ ${check.max}, got ${raw}`)
  return value
}

/** Parses one of a fixed set of words. */
export function choiceOption<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`)
  return raw as T
}
