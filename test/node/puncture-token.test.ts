/**
 * A puncture carries the walker's address-validation token, so the walk that follows it is
 * answered in full however many punctures the walker was sent before (each one is charged to
 * the walker's 3× at the puncturer: without the token, the walk's answer was blocked).
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_BYTES } from '../../src/node/amplification.js'
import { decodePacket, encodePacket, type Address, type IntroductionRequest, type Packet, type Puncture } from '../../src/wire/index.js'
import { testnet } from './harness.js'

function probe(to: Address, from: Address, identifier: number, token?: Uint8Array): IntroductionRequest {
  return { type: 'introduction-request', destination: to, sourceLan: from, sourceWan: from, advice: true, connectionType: 'public', identifier, globalTime: 1, token }
}

async function punctured(withToken: boolean) {
  const t = await testnet({ peers: 0, seed: 31 })
  const introducer = t.net.bind()
  introducer.onPacket = () => {}
  const walker = t.net.bind()
  const got: Packet[] = []
  walker.onPacket = (_from, bytes) => {
    const d = decodePacket(bytes)
    if (d !== null) got.push(d.packet)
  }
  const node = await t.addPeer({ trusted: [introducer.address()], stepIntervalMs: 60_000 })
  // Three introductions of the walker, each a puncture request from the trusted introducer; a
  // first-contact puncture goes out once per probe interval, so they come 20 s apart.
  for (let i = 0; i < 3; i++) {
    introducer.send(node.address(), encodePacket(t.overlay, { type: 'puncture-request', walkerLan: walker.address(), walkerWan: walker.address(), identifier: 100 + i }))
    await t.run(20_000)
  }
  const punctures = got.filter((p): p is Puncture => p.type === 'puncture')
  got.length = 0
  const token = withToken ? punctures[0]?.token : undefined
  walker.send(node.address(), encodePacket(t.overlay, probe(node.address(), walker.address(), 7, token)))
  await t.run(100)
  const answered = got.some((p) => p.type === 'introduction-response' && p.identifier === 7)
  const blocked = node.stats().amplification.blocked
  await t.stop()
  return { punctures, answered, blocked }
}

describe("a puncture carries the walker's token", () => {
  it('each puncture carries a 16-byte token, and the walk echoing it is answered after three punctures', async () => {
    const r = await punctured(true)
    expect(r.punctures.length).toBe(3)
    for (const p of r.punctures) expect(p.token?.length).toBe(TOKEN_BYTES)
    expect(r.answered).toBe(true)
  })

  it('without the token the same walk finds the 3× used up by the punctures, and is not answered', async () => {
    const r = await punctured(false)
    expect(r.punctures.length).toBe(3)
    expect(r.answered).toBe(false)
    expect(r.blocked).toBeGreaterThan(0)
  })
})
