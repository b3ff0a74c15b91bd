/** The log cannot be flooded (issue 20): each message is rate-limited, skipped lines are counted. */
import { describe, expect, it } from 'vitest'
import { createLogger, rateLimitedLogger } from '../../src/env/logger.js'

function capture(): { lines: { message: string; fields?: Record<string, unknown> }[]; now: number; log: ReturnType<typeof rateLimitedLogger> } {
  const state = { lines: [] as { message: string; fields?: Record<string, unknown> }[], now: 0, log: undefined as unknown as ReturnType<typeof rateLimitedLogger> }
  const inner = createLogger('t', { level: 'debug', sink: (_l, _n, message, fields) => state.lines.push({ message, fields }) })
  state.log = rateLimitedLogger(inner, () => state.now, { linesPerSecond: 10, burst: 20, maxMessages: 4 })
  return state
}

describe('rateLimitedLogger', () => {
  it('writes burst + rate × seconds lines of one message, then says how many it skipped', () => {
    const c = capture()
    for (let ms = 0; ms < 10_000; ms += 1) {
      c.now = ms
      c.log.info('delivered', { i: ms })
    }
    expect(c.lines.length).toBeLessThanOrEqual(20 + 10 * 10)
    expect(c.lines.length).toBeGreaterThanOrEqual(20 + 10 * 9)
    const skipped = c.lines.reduce((n, l) => n + ((l.fields?.['suppressed'] as number | undefined) ?? 0), 0)
    // Every line is either written or counted in a later line's `suppressed` (bar the tail still pending).
    expect(c.lines.length + skipped).toBeGreaterThan(10_000 - 200)
    expect(c.lines.length + skipped).toBeLessThanOrEqual(10_000)
  })

  it('limits each message on its own, and remembers at most maxMessages of them', () => {
    const c = capture()
    for (let i = 0; i < 100; i++) c.log.info('delivered')
    c.log.warn('handler error')
    expect(c.lines.filter((l) => l.message === 'handler error')).toHaveLength(1)
    expect(c.lines.filter((l) => l.message === 'delivered')).toHaveLength(20)
    // 1 000 distinct messages: each gets its burst, and 'delivered' (least recently used) is
    // forgotten from the 4-message table, so it starts again with a full burst.
    for (let i = 0; i < 1000; i++) c.log.debug(`m${i}`)
    expect(c.lines).toHaveLength(21 + 1000)
    for (let i = 0; i < 100; i++) c.log.info('delivered')
    expect(c.lines.filter((l) => l.message === 'delivered')).toHaveLength(40)
  })
})
