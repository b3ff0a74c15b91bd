/**
 * `bloomwalk chat --group NAME --member KEY@HOST:PORT` (issue 19): two private chats over
 * real UDP on 127.0.0.1, no tracker. A line typed in one is printed by the other; a line
 * typed while the other is down is delivered when it comes back (MVDS state in LevelDB).
 * Waits on output lines, never on time.
 */
import { describe, expect, it } from 'vitest'
import { loadOrCreateKey } from '../../src/cli/data-dir.js'
import { CryptoRng } from '../../src/env/crypto-rng.js'
import { silentLogger } from '../../src/env/logger.js'
import { createUdpTransport } from '../../src/transport/udp.js'
import { deadline, run, start, tempDir, type Running } from './helpers.js'

const WAIT_MS = 20_000

async function line(r: Running, re: RegExp, what: string): Promise<RegExpMatchArray> {
  return deadline(r.out.waitFor(re), WAIT_MS, `${what} (${re}); stderr so far:\n${r.err.text}`)
}

async function freePort(): Promise<number> {
  const t = await createUdpTransport({ host: '127.0.0.1', port: 0 })
  const port = t.address().port
  await t.close()
  return port
}

describe('chat --group over UDP', { timeout: 60_000 }, () => {
  it('private lines cross between two members, and survive the receiver being down', async () => {
    const [dataA, dataB] = [await tempDir(), await tempDir()]
    const rng = new CryptoRng()
    const keyA = Buffer.from((await loadOrCreateKey(dataA, rng, silentLogger)).keys.publicKey).toString('hex')
    const keyB = Buffer.from((await loadOrCreateKey(dataB, rng, silentLogger)).keys.publicKey).toString('hex')
    const [portA, portB] = [await freePort(), await freePort()]
    const ada = (): Running => start(['chat', '--group', 'ada+bob', '--host', '127.0.0.1', '--port', String(portA), '--member', `${keyB}@127.0.0.1:${portB}`, '--data', dataA, '--nick', 'ada'])
    const bob = (): Running => start(['chat', '--group', 'ada+bob', '--host', '127.0.0.1', '--port', String(portB), '--member', `${keyA}@127.0.0.1:${portA}`, '--data', dataB, '--nick', 'bob'])
    const a = ada()
    const b = bob()
    await line(a, new RegExp(`^joined group "ada\\+bob" as ada \\(key ${keyA}\\); your lines go to 1 member only; /help for commands$`), 'ada to join')
    await line(b, /^joined group "ada\+bob" as bob/, 'bob to join')
    a.stdin.write('hello bob\n')
    await line(b, new RegExp(`^\\d\\d:\\d\\d ada \\(${keyA.slice(0, 8)}\\): hello bob$`), "bob to print ada's line")
    // bob leaves; ada writes; bob comes back and gets it (ada retransmits until acknowledged).
    b.stdin.end()
    expect(await b.exit).toBe(0)
    a.stdin.write('while you were away\n')
    const b2 = bob()
    await line(b2, new RegExp(`^\\d\\d:\\d\\d ada \\(${keyA.slice(0, 8)}\\): while you were away$`), 'bob to get the line sent while he was down')
    b2.stdin.write('back\n')
    await line(a, new RegExp(`^\\d\\d:\\d\\d bob \\(${keyB.slice(0, 8)}\\): back$`), "ada to print bob's reply")
    a.stdin.end()
    b2.stdin.end()
    expect(await a.exit).toBe(0)
    expect(await b2.exit).toBe(0)
  })

  it('usage errors exit 2 and name the option', async () => {
    const key = 'ab'.repeat(32)
    for (const [argv, re] of [
      [['chat', '--group', 'g'], /at least one --member/],
      [['chat', '--group', 'g', '--member', 'nokey@127.0.0.1:1'], /--member must be KEY@HOST:PORT/],
      [['chat', '--group', 'g', '--member', `${key}@127.0.0.1`], /--member must be HOST:PORT/],
      [['chat', '--group', 'g', '--member', `${key}@127.0.0.1:1`, '--room', 'r'], /takes no --room or --tracker/],
      [['chat', '--member', `${key}@127.0.0.1:1`], /--member needs --group/]
    ] as const) {
      const r = await run([...argv])
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.err, argv.join(' ')).toMatch(re)
    }
  })
})
