/** The bounds of the MVDS journal's pieces (issue 19): message store and member keys. */
import { describe, expect, it } from 'vitest'
import { MvdsNode } from '../../src/mvds/index.js'
import { GroupMembers, MAX_MEMBER_KEYS } from '../../src/node/group-members.js'
import { JournaledMvdsStore, MvdsJournal } from '../../src/node/mvds-journal.js'
import { MemoryStore } from '../../src/store/memory.js'
import { MAX_PEER_ADDRESSES, MvdsPeerBook } from '../../src/node/mvds-peers.js'

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
