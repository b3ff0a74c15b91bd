/** The progress bar: output printed through `above` never lands on the bar's line. */
import { describe, expect, it } from 'vitest'
import { showProgress } from '../../src/cli/progress.js'

describe('showProgress', () => {
  it('on a terminal, clears the bar before printing and redraws it after', () => {
    const writes: string[] = []
    const err = { write: (t: string) => (writes.push(t), true), isTTY: true }
    const progress = showProgress(err, () => ({ fraction: 0.5, text: 'cell 1/2' }))
    progress.above(() => writes.push('RESULT\n'))
    progress.stop()
    // Nothing drawn yet: printed as is, then the bar is drawn on a line of its own.
    expect(writes[0]).toBe('RESULT\n')
    expect(writes[1]).toMatch(/^\r\[#+-+\]  50\.0% cell 1\/2$/)
  })

  it('a drawn bar is erased (\\r, spaces, \\r) before the result, which then starts its own line', () => {
    const writes: string[] = []
    const err = { write: (t: string) => (writes.push(t), true), isTTY: true }
    const progress = showProgress(err, () => ({ fraction: 0.25, text: 'x' }))
    progress.above(() => undefined) // draws the bar
    const drawn = writes.at(-1)!
    writes.length = 0
    progress.above(() => writes.push('RESULT\n'))
    progress.stop()
    expect(writes[0]).toBe(`\r${' '.repeat(drawn.length - 1)}\r`)
    expect(writes[1]).toBe('RESULT\n')
  })

  it('not on a terminal, prints the result alone', () => {
    const writes: string[] = []
    const progress = showProgress({ write: (t: string) => (writes.push(t), true), isTTY: false }, () => ({ fraction: 0, text: '' }))
    progress.above(() => writes.push('RESULT\n'))
    progress.stop()
    expect(writes).toEqual(['RESULT\n'])
  })
})
