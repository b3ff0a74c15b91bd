/** Raw-datagram adversaries against a testnet node (test/node/harness.ts). */
import type { Bundle } from '../../src/bundle/index.js'
import type { BloomwalkNode } from '../../src/node/index.js'
import type { MemoryTransport } from '../../src/transport/index.js'
import { decodeLimits, decodePacket, encodePacket, type Address, type IntroductionRequest, type Packet } from '../../src/wire/index.js'
import type { Testnet } from '../node/harness.js'

/** A raw endpoint: sends hand-made packets and keeps every packet it receives. */
export interface Adversary {
  transport: MemoryTransport
  address: Address
  received: Packet[]
  send(packet: Packet, overlay?: Uint8Array): void
  sendBytes(bytes: Uint8Array): void
  /** A minimal introduction-request to the victim (it makes us a stumble candidate). */
  introduce(extra?: Partial<IntroductionRequest>): void
  /** Introduces itself twice, echoing the token the second time: the victim then counts us validated. */
  validate(extra?: Partial<IntroductionRequest>): Promise<void>
  bundles(bundles: readonly Bundle[]): void
}

let nextId = 1
/** Generous limits so an adversary can read whatever the victim sends. */
const READ_LIMITS = decodeLimits({ maxDatagram: 65_507 })

export function adversary(t: Testnet, victim: BloomwalkNode, bind: Partial<Address> = {}): Adversary {
  const transport = t.net.bind(bind)
  const received: Packet[] = []
  transport.onPacket = (_from, bytes) => {
    const p = decodePacket(bytes, READ_LIMITS)?.packet
    if (p !== undefined) received.push(p)
  }
  const address = transport.address()
  const send = (packet: Packet, overlay = t.overlay) => transport.send(victim.address(), encodePacket(overlay, packet))
  const request = (extra: Partial<IntroductionRequest> = {}): IntroductionRequest => ({
    type: 'introduction-request',
    destination: victim.address(),
    sourceLan: address,
    sourceWan: address,
    advice: false,
    connectionType: 'unknown',
    identifier: nextId++,
    globalTime: 0,
    ...extra
  })
  return {
    transport,
    address,
    received,
    send,
    sendBytes: (bytes) => transport.send(victim.address(), bytes),
    introduce: (extra) => send(request(extra)),
    async validate(extra) {
      send(request(extra))
      await t.run(100)
      const token = [...received].reverse().find((p): p is Extract<Packet, { type: 'introduction-response' }> => p.type === 'introduction-response')?.token
      send(request({ ...extra, token }))
      await t.run(100)
    },
    bundles: (bundles) => send({ type: 'bundles', bundles })
  }
}

