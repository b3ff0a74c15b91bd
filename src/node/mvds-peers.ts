/**
 * Who an MVDS peer is and where it is (issue 19). A peer shared with a member key is
 * identified by that key (hex); its address is only where to send, and `share` with a new
 * address moves it, keeping its records. A peer shared by address alone is identified by
 * `IP:port`. Inbound payloads are attributed by their source address: a key peer is
 * recognised at the address it was last shared at (never moved by an unauthenticated
 * datagram). Bounded: the oldest entry is forgotten past {@link MAX_PEER_ADDRESSES}.
 */
import { addressKey, parseAddressKey, type Address } from '../wire/index.js'

/** Key peers remembered at most (MvdsNode keeps at most `maxPeers` = 1 024 peers). */
export const MAX_PEER_ADDRESSES = 4096

export class MvdsPeerBook {
  /** Peer id (hex key) → address key. */
  readonly #addressOf = new Map<string, string>()
  /** Address key → peer id (hex key). */
  readonly #peerAt = new Map<string, string>()

  /**
   * The peer id of a share: the hex key when given (its address recorded or moved), else the
   * address key.
   */
  place(address: Address, key: string | undefined): string {
    const at = addressKey(address)
    if (key === undefined) return at
    const before = this.#addressOf.get(key)
    if (before !== undefined && this.#peerAt.get(before) === key) this.#peerAt.delete(before)
    this.#addressOf.delete(key)
    this.#addressOf.set(key, at)
    const other = this.#peerAt.get(at)
    if (other !== undefined && other !== key) this.#addressOf.delete(other)
    this.#peerAt.set(at, key)
    if (this.#addressOf.size > MAX_PEER_ADDRESSES) {
      const [oldest, where] = this.#addressOf.entries().next().value as [string, string]
      this.#addressOf.delete(oldest)
      if (this.#peerAt.get(where) === oldest) this.#peerAt.delete(where)
    }
    return key
  }

  /** The peer id of a datagram's source. */
  peerAt(address: Address): string {
    const at = addressKey(address)
    return this.#peerAt.get(at) ?? at
  }

  /** Where to send to a peer id; null when unknown. */
  addressOf(peer: string): Address | null {
    return parseAddressKey(this.#addressOf.get(peer) ?? peer)
  }

  /** Every (peer id, address key), for persistence. */
  entries(): Array<[string, string]> {
    return [...this.#addressOf]
  }

  get size(): number {
    return this.#addressOf.size
  }
}
