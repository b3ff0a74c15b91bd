/** The bounds of the MVDS journal's pieces (issue 19): message store and member keys. */
import { describe, expect, it } from 'vitest'
import { MvdsNode } from '../../src/mvds/index.js'
import { GroupMembers, MAX_MEMBER_KEYS } from '../../src/node/group-members.js'
import { JournaledMvdsStore, MvdsJournal } from '../../src/node/mvds-journal.js'
import { MemoryStore } from '../../src/store/memory.js'
import { MAX_PEER_ADDRESSES, MvdsPeerBook } from '../../src/node/mvds-peers.js'
import { MAX_MVDS_STORING, NodeMvds } from '../../src/node/mvds.js'
import { Counters } from '../../src/node/stats.js'
import { keyPairFromSecret, signBundle } from '../../src/bundle/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { silentLogger } from '../../src/env/logger.js'
import { MemoryNetwork } from '../../src/transport/index.js'
import { mvdsMessageId } from '../../src/wire/mvds.js'

const group = new Uint8Array(32).fill(0x47)
const id = (i: number) => new Uint8Array(32).fill(0).map((_, j) => (j < 4 ? (i >>> (8 * j)) & 0xff : 0))

describe('MVDS journal', () => {
  it('the message store keeps at most maxMessages; an evicted message is deleted from disk at the next flush', async () => {
    const store = new MemoryStore()
    await store.open()
    const messages = new JournaledMvdsStore({ journaled: true, maxMessages: 3 })
    const node = new MvdsNode({ id: 'me', mode: 'batch', store: messages })
    const journal = new MvdsJournal(store, node, messages, new GroupMembers('00'.repeat(32)))
    for (let i = 0; i < 5; i++) messages.put(id(i), { groupId: group, timestamp: i, body: Uint8Array.of(i) })
    expect(messages.size).toBe(3)
    expect(messages.has(id(0))).toBe(false)
    await journal.flush()
    const names = (await store.stateEntries('mvds/msg/')).map(([n]) => n)
    expect(names).toHaveLength(3)
    // Reloaded into a fresh store: the same three.
    const again = new JournaledMvdsStore({ journaled: true, maxMessages: 3 })
    const found = await new MvdsJournal(store, new MvdsNode({ id: 'me', mode: 'batch', store: again }), again, new GroupMembers('00'.repeat(32))).load()
    expect(found.messages).toBe(3)
    expect([0, 1, 2, 3, 4].map((i) => again.has(id(i)))).toEqual([false, false, true, true, true])
  })

  it('a received message is journaled only once its bundle is stored; one that could not be stored is never written', async () => {
    const store = new MemoryStore()
    await store.open()
    const messages = new JournaledMvdsStore({ journaled: true })
    const node = new MvdsNode({ id: 'me', mode: 'batch', store: messages })
    const journal = new MvdsJournal(store, node, messages, new GroupMembers('00'.repeat(32)))
    for (const i of [1, 2]) {
      messages.put(id(i), { groupId: group, timestamp: i, body: Uint8Array.of(i) })
      messages.unsettled(id(i))
    }
    await journal.flush()
    expect(await store.stateEntries('mvds/msg/')).toEqual([])
    messages.settled(id(1))
    messages.delete(id(2))
    await journal.flush()
    expect((await store.stateEntries('mvds/msg/')).map(([n]) => n)).toEqual([`mvds/msg/${Buffer.from(id(1)).toString('hex')}`])
  })

  it(`member keys are bounded (${MAX_MEMBER_KEYS}); a group without keys is open to its address members`, () => {
    const members = new GroupMembers('aa')
    expect(members.allows('g', 'anyone')).toBe(true)
    for (let i = 0; i < MAX_MEMBER_KEYS; i++) members.add('g', `k${i}`)
    members.add('g', 'k0') // already listed: no growth
    expect(() => members.add('g', 'one more')).toThrow(/at most 4096/)
    expect(members.allows('g', 'k17')).toBe(true)
    expect(members.allows('g', 'aa')).toBe(true) // ourselves
    expect(members.allows('g', 'stranger')).toBe(false)
  })
})

describe('MVDS peer book', () => {
  it(`keys a peer by its member key, moves it on a new share, and keeps at most ${MAX_PEER_ADDRESSES} keys`, () => {
    const book = new MvdsPeerBook()
    const at = (port: number) => ({ host: '10.0.0.1', port })
    expect(book.place(at(1), undefined)).toBe('10.0.0.1:1')
    expect(book.place(at(2), 'k')).toBe('k')
    expect(book.peerAt(at(2))).toBe('k')
    book.place(at(3), 'k') // moved: the old address is a stranger again
    expect(book.peerAt(at(2))).toBe('10.0.0.1:2')
    expect(book.peerAt(at(3))).toBe('k')
    expect(book.addressOf('k')).toEqual(at(3))
    for (let i = 0; i < MAX_PEER_ADDRESSES + 10; i++) book.place(at(1000 + (i % 60000)), `key${i}`)
    expect(book.size).toBe(MAX_PEER_ADDRESSES)
    expect(book.addressOf('k')).toBeNull() // the oldest was forgotten
  })
})

describe('MVDS bundles being stored', () => {
  it(`at most ${MAX_MVDS_STORING} received messages wait for their bundle's write; more are not accepted (nor acknowledged) until they are written`, async () => {
    const net = new MemoryNetwork({ clock: new ManualClock(0), rng: new SeededRng(1) })
    const counters = new Counters()
    const writes: Array<(stored: boolean) => void> = []
    const mvds = new NodeMvds({ mode: 'batch' }, { transport: net.bind(), counters, selfKey: 'me', selfAuthor: '00'.repeat(32), state: undefined, log: silentLogger, verify: () => true, deliver: () => new Promise((resolve) => writes.push(resolve)) })
    const peer = { host: '10.0.0.2', port: 7 }
    mvds.share(group, peer)
    const keys = keyPairFromSecret(new Uint8Array(32).fill(3))
    const sent = Array.from({ length: MAX_MVDS_STORING + 6 }, (_, i) => ({ groupId: group, timestamp: 1, body: signBundle({ overlay: group, globalTime: i + 1, kind: 1, body: Uint8Array.of(i & 0xff, i >> 8) }, keys).bytes }))
    mvds.receive(peer, { acks: [], offers: [], requests: [], messages: sent }, 1)
    expect(writes).toHaveLength(MAX_MVDS_STORING)
    expect(counters.snapshot().bundleDrops['mvds-storing-full']).toBe(6)
    // Every ACK is held while the writes are pending (the core's tick: the node's waits for them).
    expect(mvds.node.tick(1)).toEqual([])
    expect(mvds.node.pendingAcks('10.0.0.2:7')).toBe(256) // the ACK queue's own bound (the rest: retransmissions)
    for (const w of writes.splice(0)) w(true)
    await mvds.tick(2)
    expect(counters.snapshot().out['mvds']?.datagrams).toBe(1)
    // The six refused are taken when they come again.
    mvds.receive(peer, { acks: [], offers: [], requests: [], messages: sent.slice(MAX_MVDS_STORING) }, 3)
    expect(writes).toHaveLength(6)
    expect(mvds.node.store.has(mvdsMessageId(group, 1, sent.at(-1)!.body))).toBe(true)
  })
})
