/**
 * Simulator fidelity (issue 22, docs/evaluation.md "Simulator fidelity"): the testbed's
 * small scenario (20 real `bloomwalk node` processes in network namespaces, 200 messages,
 * 1 % loss, step 1 s) against the simulator on the same scenario. Every pair must arrive,
 * and the testbed's steps to 99 % must lie within [0.5, 5]× the simulator's; the ratio is
 * printed. This is a guard against gross divergence, not the fidelity target (±30 %, issue
 * 22, not met yet): the ratio is a speed figure that depends on how busy the machine is.
 *
 * Measured: on the shared 2-core machine of the session that wrote it (load average 12–35)
 * five testbed runs took 1.7–2.15× the simulator's steps to 99 % (25, 26.4, 29.7, 23.8 with
 * the skip curve off; the simulator 13.8–14.8), and one CI-like run after push landed took
 * 3.1×, while on a quiet machine (load average ≈ 3) the same test measured 1.16× (11.5 vs
 * 9.93 steps): the nodes' handlers wait for the CPU, which the simulator does not model (it runs
 * handlers in zero virtual time). The bound catches a regression of the kind issue 22 found
 * (the real demo needed 7–12× the simulator's steps). After issue 22's items 4–7 (late answers,
 * the testbed's pace, announcements of bundles being written, the adaptive IWANT timeout) five
 * runs at nice 10 beside load 25–30 measured 1.93–2.47× (before them, alternated: 2.55–3.20×):
 * the bound cannot be tightened to ±30 % while the machine is that busy.
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

const unavailable = await testbedUnavailable()
if (unavailable !== undefined) console.warn(`fidelity test skipped: ${unavailable}`)

describe.skipIf(unavailable !== undefined)('simulator fidelity: 20 real nodes against the simulator', () => {
  it('every pair arrives on both, and the testbed reaches 99 % within [0.5, 5]× the simulator\'s steps (the ratio is printed)', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm run test:nat\` does)`)
    await removeStaleTestbeds()
    const s = FIDELITY_SCENARIOS['small']!
    const sim = simFigures(s, await simulate(simScenario(s), { seed: s.seed, verify: nativeVerifyBundle }))
    const { figures: real } = await runTestbed(s, { log: (line) => console.log(line) })
    console.log(`steps to 99 %: testbed ${real.stepsTo.p99} (pace ${real.pace}), simulator ${sim.stepsTo.p99}; byte multiplier ${real.byteMultiplier} vs ${sim.byteMultiplier}`)
    expect(sim.delivered).toBe(sim.pairs)
    expect(real.delivered).toBe(real.pairs)
    const ratio = real.stepsTo.p99! / sim.stepsTo.p99!
    expect(ratio).toBeGreaterThanOrEqual(0.5)
    console.log(`testbed / simulator steps to 99 %: ${ratio.toFixed(2)}× (fidelity target ±30 %)`)
    expect(ratio).toBeLessThanOrEqual(5)
  }, 900_000)
})
