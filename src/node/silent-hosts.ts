/**
 * Hosts that ignored an idle check (docs/security.md, "Sybil and eclipse"): a walked peer
 * that answers introduction-requests but none of a whole catch-up session's symbols-requests
 * (first request and every retry) is not idle-checked again, on any of its ports, for
 * {@link SILENT_HOST_BACKOFF_MS}. A Sybil that claims to be in sync and forwards nothing then
 * holds the overlay's one catch-up session once per host per backoff, not on every walk to
 * one of its ports. Bounded; `now`-taking; sans-I/O.
 */
import { hostKey } from '../nat/index.js'

/** How long a host that ignored a whole idle check is not idle-checked again (ms): ten idle-check intervals. */
export const SILENT_HOST_BACKOFF_MS = 600_000
/** Silent hosts remembered per overlay; the oldest mark is dropped first. */
export const MAX_SILENT_HOSTS = 256

export class SilentHosts {
  readonly #marked = new Map<string, number>()
  readonly #backoffMs: number
  readonly #max: number

  constructor(backoffMs = SILENT_HOST_BACKOFF_MS, max = MAX_SILENT_HOSTS) {
    this.#backoffMs = backoffMs
    this.#max = max
  }

  get size(): number {
    return this.#marked.size
  }

  /** Marks the host of `host` (its IPv4 address or IPv6 /64) silent at `now`. */
  mark(host: string, now: number): void {
    const key = hostKey(host) ?? host
    this.#marked.delete(key)
    this.#marked.set(key, now)
    if (this.#marked.size > this.#max) this.#marked.delete(this.#marked.keys().next().value as string)
  }

  /** True while the host of `host` is within the backoff of its last mark. */
  isSilent(host: string, now: number): boolean {
    const key = hostKey(host) ?? host
    const at = this.#marked.get(key)
    if (at === undefined) return false
    if (now - at < this.#backoffMs) return true
    this.#marked.delete(key)
    return false
  }

  /** The host answered: forget its mark. */
  clear(host: string): void {
    this.#marked.delete(hostKey(host) ?? host)
  }
}
