import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodePacket, encodePacket } from '../../src/wire/codec.js'
import { type MvdsPayload, decodeMvdsPayload, encodeMvdsPayload, mvdsMessageId } from '../../src/wire/mvds.js'
import { varintSize } from '../../src/wire/size.js'
import { mvdsPayloadSize } from '../../src/mvds/size.js'
import { OVERLAY } from './arbitraries.js'

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

/** Bytes of an annotated hex fixture: `#` starts a comment, whitespace is ignored. */
function hexFixture(name: string): Uint8Array {
  const hex = fixture(name)
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '')
  expect(hex).toMatch(/^([0-9a-f]{2})+$/)
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)))
}

const fill = (b: number, n = 32) => new Uint8Array(n).fill(b)
const text = (s: string) => new TextEncoder().encode(s)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

const FULL: MvdsPayload = {
  acks: [fill(0x11)],
  offers: [fill(0x22)],
  requests: [fill(0x33)],
  messages: [{ groupId: fill(0x44), timestamp: 1_700_000_000, body: text('hello mvds') }]
}
const NEGATIVE: MvdsPayload = { acks: [], offers: [], requests: [], messages: [{ groupId: fill(0x44), timestamp: -1, body: new Uint8Array(0) }] }

describe('mvds', () => {
  it('mvds-interop (the 2019 schema, vacp2p/mvds 1762929, hand-built fixtures)', () => {
    for (const [name, payload] of [
      ['mvds-payload-full.hex', FULL],
      ['mvds-payload-negative.hex', NEGATIVE]
    ] as const) {
      const expected = hexFixture(name)
      const legacy: MvdsPayload = { ...payload, schema: '2019' }
      // Encoding with the 2019 schema is byte-for-byte that reference's layout…
      expect(hex(encodeMvdsPayload(legacy)), name).toBe(hex(expected))
      // …and decoding the hand-built bytes gives the fields back.
      expect(decodeMvdsPayload(expected), name).toEqual(payload)
      // Inside the envelope, field 8 carries exactly those Payload bytes.
      const envelope = encodePacket(OVERLAY, { type: 'mvds', payload: legacy })
      const header = [0x08, 0x01, 0x12, 0x20, ...OVERLAY, (8 << 3) | 2]
      expect(envelope.length).toBe(header.length + varintSize(expected.length) + expected.length)
      expect(hex(envelope.subarray(0, header.length))).toBe(hex(Uint8Array.from(header)))
      expect(hex(envelope.subarray(envelope.length - expected.length)), name).toBe(hex(expected))
      const decoded = decodePacket(envelope)
      expect(decoded?.packet).toEqual({ type: 'mvds', payload })
    }
    // Message ids: SHA-256("MESSAGE_ID" || group_id || LE64(timestamp) || body), reference vectors.
    const rows = fixture('mvds-message-ids.txt')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    expect(rows.length).toBe(2)
    for (const row of rows) {
      const [group, ts, body, id] = row.trim().split(/\s+/) as [string, string, string, string]
      const bodyBytes = body === '-' ? new Uint8Array(0) : Buffer.from(body, 'hex')
      expect(hex(mvdsMessageId(Buffer.from(group, 'hex'), Number(ts), new Uint8Array(bodyBytes))), row).toBe(id)
    }
  })

  it('accepts the empty Ack {} the reference can send, and empty payloads', () => {
    const emptyAck = Uint8Array.from([0x0a, 0x00])
    expect(decodeMvdsPayload(emptyAck)).toEqual({ acks: [], offers: [], requests: [], messages: [] })
    expect(decodeMvdsPayload(new Uint8Array(0))).toEqual({ acks: [], offers: [], requests: [], messages: [] })
  })

  it('decodeMvdsPayload never throws and applies the limits', () => {
    expect(decodeMvdsPayload(Uint8Array.from([0x0a, 0x05, 0x0a]))).toBeNull()
    expect(decodeMvdsPayload(Uint8Array.from([0x0a, 0x03, 0x0a, 0x01, 0x00]))).toBeNull() // 1-byte id
    expect(decodeMvdsPayload(new Uint8Array(2000))).toBeNull() // over maxDatagram
    expect(decodeMvdsPayload(null as unknown as Uint8Array)).toBeNull()
  })

  it('mvdsMessageId rejects unsafe timestamps', () => {
    expect(() => mvdsMessageId(fill(1), 2 ** 53, new Uint8Array(0))).toThrow(/timestamp/)
  })
})

/** One payload of test/wire/fixtures/mvds-head.json, as the reference's Go types see it. */
interface GoPayload {
  name: string
  hex: string
  acks: string[]
  offers: string[]
  requests: string[]
  messages: { groupId: string; timestamp: number; body: string; id: string; metadata?: { parents: string[]; ephemeral: boolean } }[]
  error?: string
}

const HEAD = JSON.parse(fixture('mvds-head.json')) as { commit: string; payloads: GoPayload[] }
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))

/** The bloomwalk payload holding the records Go reports. */
function fromGo(p: GoPayload): MvdsPayload {
  return {
    acks: p.acks.map(bytes),
    offers: p.offers.map(bytes),
    requests: p.requests.map(bytes),
    messages: p.messages.map((m) => ({
      groupId: bytes(m.groupId),
      timestamp: m.timestamp,
      body: bytes(m.body),
      ...(m.metadata === undefined ? {} : { metadata: { parents: m.metadata.parents.map(bytes), ephemeral: m.metadata.ephemeral } })
    }))
  }
}

/** What the reference decodes from our bytes, when Go and a vacp2p/mvds checkout are at hand (else null). */
function decodeInGo(payloads: { name: string; hex: string }[]): GoPayload[] | null {
  const ref = process.env['BLOOMWALK_MVDS_REF']
  if (ref === undefined || spawnSync('go', ['version']).status !== 0) return null
  const script = new URL('../../scripts/mvds-fixtures.sh', import.meta.url).pathname
  const run = spawnSync('bash', [script, ref, 'verify'], { input: JSON.stringify(payloads), encoding: 'utf8', timeout: 600_000 })
  if (run.status !== 0) throw new Error(`mvds-fixtures.sh verify failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as GoPayload[]
}

describe('mvds-interop-head', () => {
  it(`decodes every payload vacp2p/mvds ${HEAD.commit.slice(0, 7)} sent (batch and interactive sessions, every record type, metadata) to the same records, and encodes them to the same bytes`, () => {
    const names = HEAD.payloads.map((p) => p.name)
    expect(names.some((n) => n.startsWith('batch-'))).toBe(true)
    expect(names.some((n) => n.startsWith('interactive-'))).toBe(true)
    const kinds = new Set(HEAD.payloads.flatMap((p) => [p.acks.length > 0 && 'ack', p.offers.length > 0 && 'offer', p.requests.length > 0 && 'request', p.messages.length > 0 && 'message', p.messages.some((m) => m.metadata?.ephemeral) && 'ephemeral', p.messages.some((m) => (m.metadata?.parents.length ?? 0) > 0) && 'parents']))
    for (const kind of ['ack', 'offer', 'request', 'message', 'ephemeral', 'parents']) expect(kinds.has(kind), kind).toBe(true)
    for (const p of HEAD.payloads) {
      const decoded = decodeMvdsPayload(bytes(p.hex))
      expect(decoded, p.name).toEqual(fromGo(p))
      expect(hex(encodeMvdsPayload(decoded!)), p.name).toBe(p.hex)
      expect(mvdsPayloadSize(decoded!), p.name).toBe(p.hex.length / 2)
      for (const m of p.messages) expect(hex(mvdsMessageId(bytes(m.groupId), m.timestamp, bytes(m.body))), p.name).toBe(m.id)
      // In the envelope too: field 8 carries the reference's bytes unchanged.
      expect(decodePacket(encodePacket(OVERLAY, { type: 'mvds', payload: decoded! }))?.packet, p.name).toEqual({ type: 'mvds', payload: decoded })
    }
  })

  it('the 2019 fixtures re-encoded by default come out in the HEAD form; HEAD would misread the 2019 form (why 2019 is opt-in)', () => {
    const full = encodeMvdsPayload(FULL)
    // HEAD: one 32-byte entry per id in fields 1..3 (tag, length 32, id).
    expect(hex(full.subarray(0, 2))).toBe('0a20')
    expect(decodeMvdsPayload(full)).toEqual(FULL)
    const legacy = encodeMvdsPayload({ ...FULL, schema: '2019' })
    expect(hex(legacy.subarray(0, 4))).toBe('0a220a20') // an Ack of 34 bytes: HEAD reads a 34-byte "id"
  })

  it('bloomwalk encodings decode in Go (vacp2p/mvds) to equal values', (ctx) => {
    const ours = HEAD.payloads.map((p) => ({ name: p.name, hex: hex(encodeMvdsPayload(fromGo(p))) }))
    ours.push({ name: 'full', hex: hex(encodeMvdsPayload(FULL)) }, { name: 'negative', hex: hex(encodeMvdsPayload(NEGATIVE)) })
    const go = decodeInGo(ours)
    if (go === null) {
      ctx.skip('set BLOOMWALK_MVDS_REF to a vacp2p/mvds checkout and install Go to run the reference decoder (the fixtures above still check both directions byte for byte)')
      return
    }
    const expected = [...HEAD.payloads.map(fromGo), FULL, NEGATIVE]
    expect(go.map((g) => g.error ?? null)).toEqual(go.map(() => null))
    expect(go.map(fromGo)).toEqual(expected)
  }, 600_000)
})
