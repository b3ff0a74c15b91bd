/**
 * The node's one way out: every packet any service sends is encoded, checked against the
 * private groups (MVDS members only) and charged to the anti-amplification guard here
 * (DESIGN §9, §15), then counted and handed to the transport.
 */
import type { Clock } from '../env/clock.js'
import type { Logger } from '../env/logger.js'
import type { Transport } from '../transport/types.js'
import { addressKey, encodePacket, type Address, type Packet } from '../wire/index.js'
import type { AmplificationGuard } from './amplification.js'
import type { Charge } from './charge.js'
import type { Counters } from './stats.js'

/** Encodes and sends; false when blocked (amplification, private group) or unencodable. */
export type SendFn = (to: Address, overlay: Uint8Array, packet: Packet, charge: Charge) => boolean

/** What sending uses of the node. */
export interface SendComponents {
  readonly transport: Pick<Transport, 'send'>
  readonly guard: AmplificationGuard
  readonly counters: Counters
  readonly clock: Clock
  readonly log: Logger
  /** Whether a packet of `overlay` may go to `to` (a private group's go to its members only); absent: always. */
  admits?(overlay: Uint8Array, to: Address): boolean
}

export function sender(c: SendComponents): SendFn {
  const { guard, counters } = c
  return (to, overlay, packet, charge) => {
    // Whatever path asks, a private group's overlay goes to its members only.
    if (c.admits !== undefined && !c.admits(overlay, to)) {
      counters.privateRefused++
      return false
    }
    let bytes: Uint8Array
    try {
      bytes = encodePacket(overlay, packet)
    } catch (err) {
      c.log.warn('unencodable packet', { type: packet.type, error: err instanceof Error ? err.message : String(err) })
      return false
    }
    const key = addressKey(to)
    const validated = guard.isValidated(key)
    if (charge === 'destination') {
      if (!guard.allow(key, bytes.length)) return false
    } else if (charge === 'initiated') {
      guard.count(key, bytes.length)
    } else {
      const also = typeof charge === 'string' ? undefined : charge.also
      // The asker pays too: checked before anything is charged (a refused send charges nobody).
      if (also !== undefined && !guard.isValidated(also) && guard.remaining(also) < bytes.length) {
        guard.allow(also, bytes.length) // counts the refusal
        return false
      }
      if (!guard.allowProbe(key, bytes.length, c.clock.now(), charge === 'vouched-probe', also === undefined ? 'walk' : 'puncture')) return false
      if (also !== undefined) guard.allow(also, bytes.length)
    }
    counters.sent(packet.type, bytes.length)
    if (!validated) counters.sentUnvalidated(packet.type, bytes.length)
    c.transport.send(to, bytes)
    return true
  }
}
