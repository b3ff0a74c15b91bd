import { describe, expect, it } from 'vitest'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  BUNDLE_FIXED_BYTES,
  DEFAULT_BUNDLE_POLICY,
  decodeBundle,
  encodedBundleSize,
  keyPairFromSecret,
  maxBundleBytes,
  roomId,
  signBundle,
  validateBundle,
  verifyBundleSignature
} from '../../src/bundle/index.js'
import { isBloomwalkError } from '../../src/errors.js'
import { hex, makeAuthors } from '../helpers/bundles.js'

const keys = keyPairFromSecret(new Uint8Array(32).fill(7))
const overlay = roomId('lobby')
const wide = { maxParents: 255, maxBody: 0xffff }

function draft(extra: Partial<Parameters<typeof signBundle>[0]> = {}) {
  return { overlay, globalTime: 42, kind: 3, body: new TextEncoder().encode('hello'), ...extra }
}

describe('room ids', () => {
  it('are SHA-256("bloomwalk/room/" || name)', () => {
    expect(hex(roomId('lobby'))).toBe(hex(sha256(new TextEncoder().encode('bloomwalk/room/lobby'))))
    expect(hex(roomId('a'))).not.toBe(hex(roomId('b')))
  })
})

describe('bundle codec', () => {
  it('round-trips every field and keeps the id', () => {
    const parents = [sha256(new Uint8Array([1])), sha256(new Uint8Array([2]))]
    const b = signBundle(draft({ parents, expiresAt: 99 }), keys)
    expect(b.bytes.length).toBe(encodedBundleSize(2, 5, true))
    const d = decodeBundle(b.bytes, wide)!
    expect(d).not.toBeNull()
    expect(hex(d.id)).toBe(hex(b.id))
    expect(d.globalTime).toBe(42)
    expect(d.kind).toBe(3)
    expect(d.expiresAt).toBe(99)
    expect(d.parents.map(hex)).toEqual(parents.map(hex))
    expect(new TextDecoder().decode(d.body)).toBe('hello')
    expect(hex(d.author)).toBe(hex(keys.publicKey))
    expect(verifyBundleSignature(d)).toBe(true)
  })

  it('has a fixed layout: a known bundle encodes to known bytes', () => {
    const b = signBundle(draft(), keys)
    // version, overlay, gt=42 BE, author, kind=3, flags=0, 0 parents, body length 5, body, signature
    const head = hex(b.bytes.subarray(0, 1 + 32 + 8))
    expect(head).toBe('01' + hex(overlay) + '000000000000002a')
    expect(hex(b.bytes.subarray(73, 73 + 5))).toBe('0300' + '00' + '0005')
    expect(b.bytes.length).toBe(BUNDLE_FIXED_BYTES + 5)
    // Ed25519 is deterministic, so the id and the signature are stable across runs.
    expect(hex(signBundle(draft(), keys).bytes)).toBe(hex(b.bytes))
  })

  it('gives different ids to bundles differing in any field', () => {
    const base = hex(signBundle(draft(), keys).id)
    const variants = [
      draft({ globalTime: 43 }),
      draft({ kind: 4 }),
      draft({ body: new Uint8Array([1]) }),
      draft({ expiresAt: 50 }),
      draft({ parents: [new Uint8Array(32)] }),
      draft({ overlay: roomId('other') })
    ]
    for (const v of variants) expect(hex(signBundle(v, keys).id)).not.toBe(base)
    const [other] = makeAuthors(1, 99)
    expect(hex(signBundle(draft(), other!).id)).not.toBe(base)
  })

  it('rejects truncation, trailing bytes, bad version, bad flags and zero global time', () => {
    const b = signBundle(draft(), keys).bytes
    for (let cut = 0; cut < b.length; cut++) expect(decodeBundle(b.subarray(0, cut), wide)).toBeNull()
    expect(decodeBundle(new Uint8Array([...b, 0]), wide)).toBeNull()
    const badVersion = b.slice()
    badVersion[0] = 2
    expect(decodeBundle(badVersion, wide)).toBeNull()
    const badFlags = b.slice()
    badFlags[1 + 32 + 8 + 32 + 1] = 0x80
    expect(decodeBundle(badFlags, wide)).toBeNull()
    const zeroTime = b.slice()
    zeroTime.fill(0, 33, 41)
    expect(decodeBundle(zeroTime, wide)).toBeNull()
  })

  it('applies the structural limits on parents and body', () => {
    const b = signBundle(draft({ parents: [new Uint8Array(32), new Uint8Array(32)] }), keys).bytes
    expect(decodeBundle(b, { maxParents: 1, maxBody: 100 })).toBeNull()
    expect(decodeBundle(b, { maxParents: 2, maxBody: 4 })).toBeNull()
    expect(decodeBundle(b, { maxParents: 2, maxBody: 5 })).not.toBeNull()
  })

  it('refuses to sign out-of-range drafts with INVALID_ARGUMENT', () => {
    const bad = [
      draft({ globalTime: 0 }),
      draft({ globalTime: 2 ** 53 }),
      draft({ globalTime: 1.5 }),
      draft({ kind: 256 }),
      draft({ overlay: new Uint8Array(31) }),
      draft({ parents: [new Uint8Array(31)] }),
      draft({ expiresAt: 41 }),
      draft({ body: new Uint8Array(0x10000) })
    ]
    for (const d of bad) {
      let caught: unknown
      try {
        signBundle(d, keys)
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  })
})

describe('bundle validation', () => {
  it('accepts a good bundle', () => {
    const b = signBundle(draft(), keys)
    const r = validateBundle(b.bytes, { overlay })
    expect(r.ok).toBe(true)
  })

  it('names each failure with a typed code', () => {
    const good = signBundle(draft(), keys)
    const forged = good.bytes.slice()
    forged[forged.length - 1]! ^= 1
    const tampered = good.bytes.slice()
    tampered[tampered.length - 64 - 1]! ^= 1 // last body byte: the id changes, the signature no longer matches
    const manyParents = signBundle(draft({ parents: Array.from({ length: 17 }, () => new Uint8Array(32)) }), keys)
    const huge = signBundle(draft({ body: new Uint8Array(maxBundleBytes() - BUNDLE_FIXED_BYTES + 1) }), keys)
    const cases: [Uint8Array, object, string][] = [
      [forged, {}, 'BUNDLE_BAD_SIGNATURE'],
      [tampered, {}, 'BUNDLE_BAD_SIGNATURE'],
      [good.bytes.subarray(0, 50), {}, 'BUNDLE_MALFORMED'],
      [manyParents.bytes, {}, 'BUNDLE_TOO_MANY_PARENTS'],
      [huge.bytes, {}, 'BUNDLE_TOO_LARGE'],
      [good.bytes, { overlay: roomId('elsewhere') }, 'BUNDLE_WRONG_OVERLAY'],
      [good.bytes, { expectedId: new Uint8Array(32) }, 'BUNDLE_BAD_ID']
    ]
    for (const [bytes, options, code] of cases) {
      const r = validateBundle(bytes, options)
      expect(r.ok ? 'ok' : r.code).toBe(code)
    }
  })

  it('accepts a bundle of exactly the maximum size for the budget', () => {
    const b = signBundle(draft({ body: new Uint8Array(maxBundleBytes() - BUNDLE_FIXED_BYTES) }), keys)
    expect(b.bytes.length).toBe(DEFAULT_BUNDLE_POLICY.maxBytes)
    expect(validateBundle(b.bytes).ok).toBe(true)
  })
})

describe('memoized verifier', () => {
  it('gives the same verdicts as verification, forged or not, and verifies each bundle once', async () => {
    const { memoizedVerifier } = await import('../../src/bundle/index.js')
    const verify = memoizedVerifier(2)
    const good = signBundle(draft(), keys)
    const forgedBytes = good.bytes.slice()
    forgedBytes[forgedBytes.length - 1]! ^= 1
    const forged = decodeBundle(forgedBytes, wide)!
    expect(verify(good)).toBe(true)
    expect(verify(good)).toBe(true)
    expect(verify(forged)).toBe(false)
    expect(verify(forged)).toBe(false)
    // Over its bound it forgets and re-verifies, still correctly.
    const other = signBundle(draft({ globalTime: 7 }), keys)
    expect(verify(other)).toBe(true)
    expect(verify(forged)).toBe(false)
  })
})
