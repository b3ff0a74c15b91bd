/**
 * Anti-amplification (QUIC's rule, RFC 9000 §8.1; DESIGN §9): to an address not yet
 * validated, send at most `factor` × the bytes received from it. An address is validated
 * when it echoes a token we issued to it (proving it receives at that address) or answers
 * one of our introduction-requests with the outstanding random identifier.
 *
 * Every byte the node sends is charged here (walks, punctures, introductions, answers,
 * symbols, pushes): {@link AmplificationGuard.allow} for a reply to an address that wrote to
 * us, {@link AmplificationGuard.allowProbe} for contact we start (a walk, a puncture). The one
 * send beyond 3× is a first-contact probe: to an address that has never sent us anything, one
 * datagram of at most `probeBytes` (a filterless introduction-request or a puncture) —
 * without it a node could never reach a peer that was only introduced to it.
 *
 * Tokens are stateless: the first 16 bytes of SHA-256(secret || address key). The table is
 * bounded; an evicted address starts over as unvalidated, which only ever sends less (and at
 * most one more probe).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { equalBytes } from '../bundle/validate.js'

/** Bytes of an address-validation token. */
export const TOKEN_BYTES = 16

interface Account {
  received: number
  sent: number
  validated: boolean
  /** When the last first-contact probe of our own (a walk) was sent (ms), if ever. */
  probedAt: number | undefined
  /** When the last puncture a third party asked for was sent as a first-contact probe (ms), if ever. */
  puncturedAt: number | undefined
}

/**
 * Whose first contact a probe is: our own walk, or a puncture a validated introducer asked
 * us for. Each has its own probe per interval, so the puncture that Dispersy's handshake
 * sends toward an introduced walker does not use up the probe of our own walk to it (a
 * symmetric NAT opens a port per destination only when we write to it, and it is our walk's
 * answer that votes our WAN address).
 */
export type ProbeKind = 'walk' | 'puncture'

/** Largest first-contact probe: an IPv6 introduction-request without an offer, or a puncture, with room to spare. */
export const DEFAULT_PROBE_BYTES = 256
/** Least time between two first-contact probes to one address (a lost probe is retried after it). */
export const DEFAULT_PROBE_INTERVAL_MS = 20_000

export interface AmplificationInit {
  /** 32 random bytes; tokens are unforgeable without it. */
  secret: Uint8Array
  /** Bytes sent ≤ factor × bytes received to an unvalidated address. Default 3. */
  factor?: number
  /** Addresses tracked; least recently active evicted first. Default 4 096. */
  maxAddresses?: number
  /** Largest first-contact probe in bytes. Default {@link DEFAULT_PROBE_BYTES}. */
  probeBytes?: number
  /** Least ms between two first-contact probes to one address. Default {@link DEFAULT_PROBE_INTERVAL_MS}. */
  probeIntervalMs?: number
}

export interface AmplificationStats {
  /** Datagrams not sent because they would exceed the limit. */
  blocked: number
  blockedBytes: number
  /** First-contact probes sent (beyond 3×: to addresses that had not sent enough yet). */
  probes: number
  validated: number
  evicted: number
  tracked: number
}

/** Per-address byte accounting and address-validation tokens. */
export class AmplificationGuard {
  readonly factor: number
  readonly probeBytes: number
  readonly probeIntervalMs: number
  readonly #secret: Uint8Array
  readonly #max: number
  readonly #accounts = new Map<string, Account>()
  readonly #stats = { blocked: 0, blockedBytes: 0, probes: 0, validated: 0, evicted: 0 }
  readonly #encoder = new TextEncoder()

  constructor(init: AmplificationInit) {
    this.#secret = init.secret
    this.factor = init.factor ?? 3
    this.#max = init.maxAddresses ?? 4096
    this.probeBytes = init.probeBytes ?? DEFAULT_PROBE_BYTES
    this.probeIntervalMs = init.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS
  }

  stats(): AmplificationStats {
    return { ...this.#stats, tracked: this.#accounts.size }
  }

  /** Counts bytes received from `key`. */
  received(key: string, bytes: number): void {
    this.#account(key).received += bytes
  }

  /** True when `key` has proven it receives at its address. */
  isValidated(key: string): boolean {
    return this.#accounts.get(key)?.validated === true
  }

  /** Marks `key` validated (it echoed a token or answered our random identifier). */
  validate(key: string): void {
    const a = this.#account(key)
    if (!a.validated) this.#stats.validated++
    a.validated = true
  }

  /**
   * Whether `bytes` more may be sent to `key`; when yes they are counted as sent. A blocked
   * send is counted and must be dropped by the caller.
   */
  allow(key: string, bytes: number): boolean {
    const a = this.#account(key)
    if (!a.validated && a.sent + bytes > this.factor * a.received) return this.#block(bytes)
    a.sent += bytes
    return true
  }

  /**
   * Like {@link allow}, for contact we start (a walk, a puncture): to an address that has
   * never sent us anything (so its 3× is 0), one datagram of at most {@link probeBytes} per
   * {@link probeIntervalMs} is allowed (its first-contact probe). When yes the bytes are
   * counted as sent. `now`: the node's clock, ms. `vouched`: a validated peer introduced the
   * address (walker.ts), so the probe is allowed once per interval even after it sent us
   * something: else a few probes its NAT dropped would use up the 3× of its later puncture
   * and we could never walk to it. `kind`: our walk's probe and an asked-for puncture each
   * have their own one per interval ({@link ProbeKind}), so at most two datagrams of
   * `probeBytes` per interval go to an address that never answered.
   */
  allowProbe(key: string, bytes: number, now: number, vouched = false, kind: ProbeKind = 'walk'): boolean {
    const a = this.#account(key)
    if (a.validated || a.sent + bytes <= this.factor * a.received) {
      a.sent += bytes
      return true
    }
    // Only an address that never sent us anything gets a probe: one that did has its 3×.
    const last = kind === 'walk' ? a.probedAt : a.puncturedAt
    if ((last !== undefined && now - last < this.probeIntervalMs) || (a.received > 0 && !vouched) || bytes > this.probeBytes) return this.#block(bytes)
    if (kind === 'walk') a.probedAt = now
    else a.puncturedAt = now
    a.sent += bytes
    this.#stats.probes++
    return true
  }

  /**
   * A matched puncture from `key` (it echoed an identifier we gave a validated introducer):
   * it is reaching out to us now, so its next first-contact probe need not wait out the
   * interval of probes its NAT dropped before. Matched punctures come at most one per walk.
   */
  punctured(key: string): void {
    const a = this.#accounts.get(key)
    if (a !== undefined) a.probedAt = undefined
  }

  /** Counts `bytes` sent to `key` without a limit (a walk to a candidate we were given). */
  count(key: string, bytes: number): void {
    this.#account(key).sent += bytes
  }

  /** Bytes sent to and received from `key` so far, and whether it validated (undefined when untracked). */
  account(key: string): Readonly<{ sent: number; received: number; validated: boolean }> | undefined {
    const a = this.#accounts.get(key)
    return a === undefined ? undefined : { sent: a.sent, received: a.received, validated: a.validated }
  }

  #block(bytes: number): false {
    this.#stats.blocked++
    this.#stats.blockedBytes += bytes
    return false
  }

  /** Bytes that may still be sent to `key` right now (Infinity once validated). */
  remaining(key: string): number {
    const a = this.#accounts.get(key)
    if (a === undefined) return 0
    return a.validated ? Infinity : Math.max(0, this.factor * a.received - a.sent)
  }

  /** The token for `key`: echoing it in a later request validates the address. */
  token(key: string): Uint8Array {
    return sha256.create().update(this.#secret).update(this.#encoder.encode(key)).digest().subarray(0, TOKEN_BYTES)
  }

  /** Validates `key` when `token` is the one issued to it; returns whether it was. */
  checkToken(key: string, token: Uint8Array | undefined): boolean {
    if (token === undefined || token.length !== TOKEN_BYTES || !equalBytes(token, this.token(key))) return false
    this.validate(key)
    return true
  }

  #account(key: string): Account {
    let a = this.#accounts.get(key)
    if (a !== undefined) {
      // Refresh recency: Map iteration order is insertion order.
      this.#accounts.delete(key)
      this.#accounts.set(key, a)
      return a
    }
    a = { received: 0, sent: 0, validated: false, probedAt: undefined, puncturedAt: undefined }
    this.#accounts.set(key, a)
    while (this.#accounts.size > this.#max) {
      const oldest = this.#accounts.keys().next().value as string
      this.#accounts.delete(oldest)
      this.#stats.evicted++
    }
    return a
  }
}
