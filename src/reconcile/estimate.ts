/**
 * The decoder's estimate of the size of the difference between two sets (docs/reconcile.md
 * §8, §15), from the difference counts of the symbols received so far: how many more symbols
 * a session asks for. Pure arithmetic over the counts; ./decoder.ts keeps them.
 */

/** Difference counts c_i (the peer's count minus ours) a decoder holds. */
export interface DifferenceSamples {
  /** c_i by symbol index. */
  raw: Int32Array
  /** Symbols [0, received) were received whole. */
  received: number
  /** Counts alone beyond them: [gapTo, end), none when gapTo = end. */
  gapTo: number
  end: number
}

/**
 * An estimate of the size of the difference d (never less than `floor`, nor than |c_0|):
 * with c_i the count of difference symbol i as received (the peer's count minus ours) and
 * p_i = 1/(1 + i/2), c_0 is exactly (ids we lack) − (ids the peer lacks), so E[c_i] = p_i·c_0
 * and E[(c_i − p_i·c_0)²] = d·p_i·(1 − p_i): each symbol i ≥ 1 gives
 * t_i = (c_i − p_i·c_0)² / (p_i·(1 − p_i)); the estimate is their mean weighted by
 * 1 / (2 + 1/(d·p_i)) (their variance over d², roughly), iterated twice. About
 * ±1.4/√samples relative error, however the difference is split between the two sides
 * (centring on p_i·c_0 removes the noise a one-sided difference added when c_i² − c_0²·p_i²
 * was used). Counts alone are samples too.
 *
 * **One-sided** (docs/reconcile.md §15): when c_0 ≠ 0 and no sample has the opposite sign,
 * the difference is taken to lie on one side, where d = |c_0| exactly: that is the estimate.
 * Each id on the other side lands in about 2·ln(n/2) of the first n symbols and would show
 * there as a count of the opposite sign wherever it is not outnumbered; when a few are
 * hidden so, d is under-estimated by twice their number (the session then asks a wave more).
 *
 * `floor`: the ids peeled so far, and 1 while symbol 0 is not empty.
 */
export function estimateDifference(samples: DifferenceSamples, floor: number): number {
  const { raw, received: n, gapTo, end } = samples
  const c0 = raw[0]!
  if (c0 !== 0 && oneSided(samples)) return Math.max(Math.abs(c0), floor)
  let d = 0
  for (let round = 0; round < 3; round++) {
    let sum = 0
    let weights = 0
    for (let i = 1; i < end; i++) {
      if (i === n) i = gapTo
      if (i >= end) break
      const p = 2 / (i + 2)
      const e = raw[i]! - p * c0
      const t = (e * e) / (p * (1 - p))
      const w = round === 0 ? 1 : 1 / (2 + 1 / (Math.max(d, 1) * p))
      sum += w * t
      weights += w
    }
    if (weights === 0) break
    d = Math.max(0, sum / weights)
  }
  return Math.max(d, floor, Math.abs(c0))
}

/** True when no difference count in [1, received) ∪ [gapTo, end) has the sign opposite to c_0's. */
function oneSided({ raw, received: n, gapTo, end }: DifferenceSamples): boolean {
  const c0 = raw[0]!
  for (let i = 1; i < end; i++) {
    if (i === n) i = gapTo
    if (i >= end) break
    if (raw[i]! * c0 < 0) return false
  }
  return true
}
