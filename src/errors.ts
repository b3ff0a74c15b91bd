/**
 * Every exception bloomwalk throws on purpose is a {@link BloomwalkError} with a stable
 * `code`. Codes are part of the public API (listed in the README); messages are not.
 * Inbound packets never throw: they are dropped and counted by a drop reason instead.
 */

/** Stable error codes. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'BUNDLE_MALFORMED'
  | 'BUNDLE_TOO_LARGE'
  | 'BUNDLE_TOO_MANY_PARENTS'
  | 'BUNDLE_BAD_ID'
  | 'BUNDLE_BAD_SIGNATURE'
  | 'BUNDLE_WRONG_OVERLAY'
  | 'BUNDLE_BAD_GLOBAL_TIME'
  | 'BUNDLE_EXPIRED'
  | 'BUNDLE_REFUSED_BY_POLICY'
  | 'STORE_NOT_OPEN'
  | 'STORE_CORRUPT'
  | 'STORE_IO_ERROR'
  | 'ABORTED'

/** The one error class of the engine. */
export class BloomwalkError extends Error {
  override name = 'BloomwalkError'
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** True when `err` is a {@link BloomwalkError} with the given code. */
export function isBloomwalkError(err: unknown, code?: ErrorCode): err is BloomwalkError {
  return err instanceof BloomwalkError && (code === undefined || err.code === code)
}
