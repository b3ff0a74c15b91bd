/**
 * The scenario the testbed and the simulator both run (docs/evaluation.md, "Simulator
 * fidelity"): N peers, one tracker, M messages from random peers at uniform times over a
 * window that opens after a warm-up, a netem-style network, optionally every peer behind a
 * NAT shared by `share` peers, and the walk step. {@link simScenario} is the same scenario
 * for `simulate` (src/sim): same N, M, schedule law, latency, jitter, loss, NATs and step.
 */
import { BloomwalkError } from '../../src/errors.js'
import { presetNamed } from '../../src/sim/presets.js'
import { checkScenario, type Scenario } from '../../src/sim/scenario.js'

export interface FidelityScenario {
  name: string
  nodes: number
  messages: number
  /** ms between walk steps (the node's `--step`; the walk eligibility delay follows it). */
  stepMs: number
  /** Messages are published at uniform times over this window, ms. */
  spreadMs: number
  /** ms between the last node starting and the window opening (the peers find each other). */
  warmupMs: number
  latencyMs: number
  jitterMs: number
  loss: number
  /** Every peer behind a NAT of this kind (`none`: every peer public). */
  nat: 'none' | 'cone' | 'symmetric'
  /** Peers behind each NAT (a carrier-grade NAT when > 1). */
  share: number
  /** Encoded size of each published bundle, bytes. */
  bundleBytes: number
  /** ms after the window opens at which an undelivered run stops. */
  timeLimitMs: number
  seed: number
}

/** The step the comparisons run at: ×5 the design's pace, slow enough for 50 processes on 2 shared cores. */
export const FIDELITY_STEP_MS = 1000

/** Named scenarios of the fidelity table. */
export const FIDELITY_SCENARIOS: Readonly<Record<string, FidelityScenario>> = Object.freeze({
  'small': scenario('small', { nodes: 20, messages: 200 }),
  'medium': scenario('medium', { nodes: 50, messages: 1000 }),
  'cgnat': scenario('cgnat', { nodes: 50, messages: 1000, nat: 'cone', share: 10 })
})

function scenario(name: string, fields: Partial<FidelityScenario>): FidelityScenario {
  return {
    name,
    nodes: 20,
    messages: 200,
    stepMs: FIDELITY_STEP_MS,
    spreadMs: 10 * FIDELITY_STEP_MS,
    warmupMs: 10 * FIDELITY_STEP_MS,
    latencyMs: 1,
    jitterMs: 1,
    loss: 0.01,
    nat: 'none',
    share: 1,
    bundleBytes: 196,
    timeLimitMs: 300 * FIDELITY_STEP_MS,
    seed: 1,
    ...fields
  }
}

/** @throws {BloomwalkError} INVALID_ARGUMENT naming the first bad field */
export function checkFidelityScenario(s: FidelityScenario): FidelityScenario {
  const bad = (why: string): never => {
    throw new BloomwalkError('INVALID_ARGUMENT', `testbed scenario ${s.name}: ${why}`)
  }
  const int = (field: keyof FidelityScenario, min: number, max: number): void => {
    const v = s[field] as number
    if (!Number.isInteger(v) || v < min || v > max) bad(`${field} must be an integer in [${min}, ${max}], got ${v}`)
  }
  int('nodes', 2, 200)
  int('messages', 1, 100_000)
  int('stepMs', 50, 60_000)
  int('spreadMs', 0, 3_600_000)
  int('warmupMs', 0, 3_600_000)
  int('latencyMs', 0, 10_000)
  int('jitterMs', 0, 10_000)
  int('share', 1, 200)
  int('timeLimitMs', 1, 86_400_000)
  int('seed', 0, 2 ** 32 - 1)
  if (!(s.loss >= 0 && s.loss < 1)) bad(`loss must be in [0, 1), got ${s.loss}`)
  if (!['none', 'cone', 'symmetric'].includes(s.nat)) bad(`nat must be none, cone or symmetric, got ${s.nat}`)
  if (s.nat === 'none' && s.share !== 1) bad('share needs a NAT (nat cone or symmetric)')
  checkScenario(simScenario(s, false))
  return s
}

/** The same scenario for the simulator. */
export function simScenario(s: FidelityScenario, check = true): Scenario {
  const base = presetNamed('dbs-500')
  const sim: Scenario = {
    ...base,
    name: `testbed-${s.name}`,
    description: `the testbed's ${s.name} scenario: ${s.nodes} peers, ${s.messages} messages`,
    peers: s.nodes,
    messages: s.messages,
    authors: 'random',
    bundleBytes: s.bundleBytes,
    publishStartMs: s.warmupMs,
    publishWindowMs: s.spreadMs,
    durationMs: s.warmupMs + s.timeLimitMs,
    stopWhenComplete: true,
    sampleMs: s.stepMs,
    network: { latencyMs: s.latencyMs, jitterMs: s.jitterMs, loss: s.loss, duplication: 0, reorder: 0 },
    churn: { ...base.churn, online: 1 },
    // Linux conntrack keeps a replied UDP flow 120 s.
    nat: { cone: s.nat === 'cone' ? 1 : 0, symmetric: s.nat === 'symmetric' ? 1 : 0, timeoutMs: 120_000, share: s.share },
    stepIntervalMs: s.stepMs,
    trackers: 1,
    trusted: true,
    trustedPeers: 0
  }
  return check ? checkScenario(sim) : sim
}
