/** Shared set-up for the MemoryNetwork tests: a network on a ManualClock and SeededRng with an arrival log. */
import { ManualClock } from '../../src/env/clock.js'
import { SeededRng } from '../../src/env/rng.js'
import { MemoryNetwork } from '../../src/transport/memory.js'
import type { MemoryNetworkOptions } from '../../src/transport/memory-options.js'
import type { Address, Transport } from '../../src/transport/types.js'

/** One delivery as a receiver saw it. */
export interface Arrival {
  at: number
  to: string
  from: string
  data: number[]
}

/** `host:port`. */
export const fmt = (a: Address): string => `${a.host}:${a.port}`

/** A fresh network; `listen(t)` logs what `t` receives into `log` with the virtual time. */
export function setup(options: Partial<MemoryNetworkOptions> = {}, seed = 1) {
  const clock = new ManualClock()
  const net = new MemoryNetwork({ clock, rng: new SeededRng(seed), ...options })
  const log: Arrival[] = []
  const listen = <T extends Transport>(t: T): T => {
    t.onPacket = (from, bytes) => log.push({ at: clock.now(), to: fmt(t.address()), from: fmt(from), data: [...bytes] })
    return t
  }
  return { clock, net, log, listen }
}

/** A two-byte datagram carrying the number `n` (little endian). */
export const one = (n: number): Uint8Array => new Uint8Array([n & 0xff, (n >> 8) & 0xff])

/** The number carried by {@link one}. */
export const idOf = (data: number[]): number => data[0]! | (data[1]! << 8)
