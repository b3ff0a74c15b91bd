/**
 * Progress on stderr: one line redrawn in place (`\r`) when stderr is a terminal, otherwise
 * a plain line every few seconds (logs stay readable).
 */
import type { ErrorStream } from './command.js'

/** Redraws on a terminal this often, ms. */
const TTY_MS = 200
/** Writes a plain line this often when stderr is not a terminal, ms. */
const PLAIN_MS = 5000
const BAR = 30

export interface Progress {
  /** Runs `print` (a write to stdout) with the bar's line cleared first on a terminal, so output never lands on the bar. */
  above(print: () => void): void
  /** Stops updating; on a terminal, ends the line. */
  stop(): void
}

/** Shows `status()` (a fraction in [0, 1] and a text) until `stop()`. */
export function showProgress(err: ErrorStream, status: () => { fraction: number; text: string }): Progress {
  const tty = err.isTTY === true
  let lastLength = 0
  const draw = (): void => {
    const { fraction, text } = status()
    if (!tty) {
      err.write(`${(fraction * 100).toFixed(1)}% ${text}\n`)
      return
    }
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR)
    const line = `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}% ${text}`
    err.write(`\r${line}${' '.repeat(Math.max(0, lastLength - line.length))}`)
    lastLength = line.length
  }
  const handle = setInterval(draw, tty ? TTY_MS : PLAIN_MS)
  let stopped = false
  return {
    above(print) {
      if (tty && lastLength > 0) {
        err.write(`\r${' '.repeat(lastLength)}\r`)
        lastLength = 0
      }
      print()
      if (tty && !stopped) draw()
    },
    stop() {
      if (stopped) return
      stopped = true
      clearInterval(handle)
      if (tty) {
        draw()
        err.write('\n')
      }
    }
  }
}
