/**
 * Simulator fidelity (issue 22, docs/evaluation.md "Simulator fidelity"): the testbed's
 * small scenario (20 real `bloomwalk node` processes in network namespaces, 200 messages,
 * 1 % loss, step 1 s) against the simulator on the same scenario. Every pair must arrive,
 * and when the nodes kept their pace (walk steps per step interval ≥ {@link KEPT_PACE}: their
 * timers fired on time, which is what the simulator's step model assumes) the testbed's steps
 * to 99 % must lie within ±30 % of the simulator's (the fidelity target); the ratio is printed.
 *
 * Measured on the quiet 2-core machine (2026-12-07, main at `37b02de`, `npm run fidelity --
 * --scenario small --runs 5`): 0.98, 0.98, 0.98, 1.01 and 0.99× (pace 0.98–0.99), and two CI
 * runs 1.03× and 1.01×. On a machine busy with other work the nodes lose their pace and wait
 * for the CPU, which the simulator does not model (it runs handlers in zero virtual time):
 * five runs at nice 10 beside load 25–30 measured 1.93–2.47× at pace 0.56–0.69, and a CI-like
 * run beside other jobs 3.1×. Such a run is held only to the guard against gross divergence,
 * [0.5, 5]× (the real demo once needed 7–12× the simulator's steps), and says so.
 *
 * Needs root, `ip`, `tc`, `nft`; skips with one line otherwise. Run with `npm run test:nat`.
 */
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { nativeVerifyBundle } from '../../src/node/native-verify.js'
import { simulate } from '../../src/sim/run.js'
import { simFigures } from '../../bench/testbed/figures.js'
import { removeStaleTestbeds, testbedUnavailable } from '../../bench/testbed/lab.js'
import { CLI, runTestbed } from '../../bench/testbed/run.js'
import { FIDELITY_SCENARIOS, simScenario } from '../../bench/testbed/scenario.js'

/** Walk steps per step interval at or above which the nodes kept their pace (quiet runs: 0.98–0.99; runs beside other jobs: 0.56–0.89). */
const KEPT_PACE = 0.95
/** The fidelity target: testbed steps to 99 % within ±30 % of the simulator's. */
const TARGET = { low: 0.7, high: 1.3 }
/** The guard for a run whose nodes lost their pace. */
const GUARD = { low: 0.5, high: 5 }

const unavailable = await testbedUnavailable()
if (unavailable !== undefined) console.warn(`fidelity test skipped: ${unavailable}`)

describe.skipIf(unavailable !== undefined)('simulator fidelity: 20 real nodes against the simulator', () => {
  it('every pair arrives on both, and the testbed reaches 99 % within ±30 % of the simulator\'s steps when its nodes kept their pace (within [0.5, 5]× when not)', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm run test:nat\` does)`)
    await removeStaleTestbeds()
    const s = FIDELITY_SCENARIOS['small']!
    const sim = simFigures(s, await simulate(simScenario(s), { seed: s.seed, verify: nativeVerifyBundle }))
    const { figures: real } = await runTestbed(s, { log: (line) => console.log(line) })
    console.log(`steps to 99 %: testbed ${real.stepsTo.p99} (pace ${real.pace}), simulator ${sim.stepsTo.p99}; byte multiplier ${real.byteMultiplier} vs ${sim.byteMultiplier}`)
    expect(sim.delivered).toBe(sim.pairs)
    expect(real.delivered).toBe(real.pairs)
    const ratio = real.stepsTo.p99! / sim.stepsTo.p99!
    const kept = real.pace >= KEPT_PACE
    const bound = kept ? TARGET : GUARD
    console.log(
      `testbed / simulator steps to 99 %: ${ratio.toFixed(2)}× ` +
        (kept ? `(pace ${real.pace}: held to the fidelity target ±30 %)` : `(pace ${real.pace} < ${KEPT_PACE}: the machine is busy, held only to [${GUARD.low}, ${GUARD.high}]×)`)
    )
    expect(ratio).toBeGreaterThanOrEqual(bound.low)
    expect(ratio).toBeLessThanOrEqual(bound.high)
  }, 900_000)
})
