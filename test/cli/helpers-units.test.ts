/** The command line's small parts: endpoints, LAN address, data directory, author key, chat formatting, counting transport. */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/args.js'
import { clock, formatMessage, nickOption, parseMessage, sanitize } from '../../src/cli/chat.js'
import { CountingTransport } from '../../src/cli/counting-transport.js'
import { defaultDataDir, KEY_FILE, loadOrCreateKey, loadOrMintIdentityNonce, roomDir, roomFolder } from '../../src/cli/data-dir.js'
import { lanAddress, parseEndpoint, resolveEndpoint } from '../../src/cli/endpoint.js'
import { generateKeyPair, identityWork, roomId, signBundle } from '../../src/bundle/index.js'
import { createLogger } from '../../src/env/logger.js'
import { SeededRng } from '../../src/env/rng.js'
import { ManualClock } from '../../src/env/clock.js'
import { MemoryNetwork } from '../../src/transport/index.js'
import { tempDir } from './helpers.js'

describe('endpoints', () => {
  it('parses HOST:PORT and [IPv6]:PORT, naming the option on errors', () => {
    expect(parseEndpoint('tracker', '192.0.2.1:6421')).toEqual({ host: '192.0.2.1', port: 6421 })
    expect(parseEndpoint('tracker', 'tracker.example.org:1')).toEqual({ host: 'tracker.example.org', port: 1 })
    expect(parseEndpoint('tracker', '[2001:db8::1]:65535')).toEqual({ host: '2001:db8::1', port: 65535 })
    for (const bad of ['192.0.2.1', ':6421', '192.0.2.1:', '192.0.2.1:x', '192.0.2.1:65536', '2001:db8::1:6421', '[::1]6421', '[::1']) {
      expect(() => parseEndpoint('tracker', bad), bad).toThrow(UsageError)
      expect(() => parseEndpoint('tracker', bad), bad).toThrow(/--tracker/)
    }
  })

  it('resolves names and canonicalises literals; an IPv6 tracker needs an IPv6 socket', async () => {
    expect(await resolveEndpoint('tracker', { host: 'localhost', port: 5 }, 4)).toEqual({ host: '127.0.0.1', port: 5 })
    expect(await resolveEndpoint('tracker', { host: '2001:DB8:0::1', port: 5 }, 6)).toEqual({ host: '2001:db8::1', port: 5 })
    await expect(resolveEndpoint('tracker', { host: '::1', port: 5 }, 4)).rejects.toThrow(UsageError)
    await expect(resolveEndpoint('tracker', { host: 'no-such-host.invalid', port: 5 }, 4)).rejects.toThrow(/cannot resolve "no-such-host.invalid"/)
  })

  it('advertises the first non-internal IPv4 address when bound to 0.0.0.0, else 127.0.0.1; nothing for a specific address', () => {
    const info = (address: string, family: 'IPv4' | 'IPv6', internal: boolean): NetworkInterfaceInfo =>
      ({ address, family, internal, netmask: '', mac: '', cidr: null, scopeid: 0 }) as NetworkInterfaceInfo
    const interfaces = { lo: [info('127.0.0.1', 'IPv4', true)], eth0: [info('fe80::1', 'IPv6', false), info('192.168.1.7', 'IPv4', false)], eth1: [info('10.0.0.2', 'IPv4', false)] }
    expect(lanAddress({ host: '0.0.0.0', port: 4000 }, interfaces)).toEqual({ host: '192.168.1.7', port: 4000 })
    expect(lanAddress({ host: '0.0.0.0', port: 4000 }, { lo: interfaces.lo })).toEqual({ host: '127.0.0.1', port: 4000 })
    expect(lanAddress({ host: '127.0.0.1', port: 4000 }, interfaces)).toBeUndefined()
  })
})

describe('data directory and author key', () => {
  const log = createLogger('test', { level: 'silent' })

  it('defaults to $XDG_DATA_HOME/bloomwalk when absolute, else ~/.local/share/bloomwalk', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/x/data' }, '/home/ada')).toBe('/x/data/bloomwalk')
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, '/home/ada')).toBe('/home/ada/.local/share/bloomwalk')
    expect(defaultDataDir({}, '/home/ada')).toBe('/home/ada/.local/share/bloomwalk')
  })

  it('gives each room its own folder: a safe slug plus 8 hex digits of the room id', () => {
    const hex8 = Buffer.from(roomId('Lobby')).toString('hex').slice(0, 8)
    expect(roomFolder('Lobby')).toBe(`Lobby-${hex8}`)
    expect(roomFolder('../../etc')).toMatch(/^__\.\._etc-[0-9a-f]{8}$/)
    expect(roomFolder('../../etc')).not.toContain('/')
    expect(roomFolder('..')).not.toMatch(/^\./)
    expect(roomFolder('a b')).not.toBe(roomFolder('a_b'))
    expect(roomFolder('lobby')).not.toBe(roomFolder('Lobby'))
    expect(roomDir('/d', 'Lobby')).toBe(`/d/rooms/Lobby-${hex8}`)
  })

  it('creates a 32-byte key with mode 0600 once, then loads the same identity', async () => {
    const dir = join(await tempDir(), 'data')
    const first = await loadOrCreateKey(dir, new SeededRng(1), log)
    expect(first.created).toBe(true)
    const file = await stat(join(dir, KEY_FILE))
    expect(file.size).toBe(32)
    if (process.platform !== 'win32') expect(file.mode & 0o777).toBe(0o600)
    const again = await loadOrCreateKey(dir, new SeededRng(2), log)
    expect(again.created).toBe(false)
    expect(again.keys.publicKey).toEqual(first.keys.publicKey)
    expect(new Uint8Array(await readFile(join(dir, KEY_FILE)))).toEqual(first.keys.secretKey)
  })

  it('narrows a key file readable by others to 0600 and refuses one of the wrong size', async () => {
    const dir = await tempDir()
    await loadOrCreateKey(dir, new SeededRng(1), log)
    if (process.platform !== 'win32') {
      await chmod(join(dir, KEY_FILE), 0o644)
      const warnings: string[] = []
      await loadOrCreateKey(dir, new SeededRng(1), createLogger('t', { sink: (_l, _n, m) => warnings.push(m) }))
      expect((await stat(join(dir, KEY_FILE))).mode & 0o777).toBe(0o600)
      expect(warnings.join()).toMatch(/narrowing it to 0600/)
    }
    await writeFile(join(dir, KEY_FILE), new Uint8Array(31))
    await expect(loadOrCreateKey(dir, new SeededRng(1), log)).rejects.toThrow(/exactly 32 bytes, found 31/)
  })
})

describe('identity nonces in the data directory', () => {
  const log = createLogger('test', { level: 'silent' })
  const room = roomId('open')
  const author = generateKeyPair(new SeededRng(9)).publicKey
  const file = (dir: string) => join(dir, 'identities', `${Buffer.from(room).toString('hex')}.nonce`)

  it('mints once (mode 0600) and reads the same nonce at the next start; none when the room asks for no work', async () => {
    const dir = await tempDir()
    const first = await loadOrMintIdentityNonce(dir, room, author, 8, new SeededRng(1), log)
    expect(identityWork(room, author, first!)).toBeGreaterThanOrEqual(8)
    if (process.platform !== 'win32') expect((await stat(file(dir))).mode & 0o777).toBe(0o600)
    const before = (await stat(file(dir))).mtimeMs
    const again = await loadOrMintIdentityNonce(dir, room, author, 8, new SeededRng(2), log)
    expect(again).toEqual(first)
    expect((await stat(file(dir))).mtimeMs).toBe(before) // read, not written again
    expect(await loadOrMintIdentityNonce(await tempDir(), room, author, 0, new SeededRng(1), log)).toBeUndefined()
  })

  it('a nonce too weak for the room, or garbage, is replaced by a new one (with a warning)', async () => {
    const dir = await tempDir()
    const weak = await loadOrMintIdentityNonce(dir, room, author, 1, new SeededRng(1), log)
    const warnings: string[] = []
    const strong = await loadOrMintIdentityNonce(dir, room, author, 12, new SeededRng(1), createLogger('t', { sink: (_l, _n, m) => warnings.push(m) }))
    expect(identityWork(room, author, strong!)).toBeGreaterThanOrEqual(12)
    expect(new Uint8Array(await readFile(file(dir)))).toEqual(strong)
    expect(warnings.join()).toMatch(/too weak/)
    expect(weak).toBeDefined()
    await writeFile(file(dir), new Uint8Array(3))
    const fixed = await loadOrMintIdentityNonce(dir, room, author, 12, new SeededRng(1), log)
    expect(identityWork(room, author, fixed!)).toBeGreaterThanOrEqual(12)
  })
})

describe('chat messages', () => {
  const keys = generateKeyPair(new SeededRng(5))
  const bundle = (body: string) => signBundle({ overlay: roomId('r'), globalTime: 1, kind: 1, body: new TextEncoder().encode(body) }, keys)
  const author = Buffer.from(keys.publicKey).toString('hex').slice(0, 8)

  it('shows nick, author key prefix and text; strips terminal control characters', () => {
    expect(formatMessage(bundle(JSON.stringify({ nick: 'ada', text: 'hello' })))).toBe(`--:-- ada (${author}): hello`)
    const at = new Date(2026, 0, 2, 9, 5).getTime()
    expect(formatMessage(bundle(JSON.stringify({ nick: 'ada', text: 'hello', at })))).toBe(`09:05 ada (${author}): hello`)
    expect(clock(at)).toBe('09:05')
    expect(parseMessage(new TextEncoder().encode(JSON.stringify({ nick: 'a', text: 'b', at: 'soon' })))).toEqual({ nick: 'a', text: 'b' })
    expect(formatMessage(bundle(JSON.stringify({ nick: 'e\u001b[31mvil', text: 'x\u001b]0;title\u0007y\u202ez' })))).toBe(`--:-- e[31mvil (${author}): x]0;titleyz`)
    expect(formatMessage(bundle('not json'))).toBe(`--:-- (${author}) [not a chat message: 8 bytes]`)
    expect(parseMessage(new TextEncoder().encode('{"nick":1,"text":"x"}'))).toBeUndefined()
    expect(sanitize('a\u0000b\u009bc')).toBe('abc')
  })

  it('--nick is 1–32 printable characters', () => {
    expect(nickOption('ada')).toBe('ada')
    expect(() => nickOption('x'.repeat(33))).toThrow(/--nick/)
    expect(nickOption(undefined).length).toBeGreaterThan(0)
  })
})

describe('CountingTransport', () => {
  it('counts every send and its size, forwards onPacket and traffic both ways', async () => {
    const clock = new ManualClock()
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1), latencyMs: 1 })
    const seen: number[] = []
    const a = new CountingTransport(net.bind(), (_to, bytes) => seen.push(bytes.length))
    const b = net.bind()
    const got: number[] = []
    b.onPacket = (_from, bytes) => got.push(bytes.length)
    const back: number[] = []
    a.onPacket = (_from, bytes) => back.push(bytes.length)
    a.send(b.address(), new Uint8Array(10))
    a.send(b.address(), new Uint8Array(300))
    b.send(a.address(), new Uint8Array(7))
    clock.advance(10)
    expect(a.counts()).toEqual({ datagrams: 2, bytes: 310, maxDatagramBytes: 300 })
    expect(seen).toEqual([10, 300])
    expect(got).toEqual([10, 300])
    expect(back).toEqual([7])
    expect(a.address()).toEqual(a.inner.address())
    await a.close()
  })
})
