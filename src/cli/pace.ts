/**
 * The pace of a node. DESIGN §6 walks one step per 5 s and lets a peer be walked to again
 * 27.5 s after the last walk to it, so a node spreads its steps over about six peers. A
 * node told to walk faster shrinks that eligibility delay by the same factor, or it would
 * soon run out of peers it may walk to. The candidate lifetimes (57.5 s / 27.5 s, just under
 * common NAT mapping timeouts) and the 10.5 s response timeout describe NATs and round
 * trips, which do not speed up, so they keep the design's values.
 */
import { DESIGN_STEP_MS, MAX_CANDIDATES, pacedWalkEligibleDelayMs } from '../candidates/options.js'
import type { NodeSettings } from '../node/index.js'

export { DESIGN_STEP_MS }

/**
 * Node options for walking every `stepIntervalMs`: faster than the design's 5 s, the walk
 * eligibility delay shrinks in proportion; slower, it keeps the design's value.
 * `sameHost` lifts the per-subnet caps on stumble and intro candidates, for peers that
 * all share one address (the demo on 127.0.0.1).
 */
export function scaledNodeOptions(stepIntervalMs: number, options: { sameHost?: boolean } = {}): NodeSettings {
  return {
    stepIntervalMs,
    candidates: {
      walkEligibleDelayMs: pacedWalkEligibleDelayMs(stepIntervalMs),
      ...(options.sameHost === true ? { maxPerNarrowSubnet: MAX_CANDIDATES, maxPerWideSubnet: MAX_CANDIDATES } : {})
    }
  }
}
