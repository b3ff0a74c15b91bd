import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { addressKey, isUnspecifiedHost, isValidAddress, parseAddressKey, sameHost, subnetKeys } from '../../src/nat/index.js'

describe('address keys (the wire’s rules, re-exported)', () => {
  it('formats IPv4, bracketed IPv6, and IPv4-mapped IPv6 as IPv4', () => {
    expect(addressKey({ host: '1.2.3.4', port: 5 })).toBe('1.2.3.4:5')
    expect(addressKey({ host: '0:0:0:0:0:0:0:1', port: 5 })).toBe('[::1]:5')
    expect(addressKey({ host: '::ffff:1.2.3.4', port: 5 })).toBe('1.2.3.4:5')
  })

  it('parses what it formats', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        const key = addressKey({ host, port })
        expect(addressKey(parseAddressKey(key)!)).toBe(key)
      })
    )
  })
})

describe('isValidAddress / isUnspecifiedHost', () => {
  it('needs an IP literal and a port in 1..65535', () => {
    expect(isValidAddress({ host: '1.2.3.4', port: 1 })).toBe(true)
    expect(isValidAddress({ host: '::1', port: 65535 })).toBe(true)
    for (const a of [{ host: 'example.org', port: 5 }, { host: '1.2.3.4', port: 0 }, { host: '1.2.3.4', port: 65536 }, { host: '1.2.3.4', port: 1.5 }, { host: '01.2.3.4', port: 1 }]) {
      expect(isValidAddress(a)).toBe(false)
    }
  })

  it('recognises 0.0.0.0 and ::', () => {
    expect(isUnspecifiedHost('0.0.0.0')).toBe(true)
    expect(isUnspecifiedHost('::')).toBe(true)
    expect(isUnspecifiedHost('0:0:0:0:0:0:0:0')).toBe(true)
    expect(isUnspecifiedHost('::1')).toBe(false)
    expect(isUnspecifiedHost('nope')).toBe(false)
  })
})

describe('sameHost', () => {
  it('compares canonical forms, IPv4-mapped equal to IPv4', () => {
    expect(sameHost('2001:db8::1', '2001:DB8:0:0:0:0:0:1')).toBe(true)
    expect(sameHost('::ffff:1.2.3.4', '1.2.3.4')).toBe(true)
    expect(sameHost('1.2.3.4', '1.2.3.5')).toBe(false)
    expect(sameHost('::1', '127.0.0.1')).toBe(false)
    expect(sameHost('name', 'name')).toBe(true)
    expect(sameHost('name', 'other')).toBe(false)
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

  it('keeps IPv4 and IPv6 prefixes apart (IPv4-compatible ::a.b.c.d is IPv6)', () => {
    expect(subnetKeys('::10.1.2.3')!.narrow.startsWith('6/')).toBe(true)
    expect(subnetKeys('10.1.2.3')!.narrow.startsWith('4/')).toBe(true)
  })

  it('is undefined for non-IP hosts', () => {
    expect(subnetKeys('example.org')).toBeUndefined()
  })
})
