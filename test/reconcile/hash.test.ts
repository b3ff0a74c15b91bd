/** The item hash: SHA-256("bloomwalk/riblt/v1" || id), first 8 bytes, big-endian. */
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isBloomwalkError } from '../../src/errors.js'
import { ITEM_HASH_TAG, itemHash, itemHashHalves, joinHash, splitHash } from '../../src/reconcile/index.js'

function reference(id: Uint8Array): bigint {
  const tag = new TextEncoder().encode(ITEM_HASH_TAG)
  const msg = new Uint8Array(tag.length + id.length)
  msg.set(tag)
  msg.set(id, tag.length)
  return new DataView(sha256(msg).buffer).getBigUint64(0, false)
}

describe('item hash', () => {
  it('the tag is 18 bytes, so tag || id is one SHA-256 block', () => {
    expect(new TextEncoder().encode(ITEM_HASH_TAG).length).toBe(18)
  })

  it('equals the first 8 bytes of SHA-256(tag || id) for fixed ids', () => {
    for (const fill of [0x00, 0xff, 0x80, 0x01]) {
      const id = new Uint8Array(32).fill(fill)
      expect(itemHash(id)).toBe(reference(id))
    }
  })

  it('equals the reference for random ids (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (id) => itemHash(id) === reference(id)),
      { numRuns: 2000, seed: 0x5eed }
    )
  })

  it('reads ids at a byte offset inside a larger buffer', () => {
    const buf = new Uint8Array(100).map((_, i) => (i * 37) & 0xff)
    const view = buf.subarray(7, 39)
    expect(itemHash(view)).toBe(reference(view.slice()))
  })

  it('halves and bigint agree; split and join are inverse', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (id) => {
        const [hi, lo] = itemHashHalves(id)
        return joinHash(hi, lo) === itemHash(id)
      }),
      { numRuns: 200, seed: 1 }
    )
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (h) => joinHash(...splitHash(h)) === h), { numRuns: 500, seed: 2 })
  })

  it('rejects ids that are not 32 bytes', () => {
    for (const bad of [new Uint8Array(31), new Uint8Array(33), [1, 2, 3] as unknown as Uint8Array]) {
      expect(() => itemHash(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
      try {
        itemHash(bad)
      } catch (err) {
        expect(isBloomwalkError(err, 'INVALID_ARGUMENT')).toBe(true)
      }
    }
  })
})
