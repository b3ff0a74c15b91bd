import { describe, expect, it } from 'vitest'
import { runBloom } from '../../src/cli/bloom.js'
import { UsageError } from '../../src/cli/args.js'
import { offerSize } from '../../src/sync/capacity.js'
import { bloomFalsePositiveRate } from '../../src/bloom/index.js'

function run(args: string[]): string[] {
  const lines: string[] = []
  runBloom(args, (l) => lines.push(l))
  return lines
}

describe('bloomwalk bloom', () => {
  it('prints filter bytes, k and capacity for a budget and rate', () => {
    const s = offerSize(1200, 0.01, 'ipv4')
    expect(run([])[0]).toBe(`budget 1200 B (ipv4): filter ${s.bloomBytes} bytes (${s.bloomBytes * 8} bits), k ${s.k}, capacity ${s.capacity} ids at false-positive rate 0.01`)
  })

  it('--json prints one object; --items adds the rate at that many ids', () => {
    const [line] = run(['--budget', '1472', '--fpr', '0.05', '--items', '2000', '--family', 'ipv6', '--json'])
    const o = JSON.parse(line!) as Record<string, number>
    const s = offerSize(1472, 0.05, 'ipv6')
    expect(o).toMatchObject({ budget: 1472, family: 'ipv6', fpr: 0.05, filterBytes: s.bloomBytes, k: s.k, capacity: s.capacity, items: 2000 })
    expect(o['fprAtItems']).toBeCloseTo(bloomFalsePositiveRate(s.bloomBytes, s.k, 2000), 12)
  })

  it('rejects bad values with a usage error naming the option', () => {
    expect(() => run(['--budget', '575'])).toThrow(UsageError)
    expect(() => run(['--budget', 'big'])).toThrow(/--budget must be a number/)
    expect(() => run(['--fpr', '1'])).toThrow(/--fpr/)
    expect(() => run(['--family', 'ipx'])).toThrow(/--family/)
    expect(() => run(['--items', '-1'])).toThrow(/--items/)
  })
})
