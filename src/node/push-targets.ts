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
 * {@link RECENT_FIRST} of them first among those that walked to us within the last walk step
 * reporting a global time below `behind` (they lack what we spread), one per subnet (IPv4
 * /24, IPv6 /48).
 *
 * A peer that walked to us a moment ago got our answer without what we take in now, and
 * walks again only a step later: the peers push left behind in `spread` were such peers,
 * whose neighbours all drew someone else (issue 17, docs/evaluation.md §4.8). Drawn first,
 * they hear of a fresh bundle at once, in the same number of datagrams. Two, one per subnet,
 * so that a Sybil walking to us often, from many ports of one network, claiming to be
 * behind, takes at most those two: the rest are drawn as before. Without `behind`, uniformly.
 */
export function pushTargets(ctx: PushTargetsContext, overlay: OverlayWalk, n: number, except?: ReadonlySet<string>, behind?: number): Address[] {
  if (n === 0) return []
  const now = ctx.clock.now()
  const step = ctx.stepIntervalMs ?? 0
  const recent: Address[] = []
  const pool: Address[] = []
  for (const c of overlay.candidates.list(now)) {
    if (except?.has(c.key) === true || c.trusted || !ctx.guard.isValidated(c.key)) continue
    const category = overlay.candidates.category(c.key, now)
    if (category !== 'walk' && category !== 'stumble') continue
    const to = parseAddressKey(c.key)
    if (to === null) continue
    const walkedLately = step > 0 && c.lastStumble !== undefined && now - c.lastStumble < step
    if (behind !== undefined && walkedLately && (overlay.peerTime(c.key) ?? behind) < behind) recent.push(to)
    else pool.push(to)
  }
  const first: Address[] = []
  const subnets = new Set<string>()
  for (const to of draw(ctx.rng, recent, recent.length)) {
    const subnet = subnetKeys(to.host)?.narrow ?? to.host
    if (first.length < Math.min(n, RECENT_FIRST) && !subnets.has(subnet)) {
      subnets.add(subnet)
      first.push(to)
    } else pool.push(to)
  }
  return first.concat(draw(ctx.rng, pool, n - first.length))
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
function draw(rng: Rng, pool: Address[], k: number): Address[] {
  const m = Math.min(k, pool.length)
  for (let i = 0; i < m; i++) {
    const j = i + int(rng, pool.length - i)
    const t = pool[i]!
    pool[i] = pool[j]!
    pool[j] = t
  }
  return pool.slice(0, m)
}
