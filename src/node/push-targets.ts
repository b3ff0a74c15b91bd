/**
 * Whom the push service (./push.ts) sends a fresh bundle or its id to: validated walk and
 * stumble candidates (an address that answered our identifier or echoed our token, so a
 * spoofer cannot aim a push; their NAT holes are open), drawn at random — but a few first
 * among the peers that walked to us within the last walk step and are behind what we
 * spread — and, on publish, trusted peers that hold data.
 */
import { int, type Rng } from '../env/rng.js'
import type { Clock } from '../env/clock.js'
import { subnetKeys } from '../nat/index.js'
import { parseAddressKey, type Address } from '../wire/index.js'
import type { AmplificationGuard } from './amplification.js'
import type { OverlayWalk } from './overlay.js'

/**
 * Push targets drawn first among recent walkers behind what is spread ({@link pushTargets}).
 * Measured (docs/evaluation.md §4.8): at 1 000 peers, 1 left 12 pairs over a walk step, 2
 * left 4, 3 left 1; against the adaptive Sybils of `sybil-30-adaptive` (who walk to everyone
 * every second) 1 and 2 cost about 4 % more bytes, 3 about 10 %.
 */
export const RECENT_FIRST = 2

/** What choosing targets uses of the node. */
export interface PushTargetsContext {
  clock: Clock
  rng: Rng
  guard: Pick<AmplificationGuard, 'isValidated'>
  /** The walk step interval (ms); 0 or absent: no recent walkers first. */
  stepIntervalMs?: number | undefined
}

/**
 * Up to `n` validated candidates of the overlay (walk or stumble), other than `except`,
 * drawn uniformly (partial Fisher–Yates over the injected rng) — but up to
 * {@link RECENT_FIRST} of them first among the recent walkers behind `behind`
 * ({@link recentWalkersBehind}). Without `behind`, uniformly.
 *
 * A peer that walked to us a moment ago got our answer without what we take in now, and
 * walks again only a step later: the peers push left behind in `spread` were such peers,
 * whose neighbours all drew someone else (issue 17, docs/evaluation.md §4.8). Drawn first,
 * they hear of a fresh bundle at once, in the same number of datagrams.
 */
export function pushTargets(ctx: PushTargetsContext, overlay: OverlayWalk, n: number, except?: ReadonlySet<string>, behind?: number): Address[] {
  if (n === 0) return []
  const candidates = validatedWalkCandidates(ctx, overlay).filter((c) => except?.has(c.key) !== true)
  const first = behind === undefined ? [] : recentBehind(ctx, candidates, overlay, Math.min(n, RECENT_FIRST), behind)
  const pool = candidates.filter((c) => !first.includes(c)).map((c) => c.to)
  return first.map((c) => c.to).concat(draw(ctx.rng, pool, n - first.length))
}

/**
 * Up to `n` validated walk or stumble candidates, other than `except`, that walked to us
 * within the last walk step reporting a global time at or below `upTo`: what we took in at
 * `upTo` was not in our answer to them ({@link pushTargets}; the push service also tells
 * them of a fresh bundle it does not spread, ./push.ts). At *or* below: two bundles
 * published at once by peers that had not heard each other share a global time, and a
 * walker that holds one of them shows nothing missing by its time. Drawn at random, one per
 * subnet (IPv4 /24, IPv6 /48), and few (the callers ask for {@link RECENT_FIRST}), so that a
 * Sybil walking to us often, from many ports of one network, claiming to be behind, takes
 * at most those.
 */
export function recentWalkersBehind(ctx: PushTargetsContext, overlay: OverlayWalk, n: number, except: ReadonlySet<string> | undefined, upTo: number): Address[] {
  // Called on every walk answer with something fresh: no scan of the table when it cannot find any.
  if (n === 0 || (ctx.stepIntervalMs ?? 0) <= 0) return []
  const candidates = validatedWalkCandidates(ctx, overlay).filter((c) => except?.has(c.key) !== true)
  return recentBehind(ctx, candidates, overlay, n, upTo).map((c) => c.to)
}

interface WalkCandidate {
  key: string
  to: Address
  lastStumble: number | undefined
}

/** The overlay's validated, untrusted walk and stumble candidates, in table order. */
function validatedWalkCandidates(ctx: PushTargetsContext, overlay: OverlayWalk): WalkCandidate[] {
  const now = ctx.clock.now()
  const out: WalkCandidate[] = []
  for (const c of overlay.candidates.list(now)) {
    if (c.trusted || !ctx.guard.isValidated(c.key)) continue
    const category = overlay.candidates.category(c.key, now)
    if (category !== 'walk' && category !== 'stumble') continue
    const to = parseAddressKey(c.key)
    if (to !== null) out.push({ key: c.key, to, lastStumble: c.lastStumble })
  }
  return out
}

/** Up to `n` of `candidates` that walked to us within the last step at or below `upTo`, at random, one per subnet. */
function recentBehind(ctx: PushTargetsContext, candidates: readonly WalkCandidate[], overlay: OverlayWalk, n: number, upTo: number): WalkCandidate[] {
  // No step (0): nobody walked to us "within the last step", so the filter keeps none.
  const step = ctx.stepIntervalMs ?? 0
  const now = ctx.clock.now()
  const recent = candidates.filter((c) => c.lastStumble !== undefined && now - c.lastStumble < step && (overlay.peerTime(c.key) ?? Infinity) <= upTo)
  const out: WalkCandidate[] = []
  const subnets = new Set<string>()
  for (const c of draw(ctx.rng, recent, recent.length)) {
    if (out.length >= n) break
    const subnet = subnetKeys(c.to.host)?.narrow ?? c.to.host
    if (subnets.has(subnet)) continue
    subnets.add(subnet)
    out.push(c)
  }
  return out
}

/**
 * Up to `n` validated trusted candidates that hold data (their last reported global time is
 * above 0: a tracker reports 0), in table order.
 */
export function trustedPushTargets(ctx: PushTargetsContext, overlay: OverlayWalk, n: number): Address[] {
  if (n === 0) return []
  const out: Address[] = []
  for (const c of overlay.candidates.list(ctx.clock.now())) {
    if (out.length >= n) break
    if (!c.trusted || !ctx.guard.isValidated(c.key) || !((overlay.peerTime(c.key) ?? 0) > 0)) continue
    const to = parseAddressKey(c.key)
    if (to !== null) out.push(to)
  }
  return out
}

/** Up to `k` of `pool`, drawn uniformly (partial Fisher–Yates; reorders `pool`). */
function draw<T>(rng: Rng, pool: T[], k: number): T[] {
  const m = Math.min(k, pool.length)
  for (let i = 0; i < m; i++) {
    const j = i + int(rng, pool.length - i)
    const t = pool[i]!
    pool[i] = pool[j]!
    pool[j] = t
  }
  return pool.slice(0, m)
}
