/**
 * `bloomwalk sim`: one simulation run of a preset (src/sim, docs/evaluation.md) on virtual
 * time, with the real node code over the in-memory network. Prints a summary or, with
 * --json, one object with every metric; --plot writes the convergence curve and latency
 * CDF as SVG (several presets: one series each). Exit status 0 when every receiver got
 * every message in every run, 1 otherwise.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { renderSvg, runSpec } from '../sim/plot.js'
import { requirePlotting } from './plotting.js'
import { PRESETS } from '../sim/presets.js'
import { compareSpam, type SimResult } from '../sim/result.js'
import type { Scenario } from '../sim/scenario.js'
import { simulate, type SimProgress } from '../sim/run.js'
import { UsageError, numberOption } from './args.js'
import { resolveIo, type CommandIo } from './command.js'
import { nativeVerifyBundle } from '../node/native-verify.js'
import { OVERRIDE_OPTIONS, OVERRIDE_USAGE, overridesFrom, scenarioFrom } from './overrides.js'
import { showProgress } from './progress.js'
import { bytesText } from './report.js'

export const SIM_USAGE = `usage: bloomwalk sim --preset NAME [--preset NAME …] [--seed S] [--json] [--plot FILE.svg] [overrides]
       bloomwalk sim --list

Runs the real node code on virtual time over a simulated network (latency, loss,
duplication, reordering, churn, NATs, multicast topic, mailserver) and reports delivery,
time to full delivery, latency per (message, receiver), bandwidth multipliers, bytes per
node, datagrams by packet type, and the run's wall time and peak memory. The same preset
and seed give the same figures. Progress goes to stderr. Exit status 0 when every receiver
got every message.

presets: ${Object.keys(PRESETS).join(', ')}

  --preset NAME    the scenario (see --list and docs/evaluation.md); repeat it to run several
                   and plot them together (--json then prints one object per line, per run)
  --seed S         32-bit seed (default 1)
  --json           print one JSON object with every metric
  --plot FILE.svg  write the convergence curve and latency CDF
  --list           list the presets
${OVERRIDE_USAGE}`

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
/** Imported signing keys: per process by design (a pure function of the key's bytes), at most 256 (then cleared). */
const signingKeys = new Map<string, KeyObject>()

/** Ed25519 by node:crypto (OpenSSL) for the simulator's preloaded history: the same bytes as @noble/curves, much faster. */
export function nativeSign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const id = Buffer.from(secretKey).toString('base64')
  let key = signingKeys.get(id)
  if (key === undefined) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' })
    if (signingKeys.size >= 256) signingKeys.clear()
    signingKeys.set(id, key)
  }
  return new Uint8Array(sign(null, message, key))
}

/**
 * What the CLI gives a run: wall clock, CPU and memory probes (the CLI is where ambient time
 * is read) and node:crypto's Ed25519 for signatures (the simulated nodes' checks, memoised,
 * and the preloaded history's signing).
 */
export const PROBES = {
  verify: nativeVerifyBundle,
  sign: nativeSign,
  wallClock: () => performance.now(),
  cpu: () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  },
  memory: () => process.memoryUsage.rss()
}

export async function runSim(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { preset: { type: 'string', multiple: true }, seed: { type: 'string' }, json: { type: 'boolean' }, plot: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean' }, ...OVERRIDE_OPTIONS },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    out(SIM_USAGE)
    return 0
  }
  if (values.list === true) {
    for (const p of Object.values(PRESETS)) out(`${p.name.padEnd(10)} ${p.protocol.padEnd(17)} ${p.description}`)
    return 0
  }
  const presets = values.preset ?? []
  if (presets.length === 0) throw new UsageError('--preset NAME is required (see --list)')
  const io = resolveIo(partialIo)
  const overrides = overridesFrom(values)
  const scenarios = presets.map((name) => scenarioFrom(name, overrides))
  const seed = numberOption('seed', values.seed, 1, { integer: true, min: 0, max: 2 ** 32 - 1 })
  if (values.plot !== undefined) await requirePlotting()
  const results: SimResult[] = []
  const run = async (scenario: Scenario, label: string): Promise<SimResult> => {
    let last: SimProgress = { fraction: 0, virtualSeconds: 0, delivered: 0 }
    // A run ends at full delivery or at its time limit, whichever comes first: the bar shows the nearer.
    const progress = showProgress(io.err, () => ({ fraction: Math.max(last.fraction, last.delivered), text: `${label} t=${duration(last.virtualSeconds)} delivered ${(last.delivered * 100).toFixed(2)} %` }))
    try {
      return await simulate(scenario, { seed, ...PROBES, signal: io.signal, onProgress: (p) => (last = p) })
    } finally {
      progress.stop()
    }
  }
  for (const scenario of scenarios) {
    // With spammers, the same scenario and seed without them first: the report gives the ratios.
    const noSpam = scenario.spam !== null && scenario.spam.fraction > 0 ? await run({ ...scenario, spam: { ...scenario.spam, fraction: 0 } }, `${scenario.name} without spammers`) : undefined
    if (noSpam?.aborted === true) break
    const r = await run(scenario, scenario.name)
    if (noSpam !== undefined && r.spam !== null) r.spam.versusNoSpam = compareSpam(r, noSpam)
    results.push(r)
    if (values.json === true) out(JSON.stringify(r))
    else for (const line of summaryLines(r, overrideText(argv))) out(line)
    if (r.aborted) break
  }
  if (values.plot !== undefined) {
    const label = (r: SimResult) => (results.length === 1 ? `${r.preset} (${r.protocol})` : r.preset)
    const title = results.map(plotCaption).join('; ')
    const svg = await renderSvg(runSpec(results.map((r) => ({ label: label(r), curve: r.curve })), results.map((r) => ({ label: label(r), quantiles: r.latency.quantiles })), title))
    await writeFile(values.plot, svg)
  }
  return results.every((r) => r.delivery.complete) ? 0 : 1
}

/** What a plot says it shows: preset, protocol, peers, messages and seed. */
export function plotCaption(r: Pick<SimResult, 'preset' | 'protocol' | 'seed' | 'scenario'>): string {
  return `${r.preset} (${r.protocol}): ${r.scenario.peers} peers, ${r.scenario.messages} messages, seed ${r.seed}`
}

/** The overrides given on the command line, as typed (`--nodes 30 --loss 0.1`); empty when none. */
function overrideText(argv: readonly string[]): string {
  const names = new Set(Object.keys(OVERRIDE_OPTIONS))
  const parts: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2)
    if (!flag!.startsWith('--') || !names.has(flag!.slice(2))) continue
    parts.push(`${flag} ${inline ?? argv[++i] ?? ''}`.trim())
  }
  return parts.join(' ')
}

/**
 * A human-readable summary of a run. With `overrides` (as typed) the header names the preset
 * and the overrides instead of the preset's description, whose figures they may contradict.
 */
export function summaryLines(r: SimResult, overrides = ''): string[] {
  const s = r.scenario
  const d = r.delivery
  const b = r.bandwidth
  const lat = (x: { median: number | null; p90: number | null; max: number | null }) => `median ${duration(x.median)}, P90 ${duration(x.p90)}, max ${duration(x.max)}`
  const types = Object.entries(b.byType).map(([t, c]) => `${t} ${c.datagrams} (${bytesText(c.bytes)})`)
  return [
    overrides === '' ? `sim ${r.preset} (${r.protocol}), seed ${r.seed}: ${r.description}` : `sim ${r.preset} (${r.protocol}) with ${overrides}, seed ${r.seed}`,
    `peers ${s.peers}, messages ${s.messages}${s.history === null ? '' : ` + history ${s.history.bundles}`}, pairs owed ${d.pairs}; online ${pct(s.churn.online)} (${duration(s.churn.sessionMs / 1000)} sessions, ${s.churn.mode}); NAT cone ${pct(s.nat.cone)} symmetric ${pct(s.nat.symmetric)}; mailserver ${s.mailserver === null ? 'none' : pct(s.mailserver.reliability)}${s.multicast ? '; multicast' : ''}${s.bloomAck ? '; Bloom offers acknowledge' : ''}`,
    `delivery   ${pct(d.ratio)} of pairs${d.complete ? `; full delivery at ${duration(d.fullDeliverySeconds)} (${duration(d.afterLastPublishSeconds)} after the last publication)` : `; not complete after ${duration(r.virtualSeconds)}`}; 99 % at ${duration(d.reached.p99)}`,
    `latency    per pair ${lat(r.latency.perPair)}; per message (to its last receiver) ${lat(r.latency.perMessage)}`,
    `fresh      per pair P50 ${r.fresh.latencyMs.p50} ms, P90 ${r.fresh.latencyMs.p90} ms, P99 ${r.fresh.latencyMs.p99} ms, max ${r.fresh.latencyMs.max} ms (walk steps ${r.fresh.walkSteps.p50} / ${r.fresh.walkSteps.p90} / ${r.fresh.walkSteps.p99} / ${r.fresh.walkSteps.max}); push ${s.push === null ? 'off' : 'on'}, push bytes ×${r.fresh.pushByteMultiplier} and bundles + bundle-request ×${r.fresh.answersByteMultiplier} the bundles owed; ${r.fresh.duplicatesPerReceiver} duplicates per receiver`,
    `bandwidth  ${b.datagrams} datagrams (×${b.datagramMultiplier} per pair), ${bytesText(b.bytes)} (${b.bytesPerPair} B per pair, ×${b.byteMultiplier} the bundles owed)`,
    `by type    ${types.join(', ')}`,
    `per peer   sent median ${bytesText(b.perPeer.sentBytes.median)}, max ${bytesText(b.perPeer.sentBytes.max)}; received median ${bytesText(b.perPeer.receivedBytes.median)}, max ${bytesText(b.perPeer.receivedBytes.max)}`,
    ...attackLines(r),
    ...retentionLines(r),
    ...spamLines(r),
    `run        ${r.aborted ? 'ABORTED after ' : ''}${duration(r.virtualSeconds)} virtual in ${r.run.wallSeconds ?? '?'} s wall (${r.run.cpuSeconds ?? '?'} s CPU), ${r.events} event batches, peak RSS ${r.run.peakRssBytes === null ? '?' : bytesText(r.run.peakRssBytes)}`
  ]
}

/** The attack's line (sybil presets): who attacked, how hard, and how much of the honest walks and tables it got. */
function attackLines(r: SimResult): string[] {
  const a = r.driver['attack'] as { hosts: number; ports: number; requestsSent: number; walksReceived: number; shareOfHonestWalks: number; honestTablesAtEnd: Record<string, { attackerShare: number }>; mostEntriesOfOneAttackerHost: { stumbleIntro: number; walk: number } } | undefined
  const spec = r.scenario.attack
  if (a === undefined || spec === null) return []
  const tables = Object.entries(a.honestTablesAtEnd).map(([c, k]) => `${c} ${pct(k.attackerShare)}`)
  return [
    `attack     ${a.hosts} Sybil hosts (${pct(spec.fraction)} of all nodes, ${a.ports} ports), ${a.requestsSent} introduction-requests sent; trackers ${r.scenario.trusted ? 'trusted' : 'a bootstrap only'}`,
    `eclipse    ${pct(a.shareOfHonestWalks)} of honest walks reached a Sybil; Sybils' share of honest candidates at the end: ${tables.join(', ')}; one Sybil host held up to ${a.mostEntriesOfOneAttackerHost.stumbleIntro} stumble + intro and ${a.mostEntriesOfOneAttackerHost.walk} walk entries of one table`
  ]
}

/** The spam lines (scenarios with spammers): what they published, what honest peers stored and forwarded, and the ratios against the same seed without spammers. */
function spamLines(r: SimResult): string[] {
  const m = r.spam
  if (m === null) return []
  const v = m.versusNoSpam
  const x = (ratio: number) => `×${ratio.toFixed(2)}`
  return [
    `spam       ${m.spammers} spammers minted ${m.identities} identities (one per ${(m.identityMs / 1000).toFixed(2)} s each) and published ${m.published} bundles; per honest peer: spam stored mean ${m.spamStoredMean}, max ${m.spamStoredMax} (the policy allows ${m.policyBound}), spam forwarded ${m.spamForwardedPerHonestPeer} bundles (${bytesText(m.spamForwardedBytesPerHonestPeer)}), sent ${bytesText(m.sentBytesPerHonestPeer)}, stores ${bytesText(m.storedBytesPerHonestPeer)}`,
    ...(v === null
      ? []
      : [
          `no spam    same seed without spammers: honest delivery ${pct(v.delivery.spam)} (${pct(v.delivery.noSpam)}); honest P90 ${v.p90Ms.spam} ms (${v.p90Ms.noSpam} ms, ${x(v.p90Ms.ratio)}); sent per honest peer ${bytesText(v.sentBytesPerHonestPeer.spam)} (${bytesText(v.sentBytesPerHonestPeer.noSpam)}, ${x(v.sentBytesPerHonestPeer.ratio)}); stored per honest peer ${bytesText(v.storedBytesPerHonestPeer.spam)} (${bytesText(v.storedBytesPerHonestPeer.noSpam)}, ${x(v.storedBytesPerHonestPeer.ratio)})`
        ])
  ]
}

/** The retention line (scenarios with a room policy): do the running peers hold the same bundles, and what did pruned re-sends cost. */
function retentionLines(r: SimResult): string[] {
  const t = r.retention
  if (t === null) return []
  const p = r.scenario.policy?.pruning
  return [
    `retention  ${t.peersCompared} running peers hold ${t.identical ? 'the same' : `${t.distinctSets} different`} retained sets (${t.retainedMin === t.retainedMax ? t.retainedMin : `${t.retainedMin}–${t.retainedMax}`} bundles over ${t.globalTimeSpan} global-time units); at most ${t.peakStored} held by one peer at a publication${p === undefined ? '' : ` (deleted ${p.pruned} global-time units behind)`}; ${t.refusedByPolicy} bundles refused by the policy on arrival, ${bytesText(t.refusedBytes)} (${pct(r.bandwidth.bytes === 0 ? 0 : t.refusedBytes / r.bandwidth.bytes)} of all bytes)`
  ]
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x >= 0.9995 || x === 0 ? 0 : 2)} %`
}

/** `42 s`, `7.5 min`, `3.2 h`. */
export function duration(seconds: number | null): string {
  if (seconds === null) return 'n/a'
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`
  return `${(seconds / 3600).toFixed(2)} h`
}
