/**
 * Who may author a private group's bundles (issue 19). `share(group, peer, { key })` lists
 * the peer's public key as a member; once a group lists any key, an MVDS message of that
 * group is accepted only when its bundle's author is a listed member or ourselves — so a
 * member cannot relay, and nobody can inject, bundles of non-members. A group with no key
 * listed is restricted by address only (the peers it is shared with).
 */
import { BloomwalkError } from '../errors.js'

/** Member keys kept in all, at most (each `share` with a key adds at most one). */
export const MAX_MEMBER_KEYS = 4096

export class GroupMembers {
  /** Hex group id → hex public keys of its members. */
  readonly #keys = new Map<string, Set<string>>()
  #count = 0

  constructor(readonly selfKey: string) {}

  /**
   * Lists a member key of a group.
   * @throws {BloomwalkError} INVALID_ARGUMENT past {@link MAX_MEMBER_KEYS}
   */
  add(group: string, key: string): void {
    let keys = this.#keys.get(group)
    if (keys?.has(key) === true) return
    if (this.#count >= MAX_MEMBER_KEYS) throw new BloomwalkError('INVALID_ARGUMENT', `at most ${MAX_MEMBER_KEYS} member keys`)
    if (keys === undefined) this.#keys.set(group, (keys = new Set()))
    keys.add(key)
    this.#count++
  }

  /** True when the group lists no key, or `author` is a listed member or ourselves. */
  allows(group: string, author: string): boolean {
    const keys = this.#keys.get(group)
    return keys === undefined || author === this.selfKey || keys.has(author)
  }

  /** Every (group, keys) pair, for persistence. */
  entries(): Array<[string, string[]]> {
    return [...this.#keys].map(([g, keys]) => [g, [...keys]])
  }
}
