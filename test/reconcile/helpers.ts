/** Shared helpers for the reconcile tests: deterministic ids, two-sided sets, a bigint reference. */
import type { Rng } from '../../src/env/rng.js'
import { Decoder, type DecodeFailure, Sketch } from '../../src/reconcile/index.js'

/** `count` random 32-byte ids (views into one buffer). */
export function randomIds(rng: Rng, count: number): Uint8Array[] {
  const words = new Uint32Array(count * 8)
  for (let i = 0; i < words.length; i++) words[i] = rng.u32()
  const bytes = new Uint8Array(words.buffer)
  return Array.from({ length: count }, (_, i) => bytes.subarray(32 * i, 32 * i + 32))
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** A shared set plus ids only the peer has and ids only we have, with both sketches. */
export interface TwoSides {
  ours: Sketch
  theirs: Sketch
  onlyTheirs: Uint8Array[]
  onlyOurs: Uint8Array[]
}

/** Builds both sides: `shared` ids in both, `weLack` only in theirs, `theyLack` only in ours. */
export function twoSides(rng: Rng, shared: number, weLack: number, theyLack: number, length?: number): TwoSides {
  const base = Sketch.from(randomIds(rng, shared), length === undefined ? {} : { length })
  const onlyTheirs = randomIds(rng, weLack)
  const onlyOurs = randomIds(rng, theyLack)
  const ours = base.clone()
  const theirs = base
  for (const id of onlyOurs) ours.add(id)
  for (const id of onlyTheirs) theirs.add(id)
  return { ours, theirs, onlyTheirs, onlyOurs }
}

/** What a whole session produced. */
export interface Session {
  weLack: Uint8Array[]
  theyLack: Uint8Array[]
  done: boolean
  failure: DecodeFailure | null
  /** Symbols consumed when decoding finished (or stopped). */
  symbols: number
  /** Largest number of ids one decode() call returned. */
  maxPerRound: number
}

/**
 * Runs a session the way a node would: ask `batch` symbols at a time, decode after each
 * response, drain `more`, stop on done or failure.
 */
export function runSession(ours: Sketch, theirs: Sketch, batch = 1, options: { limit?: number; maxIdsPerRound?: number } = {}): Session {
  const decoder = new Decoder(ours, options)
  const out: Session = { weLack: [], theyLack: [], done: false, failure: null, symbols: 0, maxPerRound: 0 }
  for (;;) {
    const request = decoder.nextRequest(batch)
    if (request === null) break
    const result = decoder.addSymbols(request.from, theirs.symbols(request.from, request.count))
    if (result !== 'added') throw new Error(`addSymbols: ${result}`)
    for (;;) {
      const r = decoder.decode()
      out.weLack.push(...r.weLack)
      out.theyLack.push(...r.theyLack)
      out.maxPerRound = Math.max(out.maxPerRound, r.weLack.length + r.theyLack.length)
      out.done = r.done
      out.failure = r.failure
      if (!r.more) break
    }
    if (out.done || out.failure !== null) break
  }
  out.symbols = decoder.received
  return out
}

export function sortedHex(ids: readonly Uint8Array[]): string[] {
  return ids.map(toHex).sort()
}

const MASK64 = (1n << 64n) - 1n

/** The mapping of docs/reconcile.md §3 in bigint arithmetic (an independent reference). */
export function referenceIndices(hash: bigint, count: number): number[] {
  const out = [0]
  let s = hash
  let i = 0
  while (out.length < count) {
    s = (s * 0xda942042e4dd58b5n) & MASK64
    const r = Number(s) // round to nearest, ties to even
    const g = Math.ceil((i + 1.5) * (4294967296 / Math.sqrt(r + 1) - 1))
    i += Math.max(g, 1)
    out.push(i)
  }
  return out
}
