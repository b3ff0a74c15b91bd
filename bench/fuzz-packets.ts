/**
 * Hostile datagrams for the node fuzzer (bench/fuzz.ts): structure-aware packets of EVERY
 * packet type with adversarial field values (edge global times, oversized filters, our own
 * address, echoed identifiers, forged and foreign bundles), and byte-level mutations of
 * their encodings (bit flips, truncation, splices, length-prefix tweaks, duplication,
 * insertion and deletion, noise). Deterministic for a given {@link Rng}.
 */
import { decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD, signBundle, type Bundle, type KeyPair } from '../src/bundle/index.js'
import { int, type Rng } from '../src/env/rng.js'
import { encodePacket, formatIp, type Address, type Packet, type PacketType, type SyncOffer } from '../src/wire/index.js'

/** Every packet type of the wire; the fuzzer cycles through all of them. */
export const PACKET_TYPES: readonly PacketType[] = [
  'introduction-request',
  'introduction-response',
  'puncture-request',
  'puncture',
  'bundles',
  'mvds',
  'symbols-request',
  'symbols-response',
  'bundle-request'
]

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const EDGE_TIMES = [0, 1, 2, 9_999, 10_000, 10_001, 2 ** 31, 2 ** 32, 2 ** 32 + 1, MAX_SAFE - 1, MAX_SAFE]

/** What the generator knows about its target. */
export interface FuzzTarget {
  overlay: Uint8Array
  /** The victim's own address (self-introduction, self-puncture). */
  victim: Address
  /** Addresses the attacker controls; used as claimed LAN/WAN and walker addresses. */
  sources: readonly Address[]
  /** Identifiers the attacker observed in the victim's requests (echoed to reach accept paths). */
  identifiers: number[]
  /** Real bundles of the overlay and hostile variants (see {@link bundlePool}). */
  pool: readonly Bundle[]
}

/** Valid, forged, foreign, absurd-time and expired bundles (signing happens once, here). */
export function bundlePool(overlay: Uint8Array, authors: readonly KeyPair[], rng: Rng, size = 48): Bundle[] {
  const out: Bundle[] = []
  const foreign = new Uint8Array(32).fill(0xee)
  for (let i = 0; i < size; i++) {
    const author = authors[i % authors.length]!
    const body = rng.bytes([0, 8, 200, 900][i % 4]!)
    const kind = i % 5
    const draft =
      kind === 0
        ? { overlay, globalTime: MAX_SAFE - int(rng, 3), kind: 1, body } // absurd global time
        : kind === 1
          ? { overlay: foreign, globalTime: 1 + int(rng, 1000), kind: 1, body } // another overlay
          : kind === 2
            ? { overlay, globalTime: 1 + i, kind: 1, body, expiresAt: 2 + i } // expired once the clock passes it
            : { overlay, globalTime: 1 + int(rng, 5000), kind: 1 + int(rng, 3), body, parents: int(rng, 2) === 0 ? [] : [rng.bytes(32)] }
    const bundle = signBundle(draft, author)
    out.push(bundle)
    // A forgery: the same canonical bytes (so the same id) under a corrupted signature.
    const forged = Uint8Array.from(bundle.bytes)
    forged[forged.length - 1 - int(rng, 64)]! ^= 1 << int(rng, 8)
    const f = decodeBundle(forged, { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD })
    if (f !== null) out.push(f)
  }
  return out
}

function pickOf<T>(rng: Rng, items: readonly T[]): T {
  return items[int(rng, items.length)]!
}

function randomAddress(rng: Rng, t: FuzzTarget): Address {
  switch (int(rng, 6)) {
    case 0:
      return { host: formatIp(rng.bytes(4))!, port: 1 + int(rng, 65535) }
    case 1:
      return { host: formatIp(rng.bytes(16))!, port: 1 + int(rng, 65535) }
    case 2:
      return t.victim
    case 3:
      return pickOf(rng, [{ host: '0.0.0.0', port: 1 }, { host: '127.0.0.1', port: 65535 }, { host: '255.255.255.255', port: 9 }, { host: '::', port: 1 }, { host: '::ffff:10.0.0.1', port: 7 }])
    default:
      return pickOf(rng, t.sources)
  }
}

function time(rng: Rng): number {
  return int(rng, 3) === 0 ? pickOf(rng, EDGE_TIMES) : int(rng, 2) === 0 ? int(rng, 20_000) : Math.floor(rng.u32() * 2 ** 21 + rng.u32()) % MAX_SAFE
}

function identifier(rng: Rng, t: FuzzTarget): number {
  return t.identifiers.length > 0 && int(rng, 2) === 0 ? pickOf(rng, t.identifiers) : rng.u32()
}

function offer(rng: Rng): SyncOffer {
  const modulo = pickOf(rng, [1, 1, 2, 7, 1 + int(rng, 1000), 0xffffffff])
  const a = time(rng)
  const b = time(rng)
  const bits = pickOf(rng, [1, 8, 100, 1024, 1100, 1 + int(rng, 1400)])
  const fill = pickOf(rng, [0, 0xff, -1])
  const bloom = { bits: fill < 0 ? rng.bytes(bits) : new Uint8Array(bits).fill(fill), k: pickOf(rng, [1, 7, 32, 1 + int(rng, 32)]), salt: rng.u32() }
  return { timeLow: Math.min(a, b), timeHigh: int(rng, 2) === 0 ? 0 : Math.max(a, b), modulo, offset: int(rng, Math.min(modulo, 2 ** 31)), bloom }
}

/** One packet of `type` with adversarial but encodable field values. */
export function hostilePacket(rng: Rng, t: FuzzTarget, type: PacketType): Packet {
  const addr = () => randomAddress(rng, t)
  const conn = pickOf(rng, ['unknown', 'public', 'symmetric-NAT'] as const)
  const token = int(rng, 3) === 0 ? rng.bytes(pickOf(rng, [1, 16, 32])) : undefined
  switch (type) {
    case 'introduction-request':
      return { type, destination: addr(), sourceLan: addr(), sourceWan: addr(), advice: int(rng, 4) !== 0, connectionType: conn, identifier: identifier(rng, t), globalTime: time(rng), sync: int(rng, 3) === 0 ? undefined : offer(rng), token }
    case 'introduction-response':
      return {
        type,
        destination: addr(),
        sourceLan: addr(),
        sourceWan: addr(),
        introduced: int(rng, 2) === 0 ? undefined : { lan: addr(), wan: addr() },
        connectionType: conn,
        identifier: identifier(rng, t),
        globalTime: time(rng),
        token
      }
    case 'puncture-request':
      return { type, walkerLan: addr(), walkerWan: addr(), identifier: identifier(rng, t) }
    case 'puncture':
      return { type, sourceLan: addr(), sourceWan: addr(), identifier: identifier(rng, t) }
    case 'bundles': {
      const n = 1 + int(rng, int(rng, 4) === 0 ? 64 : 4)
      return { type, bundles: Array.from({ length: n }, () => pickOf(rng, t.pool)) }
    }
    case 'mvds': {
      const ids = () => Array.from({ length: int(rng, 6) }, () => (int(rng, 2) === 0 ? pickOf(rng, t.pool).id : rng.bytes(32)))
      const messages = Array.from({ length: int(rng, 3) }, () => ({ groupId: int(rng, 2) === 0 ? t.overlay : rng.bytes(32), timestamp: time(rng) * (int(rng, 2) === 0 ? -1 : 1), body: rng.bytes(int(rng, 300)) }))
      return { type, payload: { acks: ids(), offers: ids(), requests: ids(), messages } }
    }
    case 'symbols-request':
      return { type, from: time(rng), count: pickOf(rng, [1, 64, 0xffffffff, 1 + int(rng, 1000)]) }
    case 'symbols-response':
      return {
        type,
        from: time(rng),
        symbols: Array.from({ length: int(rng, 20) }, () => ({ idXor: rng.bytes(32), hashXor: (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()), count: pickOf(rng, [0, 1, -1, MAX_SAFE, -MAX_SAFE, int(rng, 100)]) }))
      }
    case 'bundle-request':
      return { type, ids: Array.from({ length: 1 + int(rng, 32) }, () => (int(rng, 2) === 0 ? pickOf(rng, t.pool).id : rng.bytes(32))) }
    case 'push': {
      const n = 1 + int(rng, int(rng, 4) === 0 ? 8 : 2)
      return { type, bundles: Array.from({ length: n }, () => pickOf(rng, t.pool)), hops: pickOf(rng, [0, 1, 8, 16, 17, 0xffffffff]), ephemeral: int(rng, 3) === 0 }
    }
  }
}

function readVarint(b: Uint8Array, at: number): { value: number; next: number } | null {
  let value = 0
  for (let i = 0; i < 10 && at + i < b.length; i++) {
    const byte = b[at + i]!
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) return { value, next: at + i + 1 }
  }
  return null
}

function writeVarint(value: number): number[] {
  const out: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    out.push(byte)
  } while (value > 0)
  return out
}

/** Offsets of every protobuf length prefix (wire type 2), parsing nested content greedily. */
function lengthFields(b: Uint8Array, start = 0, end = b.length, out: number[] = [], depth = 0): number[] {
  let at = start
  while (at < end && depth < 6) {
    const tag = readVarint(b, at)
    if (tag === null) return out
    at = tag.next
    const wireType = tag.value % 8
    if (wireType === 0) {
      const v = readVarint(b, at)
      if (v === null) return out
      at = v.next
    } else if (wireType === 1) at += 8
    else if (wireType === 5) at += 4
    else if (wireType === 2) {
      const len = readVarint(b, at)
      if (len === null || len.next + len.value > end) return out
      out.push(at)
      lengthFields(b, len.next, len.next + len.value, out, depth + 1)
      at = len.next + len.value
    } else return out
  }
  return out
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** A byte-level mutation of `base` (`other` is a second valid encoding for splices). */
export function mutateBytes(rng: Rng, base: Uint8Array, other: Uint8Array): Uint8Array {
  const b = Uint8Array.from(base)
  switch (int(rng, 8)) {
    case 0: {
      const n = 1 + int(rng, 8)
      for (let i = 0; i < n; i++) b[int(rng, b.length)]! ^= 1 << int(rng, 8)
      return b
    }
    case 1:
      return b.subarray(0, int(rng, b.length))
    case 2:
      return concat(b.subarray(0, int(rng, b.length + 1)), other.subarray(int(rng, other.length + 1)))
    case 3: {
      const fields = lengthFields(b)
      if (fields.length === 0) return b
      const at = fields[int(rng, fields.length)]!
      const len = readVarint(b, at)!
      const value = pickOf(rng, [len.value + 1, len.value - 1, 0, len.value + 1 + int(rng, 300), 2 ** 28 + int(rng, 1000), Math.max(0, len.value - 1 - int(rng, 40))])
      return concat(b.subarray(0, at), writeVarint(Math.max(0, value)), b.subarray(len.next))
    }
    case 4: {
      const n = 1 + int(rng, 4)
      for (let i = 0; i < n; i++) b[int(rng, b.length)] = rng.u32() & 0xff
      return b
    }
    case 5: {
      const from = int(rng, b.length)
      return concat(b, b.subarray(from, from + int(rng, b.length - from + 1)))
    }
    case 6: {
      const at = int(rng, b.length)
      return int(rng, 2) === 0 ? concat(b.subarray(0, at), [rng.u32() & 0xff], b.subarray(at)) : concat(b.subarray(0, at), b.subarray(at + 1))
    }
    default:
      return int(rng, 2) === 0 ? rng.bytes(int(rng, 1600)) : concat(base.subarray(0, 36), rng.bytes(int(rng, 1400)))
  }
}

/** Makes hostile datagrams: a third sent as generated, the rest byte-mutated. */
export class DatagramFactory {
  readonly #rng: Rng
  readonly #target: FuzzTarget
  #previous: Uint8Array
  #n = 0

  constructor(rng: Rng, target: FuzzTarget) {
    this.#rng = rng
    this.#target = target
    this.#previous = encodePacket(target.overlay, { type: 'puncture', sourceLan: target.victim, sourceWan: target.victim, identifier: 0 })
  }

  /** The next datagram; the packet type rotates through {@link PACKET_TYPES}. */
  next(): Uint8Array {
    const rng = this.#rng
    const type = PACKET_TYPES[this.#n++ % PACKET_TYPES.length]!
    let bytes: Uint8Array
    try {
      bytes = encodePacket(int(rng, 50) === 0 ? rng.bytes(32) : this.#target.overlay, hostilePacket(rng, this.#target, type))
    } catch {
      // A combination the encoder refuses (e.g. a datagram-sized bundle list): send noise instead.
      bytes = rng.bytes(1 + int(rng, 1500))
    }
    const out = int(rng, 3) === 0 ? bytes : mutateBytes(rng, bytes, this.#previous)
    this.#previous = bytes
    return out
  }
}
