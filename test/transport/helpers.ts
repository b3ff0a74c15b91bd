/** Test helpers for transports: an awaitable inbox and UDP transports torn down with the test. */
import { onTestFinished } from 'vitest'
import { createUdpTransport, type UdpTransport, type UdpTransportOptions } from '../../src/transport/udp.js'
import type { Address, Transport } from '../../src/transport/types.js'

/** One received datagram. */
export interface Received {
  from: Address
  bytes: Uint8Array
}

/** Collects what `transport` receives; `next()` resolves with the next datagram (no sleeping, no polling). */
export interface Inbox {
  next(): Promise<Received>
  readonly queued: readonly Received[]
}

/** Installs an `onPacket` on `transport` that feeds an {@link Inbox}. */
export function inbox(transport: Transport): Inbox {
  const queued: Received[] = []
  const waiters: ((r: Received) => void)[] = []
  transport.onPacket = (from, bytes) => {
    const r = { from, bytes }
    const waiter = waiters.shift()
    if (waiter !== undefined) waiter(r)
    else queued.push(r)
  }
  return {
    next: () => {
      const r = queued.shift()
      return r !== undefined ? Promise.resolve(r) : new Promise<Received>((resolve) => waiters.push(resolve))
    },
    queued
  }
}

/** A UDP transport that is closed when the current test finishes, pass or fail. */
export async function udp(options: UdpTransportOptions = {}): Promise<UdpTransport> {
  const t = await createUdpTransport(options)
  onTestFinished(() => t.close())
  return t
}

/** True when a UDP socket can be bound on `host` (e.g. `::1` in a container without IPv6). */
export async function canBind(host: string): Promise<boolean> {
  try {
    const t = await createUdpTransport({ host, type: host.includes(':') ? 'udp6' : 'udp4' })
    await t.close()
    return true
  } catch {
    return false
  }
}

/** Bytes 0, 1, 2, … (mod 256) of length `n`, tagged with `tag` in the first byte. */
export function payload(n: number, tag = 0): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = i & 0xff
  if (n > 0) b[0] = tag
  return b
}
