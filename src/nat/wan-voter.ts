/**
 * WAN-address voting and connection-type classification (DESIGN §6).
 *
 * Every introduction-request and introduction-response carries the address the sender
 * sent it to: the sender's view of our WAN address. Each such view is a vote. Our WAN
 * address is the address with the most votes; the current one is only replaced by an
 * address with strictly more votes, so a tie never flaps. Pure bookkeeping: the caller
 * passes in the addresses it decoded, nothing here touches a socket.
 */
import { BloomwalkError } from '../errors.js'
import { type Address, addressKey, canonicalHost, isUnspecifiedHost, isValidAddress, sameHost } from './address.js'
import { intOption } from './assert.js'
import type { ConnectionType } from './types.js'

/** Default voter window: big enough that a few liars cannot outvote, small enough to follow a network change. */
export const DEFAULT_MAX_VOTERS = 64

/** Options of a {@link WanVoter}. */
export interface WanVoterInit {
  /** Our LAN (socket) address; `public` means the voted WAN equals it. */
  lan: Address
  /** Voters remembered (one vote each); the least recent voter is forgotten first. Default {@link DEFAULT_MAX_VOTERS}. */
  maxVoters?: number
}

/** The outcome of one {@link WanVoter.vote}. */
export type VoteOutcome =
  /** Counted, and our WAN address changed. */
  | 'changed'
  /** Counted; the WAN address stayed. */
  | 'counted'
  /** Not counted: malformed address, or a voter behind our own NAT (see {@link WanVoter.vote}). */
  | 'ignored'

interface Ballot {
  /** Key of the address voted for. */
  choice: string
  /** Canonical host of the voter, for the symmetric-NAT test. */
  voterHost: string
}

interface Tally {
  address: Address
  count: number
}

/**
 * Majority vote over the WAN addresses that peers report for us.
 *
 * Rules:
 * - one vote per voter (keyed by the voter's address); a later vote from the same voter
 *   replaces its earlier one;
 * - the current WAN address changes only when another address has strictly more votes;
 *   when several addresses tie for the most votes, the one just voted for wins, then
 *   the first one voted for;
 * - at most `maxVoters` voters are remembered; the least recently voting one is forgotten
 *   (its vote withdrawn), so the state is a sliding window over recent voters.
 */
export class WanVoter {
  readonly #maxVoters: number
  #lan: Address
  #lanKey: string
  /** voter key → ballot; Map order is least recent first. */
  readonly #ballots = new Map<string, Ballot>()
  /** address key → votes; entries with zero votes are deleted. */
  readonly #tally = new Map<string, Tally>()
  #wanKey: string | undefined
  #wan: Address | undefined

  /** @throws {BloomwalkError} INVALID_ARGUMENT for an invalid LAN address or `maxVoters` < 1 */
  constructor(init: WanVoterInit) {
    this.#maxVoters = intOption('WanVoter', 'maxVoters', init.maxVoters, DEFAULT_MAX_VOTERS, 1)
    this.#lanKey = lanKey('WanVoter', init.lan)
    this.#lan = init.lan
  }

  /** Our LAN address. */
  get lan(): Address {
    return this.#lan
  }

  /**
   * Replaces our LAN address (a roaming device). Votes are kept; only the `public`
   * test changes.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `lan` is not a valid address
   */
  setLan(lan: Address): void {
    this.#lanKey = lanKey('WanVoter.setLan', lan)
    this.#lan = lan
  }

  /** The current WAN address (most votes), or `undefined` before the first vote. */
  get wan(): Address | undefined {
    return this.#wan
  }

  /** Number of voters currently remembered. */
  get voterCount(): number {
    return this.#ballots.size
  }

  /** Votes currently held by `address`. */
  votesFor(address: Address): number {
    if (!isValidAddress(address)) return 0
    return this.#tally.get(addressKey(address))?.count ?? 0
  }

  /** Every address with at least one vote, with its vote count, most votes first. */
  standings(): Array<{ address: Address; votes: number }> {
    return [...this.#tally.values()].map((t) => ({ address: t.address, votes: t.count })).sort((a, b) => b.votes - a.votes)
  }

  /**
   * Records that `voter` saw us at `seen`.
   *
   * The voter's previous vote, if any, is withdrawn first. The new vote is ignored when
   * either address is malformed, or when `voterWan` (the voter's own claimed WAN address)
   * has the same IP as our current WAN address: such a voter is behind our own NAT and
   * reached us through the LAN, so it cannot see our WAN address.
   */
  vote(voter: Address, seen: Address, voterWan?: Address): VoteOutcome {
    if (!isValidAddress(voter)) return 'ignored'
    const voterKey = addressKey(voter)
    const before = this.#wanKey
    this.#withdraw(voterKey)
    const behindOurNat = voterWan !== undefined && this.#wan !== undefined && sameHost(voterWan.host, this.#wan.host)
    if (!isValidAddress(seen) || behindOurNat) {
      this.#settle(undefined)
      return before === this.#wanKey ? 'ignored' : 'changed'
    }
    const choice = addressKey(seen)
    this.#ballots.set(voterKey, { choice, voterHost: canonicalHost(voter.host)! })
    const tally = this.#tally.get(choice)
    if (tally === undefined) this.#tally.set(choice, { address: { host: canonicalHost(seen.host)!, port: seen.port }, count: 1 })
    else tally.count++
    while (this.#ballots.size > this.#maxVoters) {
      const oldest = this.#ballots.keys().next().value as string
      this.#withdraw(oldest)
    }
    this.#settle(choice)
    return before === this.#wanKey ? 'counted' : 'changed'
  }

  /**
   * The connection type the votes imply:
   * - `public`: exactly one address has votes and it equals our LAN address;
   * - `symmetric-NAT`: two or more addresses have votes, and every one of them was voted
   *   for by voters of a single IP only (each remote IP sees its own mapping of us);
   * - `unknown`: anything else (no votes, one WAN address that is not our LAN address,
   *   or a mix where some mapping is shared by several remote IPs).
   */
  connectionType(): ConnectionType {
    if (this.#tally.size === 0) return 'unknown'
    if (this.#tally.size === 1) return this.#tally.has(this.#lanKey) ? 'public' : 'unknown'
    const hostsPerChoice = new Map<string, string>()
    for (const ballot of this.#ballots.values()) {
      const seenHost = hostsPerChoice.get(ballot.choice)
      if (seenHost === undefined) hostsPerChoice.set(ballot.choice, ballot.voterHost)
      else if (!sameHost(seenHost, ballot.voterHost)) return 'unknown'
    }
    return 'symmetric-NAT'
  }

  /** Forgets every vote (e.g. after the network interface changed). The LAN address stays. */
  reset(): void {
    this.#ballots.clear()
    this.#tally.clear()
    this.#wanKey = undefined
    this.#wan = undefined
  }

  #withdraw(voterKey: string): void {
    const ballot = this.#ballots.get(voterKey)
    if (ballot === undefined) return
    this.#ballots.delete(voterKey)
    const tally = this.#tally.get(ballot.choice)
    if (tally === undefined) return
    tally.count--
    if (tally.count === 0) this.#tally.delete(ballot.choice)
  }

  /** Switches to the leading address if it has strictly more votes than the current one. */
  #settle(justVoted: string | undefined): void {
    let bestKey: string | undefined
    let best = 0
    for (const [key, t] of this.#tally) {
      if (t.count > best || (t.count === best && key === justVoted)) {
        bestKey = key
        best = t.count
      }
    }
    if (bestKey === undefined || bestKey === this.#wanKey) return
    const current = this.#wanKey === undefined ? 0 : (this.#tally.get(this.#wanKey)?.count ?? 0)
    if (best > current) {
      this.#wanKey = bestKey
      this.#wan = this.#tally.get(bestKey)!.address
    }
  }
}

/**
 * The address to use for a peer that has both a LAN and a WAN address: its LAN address
 * when it shares our WAN IP (we are behind the same NAT, and most NATs do not hairpin),
 * else its WAN address. A peer LAN address that is unusable (bad port, unspecified host
 * such as `0.0.0.0`) falls back to the WAN address.
 */
export function chooseAddress(peerLan: Address, peerWan: Address, ourWanHost: string | undefined): Address {
  if (ourWanHost === undefined || !sameHost(peerWan.host, ourWanHost)) return peerWan
  if (!isValidAddress(peerLan) || isUnspecifiedHost(peerLan.host)) return peerWan
  return peerLan
}

function lanKey(title: string, lan: Address): string {
  if (!isValidAddress(lan)) throw new BloomwalkError('INVALID_ARGUMENT', `${title}: invalid LAN address ${String(lan.host)}:${String(lan.port)}`)
  return addressKey(lan)
}
