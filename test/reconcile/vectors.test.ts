/**
 * The published test vectors (docs/reconcile.md §8). They live in vectors.json; this test
 * checks them against the implementation and against an independent reference written from
 * the doc (noble's SHA-256 and bigint arithmetic), and that the doc prints each verbatim.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { ITEM_HASH_TAG, Sketch, firstIndices, itemHash, splitHash, symbolsResponseSize } from '../../src/reconcile/index.js'
import { decodePacket, encodePacket } from '../../src/wire/index.js'
import { fromHex, referenceIndices, toHex } from './helpers.js'

interface Vectors {
  tag: string
  items: { input: string | null; id: string; hash: string; indices: number[] }[]
  sketch: { length: number; ids: number[]; symbols: { idXor: string; hashXor: string; count: number }[] }
  datagram: { overlay: string; from: number; count: number; hex: string }
}

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors.json'), 'utf8')) as Vectors
const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'reconcile.md'), 'utf8')
const enc = new TextEncoder()

function referenceHash(id: Uint8Array): bigint {
  const digest = sha256(new Uint8Array([...enc.encode(vectors.tag), ...id]))
  return new DataView(digest.buffer).getBigUint64(0, false)
}

describe('reconcile test vectors', () => {
  it('use the implementation\'s tag', () => {
    expect(vectors.tag).toBe(ITEM_HASH_TAG)
  })

  for (const v of vectors.items) {
    it(`id ${v.id.slice(0, 16)}…: hash ${v.hash}, indices ${v.indices.join(' ')}`, () => {
      if (v.input !== null) expect(toHex(sha256(enc.encode(v.input)))).toBe(v.id)
      const id = fromHex(v.id)
      const hash = BigInt(`0x${v.hash}`)
      expect(itemHash(id)).toBe(hash)
      expect(referenceHash(id)).toBe(hash)
      expect(firstIndices(...splitHash(hash), 10)).toEqual(v.indices)
      expect(referenceIndices(hash, 10)).toEqual(v.indices)
    })
  }

  it(`sketch of ids ${vectors.sketch.ids.join(', ')} with L = ${vectors.sketch.length}`, () => {
    const ids = vectors.sketch.ids.map((i) => fromHex(vectors.items[i]!.id))
    const got = Sketch.from(ids, { length: vectors.sketch.length }).symbols(0, vectors.sketch.length)
    expect(got.map((s) => ({ idXor: toHex(s.idXor), hashXor: s.hashXor.toString(16).padStart(16, '0'), count: s.count }))).toEqual(vectors.sketch.symbols)
  })

  it('the symbols-response datagram of that sketch encodes byte for byte and decodes back', () => {
    const { overlay, from, count, hex } = vectors.datagram
    const sketch = Sketch.from(vectors.sketch.ids.map((i) => fromHex(vectors.items[i]!.id)), { length: vectors.sketch.length })
    const symbols = sketch.symbols(from, count)
    const bytes = encodePacket(fromHex(overlay), { type: 'symbols-response', from, symbols })
    expect(toHex(bytes)).toBe(hex)
    expect(symbolsResponseSize(from, symbols)).toBe(bytes.length)
    expect(decodePacket(bytes)?.packet).toEqual({ type: 'symbols-response', from, symbols })
  })

  it('docs/reconcile.md prints every vector verbatim', () => {
    expect(doc.replace(/\s+/g, '')).toContain(vectors.datagram.hex)
    for (const v of vectors.items) expect(doc).toContain(`| \`${v.id}\` | \`${v.hash}\` | ${v.indices.join(' ')} |`)
    vectors.sketch.symbols.forEach((s, i) => expect(doc).toContain(`| ${i} | \`${s.idXor}\` | \`${s.hashXor}\` | ${s.count} |`))
  })
})
