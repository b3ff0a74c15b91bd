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
  idleCheck: { overlay: string; firstWindow: number; request: string; inSync: string }
  fetch: { overlay: string; from: number; count: number; ids: number[]; symbolsRequest: string; bundleRequest: string }
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

  it('the idle check (digest of symbol 0, first window 3), its in-sync answer, and fetches (ids 0 and 1) encode byte for byte and decode back', () => {
    const sketch = Sketch.from(vectors.sketch.ids.map((i) => fromHex(vectors.items[i]!.id)), { length: vectors.sketch.length })
    const s0 = sketch.symbols(0, 1)[0]!
    const overlay = fromHex(vectors.idleCheck.overlay)
    const idle = { type: 'symbols-request' as const, from: 0, count: vectors.idleCheck.firstWindow, digest: { hashXor: s0.hashXor, count: s0.count } }
    expect(toHex(encodePacket(overlay, idle))).toBe(vectors.idleCheck.request)
    expect(decodePacket(fromHex(vectors.idleCheck.request))?.packet).toEqual(idle)
    const inSync = { type: 'symbols-response' as const, from: 0, symbols: [], inSync: true as const }
    expect(toHex(encodePacket(overlay, inSync))).toBe(vectors.idleCheck.inSync)
    expect(decodePacket(fromHex(vectors.idleCheck.inSync))?.packet).toEqual(inSync)
    const ids = vectors.fetch.ids.map((i) => fromHex(vectors.items[i]!.id))
    const withFetch = { type: 'symbols-request' as const, from: vectors.fetch.from, count: vectors.fetch.count, fetch: ids }
    expect(toHex(encodePacket(overlay, withFetch))).toBe(vectors.fetch.symbolsRequest)
    expect(decodePacket(fromHex(vectors.fetch.symbolsRequest))?.packet).toEqual(withFetch)
    expect(toHex(encodePacket(overlay, { type: 'bundle-request', ids }))).toBe(vectors.fetch.bundleRequest)
    expect(decodePacket(fromHex(vectors.fetch.bundleRequest))?.packet).toEqual({ type: 'bundle-request', ids })
  })

  it('docs/reconcile.md prints every vector verbatim', () => {
    const flat = doc.replace(/\s+/g, '')
    for (const hex of [vectors.datagram.hex, vectors.idleCheck.request, vectors.idleCheck.inSync, vectors.fetch.symbolsRequest, vectors.fetch.bundleRequest]) expect(flat).toContain(hex)
    for (const v of vectors.items) expect(doc).toContain(`| \`${v.id}\` | \`${v.hash}\` | ${v.indices.join(' ')} |`)
    vectors.sketch.symbols.forEach((s, i) => expect(doc).toContain(`| ${i} | \`${s.idXor}\` | \`${s.hashXor}\` | ${s.count} |`))
  })
})
