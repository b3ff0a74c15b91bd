/**
 * tracker, node and chat together over real UDP on 127.0.0.1, run in-process through the
 * command dispatcher: a line typed in one chat is printed by the other, the node stores it,
 * identities survive a restart, a busy data directory is refused. Waits on output lines,
 * never on time.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KEY_FILE } from '../../src/cli/data-dir.js'
import { deadline, run, start, tempDir, type Running } from './helpers.js'

const WAIT_MS = 20_000

async function line(r: Running, stream: 'out' | 'err', re: RegExp, what: string): Promise<RegExpMatchArray> {
  return deadline(r[stream].waitFor(re), WAIT_MS, `${what} (${re}); stderr so far:\n${r.err.text}`)
}

describe('tracker, node and chat over UDP', { timeout: 60_000 }, () => {
  it('chat lines cross between two chats through a tracker; the node stores them; identities persist', async () => {
    const tracker = start(['tracker', '--host', '127.0.0.1', '--port', '0', '--stats', '1', '--log-level', 'debug'])
    const port = (await line(tracker, 'err', /listening \{"address":"127\.0\.0\.1:(\d+)"/, 'the tracker to listen'))[1]!
    const [dataA, dataB, dataC] = [await tempDir(), await tempDir(), await tempDir()]
    const peer = ['--room', 'test room', '--tracker', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--step', '100']
    const ada = start(['chat', ...peer, '--data', dataA, '--nick', 'ada'])
    const bob = start(['chat', ...peer, '--data', dataB, '--nick', 'bob'])
    const statusPath = join(dataC, 'status.json')
    const node = start(['node', ...peer, '--data', dataC, '--stats', '1', '--publish-stdin', '--status', statusPath, '--receive-buffer', '1048576'])
    const adaKey = (await line(ada, 'out', /^joined "test room" as ada \(([0-9a-f]{8})\)/, 'ada to join'))[1]!
    const bobKey = (await line(bob, 'out', /^joined "test room" as bob \(([0-9a-f]{8})\)/, 'bob to join'))[1]!
    const joined = await line(node, 'err', /joined room \{"room":"test room".*"receiveBuffer":(\d+)/, 'the node to join')
    // Linux grants min(asked, net.core.rmem_max) and reports it doubled.
    const rmemMax = Number((await readFile('/proc/sys/net/core/rmem_max', 'utf8').catch(() => 'NaN')).trim())
    if (Number.isFinite(rmemMax)) expect(Number(joined[1])).toBe(2 * Math.min(1048576, rmemMax))
    else expect(Number(joined[1])).toBeGreaterThan(0)

    ada.stdin.write('hello from ada\n')
    await line(bob, 'out', new RegExp(`^\\d\\d:\\d\\d ada \\(${adaKey}\\): hello from ada$`), 'bob to print ada\'s line')
    await line(node, 'err', new RegExp(`delivered \\{"id":"[0-9a-f]{16}","author":"${adaKey}`), 'the node to store ada\'s line')
    bob.stdin.write('hi ada\n')
    await line(ada, 'out', new RegExp(`^\\d\\d:\\d\\d bob \\(${bobKey}\\): hi ada$`), 'ada to print bob\'s reply')
    expect(ada.out.all.filter((l) => l.includes('hello from ada'))).toHaveLength(1) // her own line, shown as sent, once
    expect(bob.out.all.filter((l) => l.includes('hello from ada'))).toHaveLength(1) // printed once

    await line(tracker, 'err', /serving a new room/, 'the tracker to log the room')
    await line(tracker, 'err', /new peer/, 'the tracker to log a peer')
    await line(tracker, 'err', /stats \{"overlays":1/, 'tracker stats')
    await line(node, 'err', /walk \{"to":"127\.0\.0\.1:\d+"\}/, 'the node to log a walk')
    await line(node, 'err', /stats \{"overlays":1,"bundles":2/, 'node stats with both messages')

    // The node logs and counts as published only what it published itself.
    node.stdin.write('from the node\n')
    const nodeKey = (await line(node, 'err', /published \{"id":"[0-9a-f]{16}","author":"([0-9a-f]{8})/, 'the node to publish'))[1]!
    expect([adaKey, bobKey]).not.toContain(nodeKey)
    await line(node, 'err', /stats \{"overlays":1,"bundles":3/, 'node stats with its own message')
    expect(node.err.all.filter((l) => / published \{/.test(l))).toHaveLength(1)
    await deadline(
      (async () => {
        for (;;) {
          const status = JSON.parse(await readFile(statusPath, 'utf8').catch(() => '{}')) as { published?: { count: number }; delivered?: { count: number } }
          if (status.published?.count === 1 && status.delivered?.count === 2) return
          await new Promise((resolve) => setImmediate(resolve))
        }
      })(),
      WAIT_MS,
      'the status file to count 1 published and 2 delivered'
    )

    // A second process on ada's data directory is refused: LevelDB is locked.
    const busy = await run(['node', ...peer, '--data', dataA])
    expect(busy.code).toBe(1)
    expect(busy.err).toMatch(/is in use by another process/)

    // Ctrl-D ends the chat cleanly; the key file is private.
    ada.stdin.end()
    expect(await ada.exit).toBe(0)
    if (process.platform !== 'win32') expect((await stat(join(dataA, KEY_FILE))).mode & 0o777).toBe(0o600)

    // Restarted, ada has the same identity and sees the stored conversation.
    const again = start(['chat', ...peer, '--data', dataA, '--nick', 'ada'])
    await line(again, 'out', new RegExp(`^joined "test room" as ada \\(${adaKey}\\)`), 'ada to rejoin with the same key')
    expect(again.out.all.slice(0, 2).map((l) => l.replace(/^\d\d:\d\d /, ''))).toEqual([`ada (${adaKey}): hello from ada`, `bob (${bobKey}): hi ada`])

    for (const r of [again, bob, node, tracker]) r.stop()
    expect(await Promise.all([again.exit, bob.exit, node.exit, tracker.exit])).toEqual([0, 0, 0, 0])
    await line(tracker, 'err', /stopped/, 'the tracker to stop')
  })
})
