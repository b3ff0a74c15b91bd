/**
 * Which table entries share an IPv4 /24 and /16 (IPv6 /48 and /32), for the per-subnet
 * caps (internal to `candidates`).
 */
import { type SubnetKeys, subnetKeys } from '../nat/index.js'

/** Entry keys grouped by subnet. Memory is proportional to the number of entries. */
export class SubnetIndex {
  readonly #byKey = new Map<string, SubnetKeys>()
  readonly #members = new Map<string, Set<string>>()

  /** Files `key` under the subnets of `host` (ignored when `host` is not an IP literal). */
  add(key: string, host: string): void {
    const subnets = subnetKeys(host)
    if (subnets === undefined || this.#byKey.has(key)) return
    this.#byKey.set(key, subnets)
    for (const s of [subnets.narrow, subnets.wide]) {
      let set = this.#members.get(s)
      if (set === undefined) this.#members.set(s, (set = new Set()))
      set.add(key)
    }
  }

  /** Forgets `key`. */
  remove(key: string): void {
    const subnets = this.#byKey.get(key)
    if (subnets === undefined) return
    this.#byKey.delete(key)
    for (const s of [subnets.narrow, subnets.wide]) {
      const set = this.#members.get(s)
      set?.delete(key)
      if (set?.size === 0) this.#members.delete(s)
    }
  }

  /** Keys filed under `subnet` (a key from {@link subnetKeys}). */
  members(subnet: string): string[] {
    return [...(this.#members.get(subnet) ?? [])]
  }

  /** Number of distinct subnets tracked (narrow and wide together). */
  get subnetCount(): number {
    return this.#members.size
  }
}
