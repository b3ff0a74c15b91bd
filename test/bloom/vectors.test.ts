/**
 * The published test vectors (docs/bloom.md §6). They live in vectors.json; this test
 * checks the implementation against them and that the doc prints every one verbatim.
 * They were cross-checked against an independent implementation written from the doc
 * (the Python in docs/bloom.md §7).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { BloomFilter, LANE2_SEED_XOR, LANE3_XOR, bloomIndexes, fmix32 } from '../../src/bloom/index.js'
import { fromHex, toHex } from './helpers.js'

interface Vectors {
  ids: { input: string; id: string }[]
  lanes: { id: number; salt: number; words: string[]; a: string; b: string; c: string }[]
  vectors: { name: string; salt: number; bytes: number; m: number; k: number; ids: string[]; indexes: number[][]; bits: string }[]
}

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors.json'), 'utf8')) as Vectors
const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'bloom.md'), 'utf8')
const hex32 = (x: number) => (x >>> 0).toString(16).padStart(8, '0')

describe('bloom test vectors', () => {
  it('ids are SHA-256 of "bloomwalk/test/<i>"', () => {
    for (const { input, id } of vectors.ids) expect(toHex(sha256(new TextEncoder().encode(input)))).toBe(id)
  })

  it('lane values follow the documented mixing', () => {
    for (const v of vectors.lanes) {
      const id = fromHex(vectors.ids[v.id]!.id)
      const w = [0, 1, 2, 3].map((i) => new DataView(id.buffer, id.byteOffset).getUint32(4 * i, true))
      expect(w.map(hex32)).toEqual(v.words)
      let a = v.salt
      for (const x of w) a = fmix32((a ^ x) >>> 0)
      let b = (v.salt ^ LANE2_SEED_XOR) >>> 0
      for (const x of [...w].reverse()) b = fmix32((b ^ x) >>> 0)
      const c = fmix32((a ^ b ^ LANE3_XOR) >>> 0)
      expect([hex32(a), hex32(b), hex32(c)]).toEqual([v.a, v.b, v.c])
    }
  })

  for (const v of vectors.vectors) {
    it(`vector "${v.name}": salt ${hex32(v.salt)}, m ${v.m}, k ${v.k}, ${v.ids.length} ids`, () => {
      expect(v.m).toBe(8 * v.bytes)
      const f = new BloomFilter(v.bytes, v.k, v.salt)
      v.ids.forEach((hex, i) => {
        const id = fromHex(hex)
        expect(hex).toBe(vectors.ids[i]!.id)
        expect(bloomIndexes(id, v.m, v.k, v.salt)).toEqual(v.indexes[i])
        f.add(id)
      })
      expect(toHex(f.bits)).toBe(v.bits)
      // Decoded from the wire, the vector answers "present" for every id.
      const received = BloomFilter.fromWire({ bits: fromHex(v.bits), k: v.k, salt: v.salt })
      for (const hex of v.ids) expect(received.has(fromHex(hex))).toBe(true)
    })
  }

  it('docs/bloom.md prints every vector, id and lane value verbatim', () => {
    for (const { id } of vectors.ids) expect(doc).toContain(id)
    for (const v of vectors.lanes) for (const s of [...v.words, v.a, v.b, v.c]) expect(doc).toContain(s)
    for (const v of vectors.vectors) {
      expect(doc).toContain(v.bits)
      expect(doc).toContain(`salt = 0x${hex32(v.salt)}, bytes = ${v.bytes} (m = ${v.m}), k = ${v.k}, ids 0..${v.ids.length - 1}`)
      for (const idx of v.indexes) expect(doc).toContain(`[${idx.join(', ')}]`)
    }
  })
})
