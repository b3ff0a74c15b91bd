/**
 * The demo's peer groups: the protocol between a group served in a worker thread and the
 * demo, exercised over a MessageChannel in this thread (workers themselves need the
 * compiled build, which tests do not use).
 */
import { MessageChannel } from 'node:worker_threads'
import { describe, expect, it, onTestFinished } from 'vitest'
import { roomId } from '../../src/bundle/index.js'
import { RemoteGroup, serveGroup, startWorkerGroup } from '../../src/cli/peer-group-remote.js'
import type { PeerGroupInit } from '../../src/cli/peer-group.js'
import { startUdpNode } from '../../src/cli/udp-node.js'
import { createLogger } from '../../src/env/logger.js'
import { deadline, tempDir } from './helpers.js'

const silent = createLogger('test', { level: 'silent' })

async function tracker() {
  const t = await startUdpNode({ role: 'tracker', host: '127.0.0.1', port: 0, logger: silent })
  onTestFinished(() => t.close())
  return t.transport.address()
}

describe('peer groups across a message port', { timeout: 30_000 }, () => {
  it('a served group starts its peers, publishes on request, reports deliveries and counts, and closes', async () => {
    const init: PeerGroupInit = { first: 3, seeds: [1, 2], trackers: [await tracker()], overlay: roomId('group'), folder: await tempDir(), stepIntervalMs: 100, logLevel: 'silent' }
    const { port1, port2 } = new MessageChannel()
    onTestFinished(() => port1.close())
    const served = serveGroup(port2, init)
    const group = await RemoteGroup.connect(port1, init)
    expect([group.first, group.size]).toEqual([3, 2])

    const seen: [number, boolean][] = []
    const both = new Promise<void>((resolve) => {
      group.onDelivery = (peer, id, network) => {
        expect(id).toMatch(/^[0-9a-f]{64}$/)
        seen.push([peer, network])
        if (seen.length === 2) resolve()
      }
    })
    group.publish(4, new TextEncoder().encode('hello'))
    await deadline(both, 20_000, 'both peers to hold the message')
    expect(seen).toEqual([
      [4, false],
      [3, true]
    ])
    const counts = await group.counts()
    expect(counts.datagrams).toBeGreaterThan(0)
    expect(counts.bytes).toBeGreaterThan(counts.datagrams)
    expect(counts.maxDatagramBytes).toBeLessThanOrEqual(1200)

    const errors: unknown[] = []
    group.onError = (err) => errors.push(err)
    group.publish(9, new Uint8Array(1))
    await group.counts() // a round trip: the error report was posted before this answer
    expect(String(errors[0])).toMatch(/no peer 9 in this group/)

    await group.close()
    await served
  })

  it('a group whose thread dies fails what waits for it (counts, close) instead of hanging, and reports the loss once', async () => {
    const init: PeerGroupInit = { first: 0, seeds: [1], trackers: [await tracker()], overlay: roomId('group'), folder: await tempDir(), stepIntervalMs: 100, logLevel: 'silent' }
    const { port1, port2 } = new MessageChannel()
    onTestFinished(() => port1.close())
    const served = serveGroup(port2, init)
    const group = await RemoteGroup.connect(port1, init)
    const errors: unknown[] = []
    group.onError = (err) => errors.push(err)
    // A counts request, and the thread is gone before its answer.
    const waiting = group.counts()
    group.lost(new Error('demo worker for peers 0–0 exited (code 1)'))
    await expect(waiting).rejects.toThrow(/exited \(code 1\)/)
    await expect(group.counts()).rejects.toThrow(/exited/)
    await group.close()
    group.lost(new Error('again'))
    expect(errors.map(String)).toEqual(['Error: demo worker for peers 0–0 exited (code 1)'])
    // (The served group is in fact alive: stop it behind the RemoteGroup's back.)
    port1.postMessage({ type: 'close' })
    await served
  })

  it('a group that cannot start reports why', async () => {
    const init: PeerGroupInit = { first: 0, seeds: [1], trackers: [await tracker()], overlay: roomId('group'), folder: '/dev/null/not-a-directory', stepIntervalMs: 100, logLevel: 'silent' }
    const { port1, port2 } = new MessageChannel()
    onTestFinished(() => port1.close())
    void serveGroup(port2, init)
    await expect(RemoteGroup.connect(port1, init)).rejects.toThrow(/peers 0–0: cannot open the store/)
  })

  it('worker threads are refused, with the reason, when running from TypeScript sources', async () => {
    const init: PeerGroupInit = { first: 0, seeds: [1], trackers: [await tracker()], overlay: roomId('group'), folder: await tempDir(), stepIntervalMs: 100, logLevel: 'silent' }
    await expect(startWorkerGroup(init)).rejects.toThrow(/compiled build .* pass --threads 1/)
  })
})
