/**
 * The candidate table of one overlay (DESIGN §6, §9): categorised peers with `now`-based
 * lifetimes, the walker's choice, who to introduce, and the caps that keep a flooding
 * attacker to a bounded share. Sans-I/O: the caller passes `now` and an {@link Rng}.
 */
import { BloomwalkError } from '../errors.js'
import { type Rng, pick } from '../env/rng.js'
import { type Address, type ConnectionType, addressKey, hostKey, isValidAddress, parseAddressKey, subnetKeys } from '../nat/index.js'
import { type Candidate, type Category, answeredLastWalk, categoryOf, isUseful } from './candidate.js'
import { type CandidateTableInit, type CandidateTableOptions, resolveOptions } from './options.js'
import { type Entry, EVICTION_RANK, drawCategory, evictionVictim, introductionPools, oldestEligible, withTrustedShare } from './select.js'
import { SubnetIndex } from './subnets.js'
import type { CandidateTableStats, CategoryCounts, IntroInfo, PeerInfo } from './types.js'

type Status = 'walk' | 'stumble' | 'intro'

function snapshot(e: Entry): Candidate {
  const { seq: _seq, host: _host, ...c } = e
  return c
}

function assertNow(title: string, now: number): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new BloomwalkError('INVALID_ARGUMENT', `CandidateTable.${title}: now must be a finite number of milliseconds, got ${String(now)}`)
  }
}

/**
 * The candidate table. Bounds: at most `maxCandidates` non-trusted entries, and at most
 * `maxPerNarrowSubnet` / `maxPerWideSubnet` stumble + intro entries per IPv4 /24 and /16
 * (IPv6 /48 and /32). Caps are enforced when an entry is admitted (a new key, or one
 * whose statuses had all expired) by evicting:
 * - for a subnet cap, the intro, then stumble entry of that subnet seen longest ago;
 * - for the total cap, an expired entry first, then the intro, stumble and finally walk
 *   entry seen longest ago.
 * Neither evicts an entry more proven than the newcomer: a new intro entry may only
 * displace expired or intro entries, a new stumble entry also stumble ones, a new walk
 * entry any. When nothing may be displaced the newcomer is refused, so a flood of
 * hearsay or requests cannot push out peers that answered us.
 * Trusted entries are never evicted and count toward no cap. Walk entries are not
 * subnet-capped: they answered a request we chose to send. Every method is O(entries).
 */
export class CandidateTable {
  readonly options: CandidateTableOptions
  readonly #entries = new Map<string, Entry>()
  readonly #subnets = new SubnetIndex()
  #seq = 0
  #trustedCount = 0
  #introduceWalkNext = true
  readonly #stats: CandidateTableStats = { refused: 0, evicted: 0, timedOut: 0, purged: 0 }

  /** @throws {BloomwalkError} INVALID_ARGUMENT for an invalid option (see {@link resolveOptions}) */
  constructor(init: CandidateTableInit = {}) {
    this.options = resolveOptions(init)
  }

  /** Entries in the table, trusted included. */
  get size(): number {
    return this.#entries.size
  }

  /** A copy of the counters. */
  stats(): CandidateTableStats {
    return { ...this.#stats }
  }

  /** A snapshot of the candidate at `key` (any spelling of the address), if present. */
  get(key: string): Candidate | undefined {
    const e = this.#find(key)
    return e === undefined ? undefined : snapshot(e)
  }

  /** The candidate's category at `now`, or `undefined` when absent or expired. */
  category(key: string, now: number): Category | undefined {
    const e = this.#find(key)
    return e === undefined ? undefined : categoryOf(e, now, this.options)
  }

  /** Snapshots of every entry whose category at `now` is `category` (all live ones when omitted). */
  list(now: number, category?: Category): Candidate[] {
    const out: Candidate[] = []
    for (const e of this.#entries.values()) {
      const cat = categoryOf(e, now, this.options)
      if (cat !== undefined && (category === undefined || cat === category)) out.push(snapshot(e))
    }
    return out
  }

  /**
   * Adds a configured tracker or trusted peer: category `trusted`, never expires, never
   * evicted, outside every cap.
   * @throws {BloomwalkError} INVALID_ARGUMENT when `key` is not an address key
   */
  addTrusted(key: string): Candidate {
    const address = parseAddressKey(key)
    if (address === null) throw new BloomwalkError('INVALID_ARGUMENT', `CandidateTable.addTrusted: not an address key: ${key}`)
    const e = this.#entries.get(addressKey(address)) ?? this.#insert(addressKey(address), address)
    if (!e.trusted) this.#trustedCount++
    e.trusted = true
    return snapshot(e)
  }

  /** Records that we sent an introduction-request to `key` at `now`. False when `key` is not in the table. */
  recordWalk(key: string, now: number): boolean {
    assertNow('recordWalk', now)
    const e = this.#find(key)
    if (e === undefined) return false
    e.lastWalk = now
    return true
  }

  /** Records an introduction-response from `key`: it becomes (or stays) a verified walk candidate. `undefined` when refused. */
  recordWalkReply(key: string, info: PeerInfo, now: number): Candidate | undefined {
    return this.#record(key, 'walk', info, now)
  }

  /** Records an introduction-request from `key`: it becomes (or stays) a verified stumble candidate. `undefined` when refused. */
  recordStumble(key: string, info: PeerInfo, now: number): Candidate | undefined {
    return this.#record(key, 'stumble', info, now)
  }

  /**
   * Records that a third party introduced `key` to us, or that `key` punctured us. Hearsay
   * never overwrites what a verified candidate said about itself. `undefined` when refused.
   */
  recordIntro(key: string, info: IntroInfo, now: number): Candidate | undefined {
    return this.#record(key, 'intro', info, now)
  }

  /**
   * True when `key` sent us a bundle we did not hold within `usefulLifetimeMs` (it counts as a
   * peer of its own, apart from the other ports of its host). False for an unknown key.
   */
  isUseful(key: string, now: number): boolean {
    const c = this.get(key)
    return c !== undefined && isUseful(c, now, this.options)
  }

  /**
   * Records that `key` sent us a bundle we did not hold: for `usefulLifetimeMs` it is a walk
   * target of its own rather than one more port of its host (see {@link nextWalkTarget}).
   * Changes no category or lifetime. False when `key` is not in the table.
   */
  recordUseful(key: string, now: number): boolean {
    assertNow('recordUseful', now)
    const e = this.#find(key)
    if (e === undefined) return false
    e.lastUseful = now
    return true
  }

  /**
   * Drops the walk status of `key` when our last introduction-request to it got no
   * response within `walkTimeoutMs` (call it when that timer fires). Does nothing, and
   * returns false, if the walk was answered (a reply at or after the walk), is not yet
   * due, or `key` is unknown. An entry left with no live status is removed.
   */
  walkTimedOut(key: string, now: number): boolean {
    assertNow('walkTimedOut', now)
    const e = this.#find(key)
    if (e === undefined || e.lastWalk === undefined || now < e.lastWalk + this.options.walkTimeoutMs) return false
    if (answeredLastWalk(e)) return false
    e.lastWalkReply = undefined
    this.#stats.timedOut++
    if (categoryOf(e, now, this.options) === undefined) this.#delete(e.key)
    return true
  }

  /** Removes `key`, trusted or not. */
  remove(key: string): boolean {
    const e = this.#find(key)
    if (e === undefined) return false
    this.#delete(e.key)
    return true
  }

  /** Removes every non-trusted entry whose statuses have all expired at `now`; returns how many. */
  purge(now: number): number {
    assertNow('purge', now)
    let n = 0
    for (const e of [...this.#entries.values()]) {
      if (categoryOf(e, now, this.options) === undefined) {
        this.#delete(e.key)
        n++
      }
    }
    this.#stats.purged += n
    return n
  }

  /** Candidates per category at `now`. */
  counts(now: number): CategoryCounts {
    const c: CategoryCounts = { trusted: 0, walk: 0, stumble: 0, intro: 0, expired: 0, total: this.#entries.size }
    for (const e of this.#entries.values()) c[categoryOf(e, now, this.options) ?? 'expired']++
    return c
  }

  /**
   * The walker's next target at `now`: draws a category among those with an eligible
   * candidate, with probability proportional to its weight, then takes that category's
   * eligible candidate walked to longest ago (never walked first). A host's (IPv4 address,
   * IPv6 /64) unproven ports count once: none of them is eligible within
   * `walkEligibleDelayMs` of a walk to any of them, while a port that sent us a new bundle
   * ({@link recordUseful}) within `usefulLifetimeMs` counts as a peer of its own (see
   * {@link oldestEligible}). With
   * `prefer` (e.g. "has forwarded us a bundle"), the drawn category's eligible entries for
   * which it holds are taken first. While we may be behind a trusted peer (one sent us a bundle
   * we lacked within `usefulLifetimeMs`, `ahead` holds for it: it reported a global time above
   * ours, or no trusted entry was walked to within `trustedRecheckMs`), the trusted category
   * gets `behindTrustedShare` of the draw (docs/security.md, rule 6): an eclipsed node returns
   * to the peers it trusts while they have what it lacks, and checks them now and then.
   * When no candidate is eligible, the non-trusted candidate walked to longest ago, if that
   * was at least `revisitDelayMs` ago and answered (a short table keeps pulling every step),
   * or, when there is none, the trusted entry walked to longest ago (at least as long ago);
   * `undefined` when there is none either. Does not record the walk: call
   * {@link recordWalk} when sending.
   */
  nextWalkTarget(now: number, rng: Rng, prefer?: (key: string) => boolean, ahead?: (key: string) => boolean): Candidate | undefined {
    assertNow('nextWalkTarget', now)
    const entries = [...this.#entries.values()]
    const best = oldestEligible(entries, now, this.options, prefer)
    const behind = this.options.behindTrustedShare > 0 && this.#behindTrusted(entries, now, ahead)
    const weights = behind ? withTrustedShare(this.options.categoryWeights, this.options.behindTrustedShare) : this.options.categoryWeights
    const cat = drawCategory([...best.keys()], weights, rng)
    const e = cat === undefined ? this.#revisit(entries, now, prefer) : best.get(cat)
    return e === undefined ? undefined : snapshot(e)
  }

  /**
   * No candidate is eligible: the non-trusted one walked to longest ago, when that was at
   * least `revisitDelayMs` ago and it answered that walk (the same host and `prefer` rules,
   * with the shorter delay). A short table keeps pulling every step instead of idling until
   * the eligibility delay ends, and an address that did not answer is left to its walk
   * timeout. Trusted entries keep their delay (a tracker holds no bundles) unless no other
   * peer can be walked to: a peer whose first answers were lost knows nobody that answered,
   * and only a tracker can introduce it (answered or not: a lost answer is why it is alone).
   */
  #revisit(entries: readonly Entry[], now: number, prefer?: (key: string) => boolean): Entry | undefined {
    const o = this.options
    if (o.revisitDelayMs >= o.walkEligibleDelayMs) return undefined
    const revisitable = oldestEligible(entries, now, { ...o, walkEligibleDelayMs: o.revisitDelayMs }, prefer, (e) => e.trusted || answeredLastWalk(e))
    let found: Entry | undefined
    for (const [cat, e] of revisitable) {
      if (cat === 'trusted' || o.categoryWeights[cat] === 0) continue
      if (found === undefined || (e.lastWalk ?? -Infinity) < (found.lastWalk ?? -Infinity)) found = e
    }
    return found ?? (o.categoryWeights.trusted > 0 ? revisitable.get('trusted') : undefined)
  }

  /**
   * A candidate to introduce to the requester at `now`: alternately (from one call to the
   * next) a walk and a stumble candidate, falling back to the other category when the
   * preferred one has none, chosen uniformly within it. Only verified walk/stumble
   * candidates; never intro or trusted ones, never the requester, never a symmetric-NAT
   * candidate to a symmetric-NAT requester on a different WAN IP.
   */
  pickIntroduction(requesterKey: string, requesterConnType: ConnectionType, requesterWanHost: string | undefined, now: number, rng: Rng): Candidate | undefined {
    assertNow('pickIntroduction', now)
    const parsed = parseAddressKey(requesterKey)
    const requester = { key: parsed === null ? requesterKey : addressKey(parsed), connectionType: requesterConnType, wanHost: requesterWanHost }
    const pools = introductionPools(this.#entries.values(), requester, now, this.options)
    const walkFirst = this.#introduceWalkNext
    this.#introduceWalkNext = !walkFirst
    const [first, second] = walkFirst ? [pools.walk, pools.stumble] : [pools.stumble, pools.walk]
    const e = pick(rng, first.length > 0 ? first : second)
    return e === undefined ? undefined : snapshot(e)
  }

  #behindTrusted(entries: readonly Entry[], now: number, ahead: ((key: string) => boolean) | undefined): boolean {
    let lastTrustedWalk = -Infinity
    let trusted = false
    for (const e of entries) {
      if (!e.trusted) continue
      trusted = true
      if (isUseful(e, now, this.options) || ahead?.(e.key) === true) return true
      lastTrustedWalk = Math.max(lastTrustedWalk, e.lastWalk ?? -Infinity)
    }
    const recheck = this.options.trustedRecheckMs
    return trusted && recheck > 0 && now - lastTrustedWalk >= recheck
  }

  #find(key: string): Entry | undefined {
    const direct = this.#entries.get(key)
    if (direct !== undefined) return direct
    const parsed = parseAddressKey(key)
    return parsed === null ? undefined : this.#entries.get(addressKey(parsed))
  }

  #record(rawKey: string, status: Status, info: PeerInfo | IntroInfo, now: number): Candidate | undefined {
    assertNow(status === 'walk' ? 'recordWalkReply' : status === 'stumble' ? 'recordStumble' : 'recordIntro', now)
    const address = parseAddressKey(rawKey)
    if (address === null) {
      this.#stats.refused++
      return undefined
    }
    const key = addressKey(address)
    let e = this.#entries.get(key)
    const live = e !== undefined && categoryOf(e, now, this.options) !== undefined
    if (!live && status !== 'walk' && !this.#admitToSubnets(key, address.host, now, EVICTION_RANK[status])) {
      this.#stats.refused++
      return undefined
    }
    if (e === undefined) {
      if (!this.#makeRoom(now, EVICTION_RANK[status])) {
        this.#stats.refused++
        return undefined
      }
      e = this.#insert(key, address)
    }
    const firstHand = status !== 'intro'
    if (firstHand || !e.verified) {
      if (isValidAddress(info.lan)) e.lan = { host: info.lan.host, port: info.lan.port }
      if (isValidAddress(info.wan)) e.wan = { host: info.wan.host, port: info.wan.port }
      if (info.connectionType !== undefined) e.connectionType = info.connectionType
    }
    if (status === 'walk') e.lastWalkReply = now
    else if (status === 'stumble') e.lastStumble = now
    else e.lastIntro = now
    if (firstHand) e.verified = true
    return snapshot(e)
  }

  /**
   * Evicts stumble/intro entries of the key's subnets until each is below its cap, never
   * displacing an entry more proven than the newcomer (`maxRank`); false when that is
   * impossible (or a cap is 0).
   */
  #admitToSubnets(key: string, host: string, now: number, maxRank: number): boolean {
    const subnets = subnetKeys(host)
    if (subnets === undefined) return false
    const o = this.options
    const counted = (e: Entry): boolean => {
      if (e.key === key || e.trusted) return false
      const cat = categoryOf(e, now, o)
      return cat === 'stumble' || cat === 'intro'
    }
    const caps = [
      [subnets.narrow, o.maxPerNarrowSubnet],
      [subnets.wide, o.maxPerWideSubnet]
    ] as const
    for (const [subnet, cap] of caps) {
      let inSubnet = this.#subnets.members(subnet).map((k) => this.#entries.get(k)!).filter(counted)
      while (inSubnet.length >= cap) {
        const victim = evictionVictim(inSubnet, now, o, maxRank)
        if (victim === undefined) return false
        this.#delete(victim.key)
        this.#stats.evicted++
        inSubnet = inSubnet.filter((e) => e !== victim)
      }
    }
    return true
  }

  /** Makes room for one more non-trusted entry by evicting entries ranked at most `maxRank`; false when none is left. */
  #makeRoom(now: number, maxRank: number): boolean {
    while (this.#entries.size - this.#trustedCount >= this.options.maxCandidates) {
      const victim = evictionVictim(this.#entries.values(), now, this.options, maxRank)
      if (victim === undefined) return false
      this.#delete(victim.key)
      this.#stats.evicted++
    }
    return true
  }

  #insert(key: string, address: Address): Entry {
    const e: Entry = {
      key,
      lan: address,
      wan: address,
      connectionType: 'unknown',
      lastWalk: undefined,
      lastWalkReply: undefined,
      lastStumble: undefined,
      lastIntro: undefined,
      lastUseful: undefined,
      verified: false,
      trusted: false,
      seq: this.#seq++,
      host: hostKey(address.host) ?? address.host
    }
    this.#entries.set(key, e)
    this.#subnets.add(key, address.host)
    return e
  }

  #delete(key: string): void {
    const e = this.#entries.get(key)
    if (e === undefined) return
    if (e.trusted) this.#trustedCount--
    this.#entries.delete(key)
    this.#subnets.remove(key)
  }
}
