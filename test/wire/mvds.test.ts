import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodePacket, encodePacket } from '../../src/wire/codec.js'
import { type MvdsPayload, decodeMvdsPayload, encodeMvdsPayload, mvdsMessageId } from '../../src/wire/mvds.js'
import { varintSize } from '../../src/wire/size.js'
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
  it('mvds-interop', () => {
    for (const [name, payload] of [
      ['mvds-payload-full.hex', FULL],
      ['mvds-payload-negative.hex', NEGATIVE]
    ] as const) {
      const expected = hexFixture(name)
      // Encoding is byte-for-byte the reference layout…
      expect(hex(encodeMvdsPayload(payload)), name).toBe(hex(expected))
      // …and decoding the hand-built bytes gives the fields back.
      expect(decodeMvdsPayload(expected), name).toEqual(payload)
      // Inside the envelope, field 8 carries exactly those Payload bytes.
      const envelope = encodePacket(OVERLAY, { type: 'mvds', payload })
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
