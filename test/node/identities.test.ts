/**
 * Background minting of the next identity epoch's nonce (src/node/identities.ts): after a
 * publish in epoch e the nonce of e + 1 is searched for in chunks on the node's clock, so the
 * first publish after the epoch turns does not wait; each chunk is bounded; a publish before
 * the search ends finishes it from where it stopped; stop() leaves no timer.
 */
import { describe, expect, it } from 'vitest'
import { hasIdentityWork, identityWork, mintIdentity, roomId, roomPolicy } from '../../src/bundle/index.js'
import { ManualClock } from '../../src/env/clock.js'
import { IdentityNonces } from '../../src/node/identities.js'
import { hex, makeAuthors } from '../helpers/bundles.js'
import { testnet } from './harness.js'

const [key] = makeAuthors(1, 808)
const room = roomId('epochs')
const roomKey = hex(room)
const policy = { identityBits: 10, identityEpoch: 100 }

describe('identity nonces minted ahead of the epoch', () => {
  it('mints the next epoch in bounded chunks after a publish, and the publish after the turn uses it', () => {
    const clock = new ManualClock(0)
    const view = clock.view()
    const ids = new IdentityNonces(key!.publicKey, new Map(), view, { chunk: 32, pauseMs: 10 })
    const first = ids.for(room, roomKey, policy, 5)!
    expect(identityWork(room, key!.publicKey, first, 0)).toBeGreaterThanOrEqual(10)
    expect(ids.stats()).toMatchObject({ mintedAtPublish: 1, mintedAhead: 0 })
    // One timer at a time; each firing computes at most one chunk.
    expect(view.pending).toBe(1)
    let fired = 0
    let last = 0
    while (ids.stats().mintedAhead === 0) {
      clock.advance(10)
      fired++
      const hashes = ids.stats().hashesAhead
      expect(hashes - last).toBeLessThanOrEqual(32)
      last = hashes
      expect(fired).toBeLessThan(10_000)
    }
    expect(view.pending).toBe(0)
    const expected = mintIdentity(room, key!.publicKey, 10, { epoch: 1 })
    // The same nonce the blocking search finds, after as many hashes.
    expect(ids.stats().hashesAhead).toBe(new DataView(expected.buffer, expected.byteOffset).getUint32(4) + 1)
    // Still in epoch 0: the current nonce; then the turn: the one minted ahead, no search at the publish.
    expect(ids.for(room, roomKey, policy, 99)).toEqual(first)
    expect(ids.for(room, roomKey, policy, 100)).toEqual(expected)
    expect(ids.stats()).toMatchObject({ mintedAtPublish: 1, mintedAhead: 1, usedAhead: 1, finishedAtPublish: 0 })
    // ...and epoch 2's search has begun.
    expect(view.pending).toBe(1)
    ids.stop()
    expect(view.pending).toBe(0)
    clock.advance(60_000)
    expect(ids.stats().mintedAhead).toBe(1)
  })

  it('a publish before the background search ends finishes it from where it stopped; a skipped epoch mints at the publish', () => {
    const clock = new ManualClock(0)
    const ids = new IdentityNonces(key!.publicKey, new Map(), clock, { chunk: 4, pauseMs: 10 })
    ids.for(room, roomKey, policy, 1)
    clock.advance(20)
    const searched = ids.stats().hashesAhead
    expect(searched).toBe(8)
    const n1 = ids.for(room, roomKey, policy, 150)!
    expect(n1).toEqual(mintIdentity(room, key!.publicKey, 10, { epoch: 1 }))
    expect(ids.stats()).toMatchObject({ mintedAtPublish: 1, finishedAtPublish: 1, usedAhead: 0 })
    // Epoch 5 was never prepared (the room skipped 2–4): minted at the publish.
    const n5 = ids.for(room, roomKey, policy, 512)!
    expect(identityWork(room, key!.publicKey, n5, 5)).toBeGreaterThanOrEqual(10)
    expect(ids.stats().mintedAtPublish).toBe(2)
    ids.stop()
  })

  it('a room without epochs, or without work, mints nothing ahead', () => {
    const clock = new ManualClock(0)
    const view = clock.view()
    const ids = new IdentityNonces(key!.publicKey, new Map(), view)
    expect(ids.for(room, roomKey, { identityBits: 0, identityEpoch: 0 }, 1)).toBeUndefined()
    ids.for(room, roomKey, { identityBits: 8, identityEpoch: 0 }, 1)
    expect(view.pending).toBe(0)
    clock.advance(60_000)
    expect(ids.stats()).toMatchObject({ mintedAtPublish: 1, mintedAhead: 0 })
  })

  it('in a node: the first publish into the next epoch uses the nonce minted ahead, and stop() leaves no minting timer', async () => {
    const t = await testnet({ peers: 0, seed: 81 })
    const room = roomPolicy({ identityBits: 8, identityEpoch: 4 })
    const a = await t.addPeer({ policies: new Map([[hex(t.overlay), room]]) })
    const b1 = await a.publish(t.overlay, new Uint8Array([1]))
    await t.run(5_000)
    for (let i = 2; i <= 5; i++) expect(hasIdentityWork(await a.publish(t.overlay, new Uint8Array([i])), 8, 4)).toBe(true)
    expect(b1.globalTime).toBe(1)
    // Global times 1..5: epoch 1 began at 4, with the nonce minted while the room was quiet.
    expect(a.stats().identities).toMatchObject({ mintedAtPublish: 1, usedAhead: 1, finishedAtPublish: 0 })
    await a.stop()
    // Epoch 2's search had begun at the publish at 4; stopped, it goes no further.
    const searched = a.stats().identities.hashesAhead
    await t.run(10_000)
    expect(a.stats().identities.hashesAhead).toBe(searched)
    await t.stop()
  })
})
