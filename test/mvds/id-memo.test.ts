import { describe, expect, it } from 'vitest'
import { DEFAULT_ID_MEMO_ENTRIES, MessageIdMemo } from '../../src/mvds/id-memo.js'
import { mvdsMessageId, type MvdsMessage } from '../../src/wire/mvds.js'
import { GROUP } from './helpers.js'

const message = (body: number[], timestamp = 7): MvdsMessage => ({ groupId: GROUP, timestamp, body: Uint8Array.from(body) })
const realId = (m: MvdsMessage) => mvdsMessageId(m.groupId, m.timestamp, m.body)

describe('MessageIdMemo', () => {
  it('answers an equal copy from memory, with the id the hash gives', () => {
    const memo = new MessageIdMemo()
    const first = memo.idOf(message([1, 2, 3, 4]))
    const copy = memo.idOf(message([1, 2, 3, 4])) // new arrays, equal bytes
    expect(copy.id).toEqual(realId(message([1, 2, 3, 4])))
    expect(copy.key).toBe(Buffer.from(copy.id).toString('hex'))
    expect(copy).toBe(first)
    expect(memo.hits).toBe(1)
  })

  it('hashes a look-alike: same fingerprint (length, timestamp, last bytes), other bytes', () => {
    const memo = new MessageIdMemo()
    const body = Array.from({ length: 40 }, (_, i) => i)
    memo.idOf(message(body))
    const forged = message([99, ...body.slice(1)])
    expect(memo.idOf(forged).id).toEqual(realId(forged))
    const otherTime = message(body, 8)
    expect(memo.idOf(otherTime).id).toEqual(realId(otherTime))
    const otherGroup: MvdsMessage = { ...message(body), groupId: new Uint8Array(32).fill(9) }
    expect(memo.idOf(otherGroup).id).toEqual(realId(otherGroup))
    expect(memo.hits).toBe(0)
  })

  it(`keeps at most its bound (default ${DEFAULT_ID_MEMO_ENTRIES}), dropping the oldest`, () => {
    const memo = new MessageIdMemo(3)
    for (let i = 0; i < 10; i++) memo.idOf(message([i], i))
    expect(memo.size).toBe(3)
    memo.idOf(message([9], 9)) // newest: still there
    memo.idOf(message([0], 0)) // oldest: gone, hashed again
    expect(memo.hits).toBe(1)
    expect(memo.size).toBe(3)
    expect(new MessageIdMemo().idOf(message([1])).id).toEqual(realId(message([1])))
  })
})
