/**
 * Rateless reconciliation (src/reconcile, DESIGN §11): sketch add throughput, building the
 * sketch of N = 10^6 ids, one catch-up session with D = 1 000 differences (500 each way)
 * against N = 10^6 shared ids, per side, and the symbols a session needs for D = 100 and
 * 1 000. Requests ask for as many symbols as a 1 200-byte datagram carries.
 *
 *   npm run build && node dist/bench/run.js --only reconcile
 */
import { SeededRng } from '../src/env/rng.js'
import { Decoder, Sketch, symbolsPerDatagram } from '../src/reconcile/index.js'
import type { CodedSymbol, SymbolsResponse } from '../src/wire/index.js'
import { decodePacket, encodePacket } from '../src/wire/index.js'
import type { BenchGroup } from './harness.js'

const N = 1_000_000
const D = 1000
const LENGTH = 1 << 14
const PER_DATAGRAM = symbolsPerDatagram(1200) // 22
const ADD_BATCH = 10_000

/** `count` random 32-byte ids as views into one buffer. */
function ids(rng: SeededRng, count: number): Uint8Array[] {
  const words = new Uint32Array(count * 8)
  for (let i = 0; i < words.length; i++) words[i] = rng.u32()
  const bytes = new Uint8Array(words.buffer)
  return Array.from({ length: count }, (_, i) => bytes.subarray(32 * i, 32 * i + 32))
}

/** User + system CPU time of this process, milliseconds. */
function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Median CPU milliseconds of `runs` calls of `fn`. */
function medianCpuMs(fn: () => unknown, runs = 11): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs()
    fn()
    times.push(cpuMs() - c0)
  }
  return times.sort((a, b) => a - b)[runs >> 1]!
}

/** Requester side: snapshot our sketch, consume `responses` in order, peel until done. */
function requester(ours: Sketch, responses: readonly { from: number; symbols: readonly CodedSymbol[] }[]): { found: number; symbols: number } {
  const decoder = new Decoder(ours)
  let found = 0
  for (const r of responses) {
    if (decoder.addSymbols(r.from, r.symbols) !== 'added') throw new Error('bench: symbols rejected')
    for (;;) {
      const result = decoder.decode()
      found += result.weLack.length + result.theyLack.length
      if (result.failure !== null) throw new Error(`bench: decoding failed (${result.failure})`)
      if (result.done) return { found, symbols: decoder.received }
      if (!result.more) break
    }
  }
  throw new Error('bench: not enough symbols')
}

/** Symbols a session between two sketches consumes when it asks for one symbol at a time. */
function symbolsToDecode(ours: Sketch, theirs: Sketch): number {
  const decoder = new Decoder(ours)
  for (let i = 0; ; i++) {
    decoder.addSymbols(i, theirs.symbols(i, 1))
    let r = decoder.decode()
    while (r.more) r = decoder.decode()
    if (r.done) return decoder.received
    if (r.failure !== null) throw new Error(`bench: ${r.failure}`)
  }
}

/** Mean symbols a session needs for `d` differences (half each way). */
function symbolsNeeded(rng: SeededRng, d: number, trials: number): number {
  let total = 0
  for (let t = 0; t < trials; t++) {
    total += symbolsToDecode(Sketch.from(ids(rng, d / 2), { length: LENGTH }), Sketch.from(ids(rng, d - d / 2), { length: LENGTH }))
  }
  return total / trials
}

export default function reconcileBench(): BenchGroup {
  const rng = new SeededRng(0x21b17)
  let shared: Uint8Array[] = []
  let ours = new Sketch({ length: LENGTH })
  let theirs = new Sketch({ length: LENGTH })
  let buildMs = 0
  let buildCpuMs = 0
  let needed = 0
  let responses: SymbolsResponse[] = []
  let datagrams: Uint8Array[] = []
  const overlay = new Uint8Array(32).fill(7)
  const addTarget = new Sketch({ length: LENGTH })
  const addIds = ids(new SeededRng(1), ADD_BATCH)

  return {
    group: 'reconcile',
    async setup() {
      shared = ids(rng, N)
      const t0 = performance.now()
      const c0 = cpuMs()
      theirs = Sketch.from(shared, { length: LENGTH })
      buildMs = performance.now() - t0
      buildCpuMs = cpuMs() - c0
      ours = theirs.clone()
      for (const id of ids(rng, D / 2)) ours.add(id)
      for (const id of ids(rng, D / 2)) theirs.add(id)
      // How many symbols this session needs, then the responses a requester would get.
      needed = symbolsToDecode(ours, theirs)
      const rounds = Math.ceil(needed / PER_DATAGRAM)
      responses = Array.from({ length: rounds }, (_, k) => ({ type: 'symbols-response', from: k * PER_DATAGRAM, symbols: theirs.symbols(k * PER_DATAGRAM, PER_DATAGRAM) }))
      datagrams = responses.map((r) => encodePacket(overlay, r))
    },
    cases: [
      {
        name: `sketch.add ${ADD_BATCH} ids (L = 2^14)`,
        items: ADD_BATCH,
        fn: () => {
          for (let i = 0; i < addIds.length; i++) addTarget.add(addIds[i]!)
        }
      },
      {
        name: `session D = ${D}, N = 10^6: requester (snapshot, subtract, peel)`,
        fn: () => requester(ours, responses)
      },
      {
        name: `session D = ${D}, N = 10^6: requester incl. decodePacket`,
        fn: () => {
          const decoded = datagrams.map((d) => {
            const p = decodePacket(d)
            if (p === null || p.packet.type !== 'symbols-response') throw new Error('bench: bad datagram')
            return p.packet
          })
          return requester(ours, decoded)
        }
      },
      {
        name: `session D = ${D}, N = 10^6: responder (symbols for every request)`,
        fn: () => {
          let n = 0
          for (let from = 0; from < needed; from += PER_DATAGRAM) n += theirs.symbolsWithin(from, PER_DATAGRAM, 1200).length
          return n
        }
      },
      {
        name: `session D = ${D}, N = 10^6: responder incl. encodePacket`,
        fn: () => {
          let bytes = 0
          for (let from = 0; from < needed; from += PER_DATAGRAM) {
            bytes += encodePacket(overlay, { type: 'symbols-response', from, symbols: theirs.symbolsWithin(from, PER_DATAGRAM, 1200) }).length
          }
          return bytes
        }
      }
    ],
    async figures() {
      const once = requester(ours, responses)
      if (once.found !== D) throw new Error(`bench: found ${once.found} of ${D}`)
      // CPU time (process.cpuUsage), median of 11 runs: wall time on a shared machine is noisy.
      const requesterCpu = medianCpuMs(() => requester(ours, responses))
      const responderCpu = medianCpuMs(() => {
        for (let from = 0; from < needed; from += PER_DATAGRAM) theirs.symbolsWithin(from, PER_DATAGRAM, 1200)
      })
      const sym100 = symbolsNeeded(rng, 100, 40)
      const sym1000 = symbolsNeeded(rng, 1000, 8)
      shared = []
      return {
        'build sketch N = 10^6, L = 2^14 (ms)': buildMs,
        'build throughput (ids/s)': N / (buildMs / 1000),
        'build sketch N = 10^6, CPU (ms)': buildCpuMs,
        'session D = 1000 at N = 10^6, requester CPU, median of 11 (ms)': requesterCpu,
        'session D = 1000 at N = 10^6, responder CPU, median of 11 (ms)': responderCpu,
        'session D = 1000 at N = 10^6: symbols consumed': needed,
        'session D = 1000 at N = 10^6: datagrams of 1200 B': datagrams.length,
        'session D = 1000 at N = 10^6: response bytes': datagrams.reduce((s, d) => s + d.length, 0),
        'symbols per datagram at 1200 B': PER_DATAGRAM,
        'symbols needed, D = 100 (mean of 40)': sym100,
        'symbols needed / D, D = 100': sym100 / 100,
        'symbols needed, D = 1000 (mean of 8)': sym1000,
        'symbols needed / D, D = 1000': sym1000 / 1000
      }
    }
  }
}
