import { SocketAddress, isIPv4 as nodeIsIPv4, isIPv6 as nodeIsIPv6 } from 'node:net'
import { describe, expect, it } from 'vitest'
import { SeededRng, int } from '../../src/env/rng.js'
import {
  CANONICAL_HOST_CACHE,
  addressKey,
  canonicalHost,
  canonicalHostCacheSize,
  formatIp,
  isIPv6,
  makeAddress,
  parseAddressKey,
  parseIPv4,
  parseIPv6,
  parseIp,
  sameAddress
} from '../../src/wire/address.js'
import { isBloomwalkError } from '../../src/errors.js'

/** Node's own formatting of a 16-byte IPv6 address (libuv inet_ntop), the oracle. */
function nodeFormat(bytes: Uint8Array): string {
  const groups: string[] = []
  for (let i = 0; i < 8; i++) groups.push(((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16))
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address
}

/** 16 random bytes with whole zero groups likely (to exercise `::`). */
function randomV6(rng: SeededRng): Uint8Array {
  const b = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    const w = int(rng, 3) === 0 ? rng.u32() & 0xffff : int(rng, 4) === 0 ? 1 : 0
    b[2 * i] = w >> 8
    b[2 * i + 1] = w & 0xff
  }
  return b
}

describe('IP text', () => {
  it('IPv4: strict dotted quad', () => {
    expect(parseIPv4('1.2.3.4')).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect(parseIPv4('255.255.255.255')).toEqual(new Uint8Array([255, 255, 255, 255]))
    expect(parseIPv4('0.0.0.0')).toEqual(new Uint8Array(4))
    for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', '1..3.4', '1.2.3.0x4', '１.2.3.4', '', '1.2.3.4/8', '+1.2.3.4']) {
      expect(parseIPv4(bad), bad).toBeNull()
    }
  })

  it('IPv6: parses valid forms and rejects the rest', () => {
    const valid: Record<string, string> = {
      '::': '::',
      '::1': '::1',
      '1::': '1::',
      'FE80::1': 'fe80::1',
      '2001:0db8:0000:0000:0000:0000:0000:0001': '2001:db8::1',
      '1:0:0:1:0:0:0:1': '1:0:0:1::1',
      '1:0:0:1:0:0:1:1': '1::1:0:0:1:1',
      '1:0:1:0:1:0:1:0': '1:0:1:0:1:0:1:0',
      '1:2:3:4:5:6:7::': '1:2:3:4:5:6:7:0',
      '::1:2:3:4:5:6:7': '0:1:2:3:4:5:6:7',
      '::1.2.3.4': '::1.2.3.4',
      '64:ff9b::192.0.2.33': '64:ff9b::c000:221',
      '::ffff:0:1.2.3.4': '::ffff:0:102:304'
    }
    for (const [text, canonical] of Object.entries(valid)) {
      expect(parseIPv6(text), text).not.toBeNull()
      expect(canonicalHost(text), text).toBe(canonical)
    }
    for (const bad of [':', ':::', '1:::2', '1::2::3', ':1::', '1::2:', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '::1%eth0', '[::1]', '::1.2.3', '1.2.3.4::', '::01.2.3.4', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', ' ::1']) {
      expect(parseIPv6(bad), bad).toBeNull()
    }
  })

  it('IPv4-mapped IPv6 is the IPv4 endpoint (4 bytes, dotted quad)', () => {
    expect(parseIp('::ffff:1.2.3.4')).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect(parseIp('::FFFF:102:304')).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect(parseIp('0:0:0:0:0:ffff:0102:0304')).toEqual(new Uint8Array([1, 2, 3, 4]))
    const mapped = new Uint8Array(16)
    mapped.set([0xff, 0xff, 9, 8, 7, 6], 10)
    expect(formatIp(mapped)).toBe('9.8.7.6')
    expect(canonicalHost('::ffff:9.8.7.6')).toBe('9.8.7.6')
    expect(sameAddress({ host: '::ffff:9.8.7.6', port: 1 }, { host: '9.8.7.6', port: 1 })).toBe(true)
    expect(isIPv6('::ffff:9.8.7.6')).toBe(false)
  })

  it('formatting matches Node (libuv inet_ntop) for 20 000 addresses', () => {
    const rng = new SeededRng(6)
    for (let i = 0; i < 20_000; i++) {
      const b = randomV6(rng)
      if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) continue // mapped: ours differs on purpose
      const text = formatIp(b)!
      expect(text).toBe(nodeFormat(b))
      expect(parseIPv6(text)).toEqual(b)
    }
  })

  it('parsing agrees with net.isIPv4 / net.isIPv6 on random text', () => {
    const rng = new SeededRng(7)
    const alphabet = '0123456789abcdefABCDEF:.:.:'
    for (let i = 0; i < 20_000; i++) {
      let text = ''
      const len = 1 + int(rng, 20)
      for (let j = 0; j < len; j++) text += alphabet[int(rng, alphabet.length)]
      expect(parseIPv4(text) !== null, text).toBe(nodeIsIPv4(text))
      expect(parseIPv6(text) !== null, text).toBe(nodeIsIPv6(text))
    }
    // Mutations of valid addresses hit the interesting boundaries more often.
    for (let i = 0; i < 20_000; i++) {
      const base = formatIp(randomV6(rng))!
      const at = int(rng, base.length + 1)
      const ops = [base.slice(0, at) + base.slice(at + 1), base.slice(0, at) + ':' + base.slice(at), base.slice(0, at) + '0' + base.slice(at), base.slice(0, at) + '.1' + base.slice(at)]
      const text = ops[int(rng, ops.length)]!
      expect(parseIPv6(text) !== null, text).toBe(nodeIsIPv6(text))
    }
    // Token sequences: embedded dotted quads, `::` in every position, too many groups.
    const tokens = ['::', ':', '1', 'ffff', '0', '00000', '1.2.3.4', '255.0.0.1', '01.2.3.4', '.', '256']
    for (let i = 0; i < 20_000; i++) {
      let text = ''
      const len = 1 + int(rng, 12)
      for (let j = 0; j < len; j++) text += tokens[int(rng, tokens.length)]
      expect(parseIPv4(text) !== null, text).toBe(nodeIsIPv4(text))
      expect(parseIPv6(text) !== null, text).toBe(nodeIsIPv6(text))
    }
  })

  it('formatIp rejects other lengths', () => {
    for (const n of [0, 3, 5, 15, 17]) expect(formatIp(new Uint8Array(n))).toBeNull()
  })
})

describe('addresses', () => {
  it('addressKey / parseAddressKey', () => {
    expect(addressKey({ host: '1.2.3.4', port: 5 })).toBe('1.2.3.4:5')
    expect(addressKey({ host: '::1', port: 5 })).toBe('[::1]:5')
    expect(addressKey({ host: '0:0::0:1', port: 5 })).toBe('[::1]:5')
    expect(parseAddressKey('[::1]:5')).toEqual({ host: '::1', port: 5 })
    expect(parseAddressKey('1.2.3.4:65535')).toEqual({ host: '1.2.3.4', port: 65535 })
    for (const bad of ['1.2.3.4', '1.2.3.4:0', '1.2.3.4:65536', '::1:5', '[::1]5', '[::1]:05', 'host:5', '[1.2.3.4:5']) expect(parseAddressKey(bad), bad).toBeNull()
  })

  it('sameAddress compares canonical hosts and ports', () => {
    expect(sameAddress({ host: '2001:DB8::1', port: 9 }, { host: '2001:db8:0:0::1', port: 9 })).toBe(true)
    expect(sameAddress({ host: '2001:db8::1', port: 9 }, { host: '2001:db8::1', port: 10 })).toBe(false)
    expect(sameAddress({ host: '1.2.3.4', port: 9 }, { host: '1.2.3.5', port: 9 })).toBe(false)
  })

  it('isIPv6', () => {
    expect(isIPv6({ host: '::1', port: 1 })).toBe(true)
    expect(isIPv6({ host: '10.0.0.1', port: 1 })).toBe(false)
  })

  it('makeAddress canonicalizes and checks', () => {
    expect(makeAddress('FE80:0::1', 80)).toEqual({ host: 'fe80::1', port: 80 })
    for (const [host, port] of [['nope', 1], ['1.2.3.4', 0], ['1.2.3.4', 65536], ['1.2.3.4', 1.5]] as const) {
      let err: unknown
      try {
        makeAddress(host, port)
      } catch (e) {
        err = e
      }
      expect(isBloomwalkError(err, 'INVALID_ARGUMENT'), `${host}:${port}`).toBe(true)
    }
  })
})

describe('canonicalHost cache', () => {
  it('stays within CANONICAL_HOST_CACHE entries under a flood of distinct hosts and keeps answering right', () => {
    for (let i = 0; i < 3 * CANONICAL_HOST_CACHE; i++) {
      const text = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
      expect(canonicalHost(text)).toBe(text)
      expect(canonicalHostCacheSize()).toBeLessThanOrEqual(CANONICAL_HOST_CACHE)
    }
    expect(canonicalHost('::FFFF:1.2.3.4')).toBe('1.2.3.4')
    expect(canonicalHost('::FFFF:1.2.3.4')).toBe('1.2.3.4')
    expect(canonicalHost('01.2.3.4')).toBeNull()
    expect(canonicalHost('01.2.3.4')).toBeNull()
    expect(canonicalHost('x'.repeat(1000))).toBeNull()
    expect(canonicalHostCacheSize()).toBeLessThanOrEqual(CANONICAL_HOST_CACHE)
  })
})
