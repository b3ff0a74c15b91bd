/** Shared helpers of the store tests: collecting scans, expected key order, fixtures. */
import { expect } from 'vitest'
import { roomId, type Bundle } from '../../src/bundle/index.js'
import { isBloomwalkError, type ErrorCode } from '../../src/errors.js'
import type { RangeQuery } from '../../src/store/index.js'
import { hex, makeBundles, type MakeBundlesOptions } from '../helpers/bundles.js'

/** All bundles of an iterable. */
export async function collect(iterable: AsyncIterable<Bundle>): Promise<Bundle[]> {
  const out: Bundle[] = []
  for await (const b of iterable) out.push(b)
  return out
}

/** Ids (hex) in exact key order: (global time, id) ascending, or both descending. */
export function keyOrder(bundles: readonly Bundle[], order: 'asc' | 'desc' = 'asc'): string[] {
  const sorted = [...bundles].sort((a, b) => a.globalTime - b.globalTime || (hex(a.id) < hex(b.id) ? -1 : hex(a.id) > hex(b.id) ? 1 : 0))
  if (order === 'desc') sorted.reverse()
  return sorted.map((b) => hex(b.id))
}

/** What a range query must yield, by brute force over all bundles (exact BigInt arithmetic). */
export function bruteForce(all: readonly Bundle[], q: RangeQuery): string[] {
  const modulo = q.modulo ?? 1
  const offset = q.offset ?? 0
  const hits = all.filter((b) => hex(b.overlay) === hex(q.overlay) && b.globalTime >= q.from && b.globalTime <= q.to && (BigInt(b.globalTime) + BigInt(offset)) % BigInt(modulo) === 0n)
  return keyOrder(hits, q.order).slice(0, q.limit ?? Infinity)
}

export const ids = (bundles: readonly Bundle[]) => bundles.map((b) => hex(b.id))

export async function expectCode(run: () => unknown, code: ErrorCode): Promise<void> {
  let caught: unknown
  try {
    await run()
  } catch (err) {
    caught = err
  }
  expect(isBloomwalkError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true)
}

// Signed fixtures are slow to make (~1 ms each): memoized, never mutated.
const fixtures = new Map<string, Bundle[]>()
export function fixture(n: number, options: MakeBundlesOptions & { name: string }): Bundle[] {
  const key = `${n}/${options.name}/${options.seed ?? 7}/${options.maxGlobalTime ?? 0}`
  let out = fixtures.get(key)
  if (out === undefined) {
    out = makeBundles(n, { ...options, overlay: roomId(options.name) })
    fixtures.set(key, out)
  }
  return out
}

