/**
 * `npm run fidelity -- [--scenario small|medium|cgnat] [overrides]`: runs one scenario on the
 * testbed (real `bloomwalk node` processes in network namespaces, bench/testbed) and in the
 * simulator, and prints their figures side by side (docs/evaluation.md, "Simulator
 * fidelity"). Root only for the testbed; `--sim-only` runs anywhere.
 */
import { parseArgs } from 'node:util'
import { nativeVerifyBundle } from '../src/node/native-verify.js'
import { simulate } from '../src/sim/run.js'
import { simFigures, type FidelityFigures } from './testbed/figures.js'
import { removeStaleTestbeds, testbedUnavailable } from './testbed/lab.js'
import { runTestbed } from './testbed/run.js'
import { checkFidelityScenario, FIDELITY_SCENARIOS, simScenario, type FidelityScenario } from './testbed/scenario.js'

export const FIDELITY_USAGE = `usage: npm run fidelity -- [--scenario small|medium|cgnat] [--nodes N] [--messages M] [--step MS]
         [--latency MS] [--jitter MS] [--loss P] [--nat none|cone|symmetric] [--share K]
         [--spread MS] [--warmup MS] [--limit MS] [--seed S] [--runs R] [--sim-only | --testbed-only] [--json] [--keep]

Runs the scenario on the testbed (a tracker and N real \`bloomwalk node\` processes, each in
its own network namespace on one bridge, tc netem delay/jitter/loss, optionally behind NAT
routers shared by K peers each) and in the simulator, and prints side by side: steps until
50/90/99/100 % of the (message, receiver) pairs were delivered, per-pair latency
percentiles in steps, the byte multiplier, and the pace the real nodes kept. The testbed
needs root (ip, tc, nft); it tears everything down on exit and on Ctrl-C.

scenarios: small (20 peers, 200 messages), medium (50, 1 000), cgnat (50 peers behind 5
cone NATs, 10 each, 1 000 messages); all at a 1 000 ms step (×5 the design's pace), 1 ms
+ U[0, 1) ms one way, 1 % loss, messages over 10 steps after a 10-step warm-up. Delay
and jitter need tc netem (sch_netem); a kernel without it runs delays up to 2 ms as the
veths deliver them, and refuses larger ones. Loss is an nftables rule.`

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d+(\.\d+)?$/.test(v)) throw new Error(`--${name}: not a number: ${v}`)
  return Number(v)
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      nodes: { type: 'string' },
      messages: { type: 'string' },
      step: { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      loss: { type: 'string' },
      nat: { type: 'string' },
      share: { type: 'string' },
      spread: { type: 'string' },
      warmup: { type: 'string' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      'sim-only': { type: 'boolean' },
      'testbed-only': { type: 'boolean' },
      json: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' }
    },
    strict: true
  })
  if (values.help === true) {
    console.log(FIDELITY_USAGE)
    return 0
  }
  const base = FIDELITY_SCENARIOS[values.scenario ?? 'small']
  if (base === undefined) throw new Error(`unknown scenario ${values.scenario}; scenarios: ${Object.keys(FIDELITY_SCENARIOS).join(', ')}`)
  const pick = <K extends keyof FidelityScenario>(k: K, v: FidelityScenario[K] | undefined): FidelityScenario[K] => v ?? base[k]
  const s = checkFidelityScenario({
    ...base,
    nodes: pick('nodes', num('nodes', values.nodes)),
    messages: pick('messages', num('messages', values.messages)),
    stepMs: pick('stepMs', num('step', values.step)),
    latencyMs: pick('latencyMs', num('latency', values.latency)),
    jitterMs: pick('jitterMs', num('jitter', values.jitter)),
    loss: pick('loss', num('loss', values.loss)),
    nat: pick('nat', values.nat as FidelityScenario['nat'] | undefined),
    share: pick('share', num('share', values.share)),
    spreadMs: pick('spreadMs', num('spread', values.spread)),
    warmupMs: pick('warmupMs', num('warmup', values.warmup)),
    timeLimitMs: pick('timeLimitMs', num('limit', values.limit)),
    seed: pick('seed', num('seed', values.seed))
  })
  const runs = num('runs', values.runs) ?? 1
  const err = (line: string): void => void process.stderr.write(line + '\n')
  const rows: Array<{ source: string; run: number; figures: FidelityFigures }> = []
  const controller = new AbortController()
  const onSignal = (): void => {
    err('fidelity: interrupted; tearing down')
    controller.abort()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  for (let run = 0; run < runs; run++) {
    const seeded = { ...s, seed: s.seed + run }
    if (values['testbed-only'] !== true) {
      const result = await simulate(simScenario(seeded), { seed: seeded.seed, verify: nativeVerifyBundle })
      rows.push({ source: 'simulator', run, figures: simFigures(seeded, result) })
    }
    if (values['sim-only'] !== true) {
      const why = await testbedUnavailable()
      if (why !== undefined) {
        err(`fidelity: testbed skipped: ${why}`)
      } else {
        await removeStaleTestbeds()
        const { figures } = await runTestbed(seeded, { signal: controller.signal, log: err, keep: values.keep === true })
        rows.push({ source: 'testbed', run, figures })
      }
    }
    if (controller.signal.aborted) break
  }
  if (values.json === true) console.log(JSON.stringify({ scenario: s, rows }))
  else for (const line of table(s, rows)) console.log(line)
  return controller.signal.aborted ? 130 : 0
}

/** The side-by-side table (markdown). */
export function table(s: FidelityScenario, rows: ReadonlyArray<{ source: string; run: number; figures: FidelityFigures }>): string[] {
  const f = (x: number | null): string => (x === null ? '—' : String(x))
  const out = [
    `scenario ${s.name}: ${s.nodes} peers, ${s.messages} messages over ${s.spreadMs / s.stepMs} steps, step ${s.stepMs} ms, ${s.latencyMs} + U[0, ${s.jitterMs}) ms, loss ${s.loss}, NAT ${s.nat}${s.nat === 'none' ? '' : ` (${s.share} per address)`}, seed ${s.seed}`,
    '',
    '| source | run | delivered | steps to 50 % | 90 % | 99 % | 100 % | latency p50 | p90 | p99 | max | byte multiplier | pace |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|'
  ]
  for (const r of rows) {
    const g = r.figures
    out.push(`| ${r.source} | ${r.run + 1} | ${((100 * g.delivered) / g.pairs).toFixed(2)} % | ${f(g.stepsTo.p50)} | ${f(g.stepsTo.p90)} | ${f(g.stepsTo.p99)} | ${f(g.stepsTo.p100)} | ${f(g.latency.p50)} | ${f(g.latency.p90)} | ${f(g.latency.p99)} | ${f(g.latency.max)} | ${f(g.byteMultiplier)} | ${g.pace} |`)
  }
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`fidelity: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(2)
    }
  )
}
