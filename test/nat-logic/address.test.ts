import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { addressKey, canonicalHost, isValidAddress, parseAddressKey, parseIp, sameHost, subnetKeys } from '../../src/nat/index.js'
import { isBloomwalkError } from '../../src/errors.js'

describe('parseIp / canonicalHost', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:1:2:3:4:5::', '2001:db8:1:2:3:4:5:0'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['::FFFF:a00:1', '::ffff:10.0.0.1'],
    ['fe80::1%eth0', 'fe80::1']
  ])('%s → %s', (input, canonical) => {
    expect(canonicalHost(input)).toBe(canonical)
  })

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', 'example.org', '1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', 'g::1', '::1.2.3'])(
    'rejects %j',
    (input) => {
      expect(parseIp(input)).toBeUndefined()
      expect(canonicalHost(input)).toBeUndefined()
    }
  )

  it('round-trips every IPv4 and IPv6 value through its canonical text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (host) => {
        const canonical = canonicalHost(host)
        expect(canonical).toBeDefined()
        expect(canonicalHost(canonical!)).toBe(canonical)
        expect(parseIp(canonical!)!.bytes).toEqual(parseIp(host)!.bytes)
      })
    )
  })
})

describe('addressKey / parseAddressKey', () => {
  it('formats IPv4 and bracketed IPv6 keys', () => {
    expect(addressKey({ host: '1.2.3.4', port: 5 })).toBe('1.2.3.4:5')
    expect(addressKey({ host: '::1', port: 5 })).toBe('[::1]:5')
    expect(addressKey({ host: '0:0:0:0:0:0:0:1', port: 5 })).toBe('[::1]:5')
  })

  it('throws INVALID_ARGUMENT for a hostname or a bad port', () => {
    for (const a of [{ host: 'example.org', port: 5 }, { host: '1.2.3.4', port: 0 }, { host: '1.2.3.4', port: 65536 }, { host: '1.2.3.4', port: 1.5 }]) {
      let caught: unknown
      try {
        addressKey(a)
      } catch (err) {
        caught = err
      }
      expect(isBloomwalkError(caught, 'INVALID_ARGUMENT')).toBe(true)
      expect(isValidAddress(a)).toBe(false)
    }
  })

  it('parses what it formats', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        const key = addressKey({ host, port })
        const back = parseAddressKey(key)
        expect(back).toEqual({ host: canonicalHost(host), port })
        expect(addressKey(back!)).toBe(key)
      })
    )
  })

  it.each(['1.2.3.4', '1.2.3.4:', '1.2.3.4:0', '1.2.3.4:70000', '::1:5', '[::1]5', '[::1:5', 'host:5', '1.2.3.4:+5', '1.2.3.4:5e1'])('rejects key %j', (key) => {
    expect(parseAddressKey(key)).toBeUndefined()
  })
})

describe('sameHost', () => {
  it('compares canonical forms, IPv4-mapped equal to IPv4', () => {
    expect(sameHost('2001:db8::1', '2001:DB8:0:0:0:0:0:1')).toBe(true)
    expect(sameHost('::ffff:1.2.3.4', '1.2.3.4')).toBe(true)
    expect(sameHost('1.2.3.4', '1.2.3.5')).toBe(false)
    expect(sameHost('::1', '127.0.0.1')).toBe(false)
    expect(sameHost('name', 'name')).toBe(true)
  })
})

describe('subnetKeys', () => {
  it('gives /24 and /16 for IPv4', () => {
    expect(subnetKeys('10.1.2.3')).toEqual({ narrow: '4/10.1.2', wide: '4/10.1' })
    expect(subnetKeys('10.1.2.200')!.narrow).toBe(subnetKeys('10.1.2.3')!.narrow)
    expect(subnetKeys('10.1.3.3')!.narrow).not.toBe(subnetKeys('10.1.2.3')!.narrow)
    expect(subnetKeys('10.1.3.3')!.wide).toBe(subnetKeys('10.1.2.3')!.wide)
  })

  it('gives /48 and /32 for IPv6', () => {
    expect(subnetKeys('2001:db8:aaaa:1::1')).toEqual({ narrow: '6/20010db8aaaa', wide: '6/20010db8' })
    expect(subnetKeys('2001:db8:aaaa:ffff::9')!.narrow).toBe('6/20010db8aaaa')
    expect(subnetKeys('2001:db8:aaab::1')!.wide).toBe('6/20010db8')
  })

  it('treats IPv4-mapped IPv6 as IPv4, so the spelling cannot dodge a cap', () => {
    expect(subnetKeys('::ffff:10.1.2.3')).toEqual(subnetKeys('10.1.2.3'))
  })

  it('is undefined for non-IP hosts', () => {
    expect(subnetKeys('example.org')).toBeUndefined()
  })
})
