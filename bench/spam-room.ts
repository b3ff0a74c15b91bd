/**
 * An open room under spam (issue 20, DESIGN §14): runs the simulator's spam-10 and spam-30
 * presets (src/sim/presets.ts; the spammer model is src/sim/spammers.ts) and the same room
 * and seed without spammers, and prints them side by side:
 *
 *   npm run measure:spam -- [--peers 20] [--minutes 8] [--seed 1] [--json]
 *
 * The same figures as `bloomwalk sim --preset spam-10` (which runs the no-spam comparison
 * itself): honest delivery, honest P90 latency, bytes sent and stored per honest peer, spam
 * stored per honest peer against what the policy allows, spam forwarded by honest peers.
 */
import { PROBES } from '../src/cli/sim.js'
import { presetNamed, withOverrides } from '../src/sim/presets.js'
import { compareSpam, type SimResult } from '../src/sim/result.js'
import { simulate } from '../src/sim/run.js'

function ratio(x: number): string {
  return `×${x.toFixed(2)}`
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const option = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? Number(args[i + 1]) : fallback
  }
  const peers = option('peers', 20)
  const minutes = option('minutes', 8)
  const seed = option('seed', 1)
  if (!(Number.isInteger(peers) && peers >= 2 && peers <= 200) || !(minutes > 0 && minutes <= 120) || !Number.isInteger(seed)) {
    process.stderr.write('usage: spam-room [--peers 2..200] [--minutes 1..120] [--seed n] [--json]\n')
    process.exit(2)
  }
  const rows: { name: string; r: SimResult }[] = []
  const run = (name: string, spammers: number) => simulate(withOverrides(presetNamed(name), { nodes: peers, duration: minutes * 60, spammers }), { seed, ...PROBES })
  const quiet = await run('spam-10', 0)
  rows.push({ name: 'no-spam', r: quiet })
  for (const [name, share] of [['spam-10', 0.1], ['spam-30', 0.3]] as const) {
    const r = await run(name, share)
    r.spam!.versusNoSpam = compareSpam(r, quiet)
    rows.push({ name, r })
  }
  const p = presetNamed('spam-10')
  process.stdout.write(`policy: ${JSON.stringify(p.policy)}; identity cost ${p.spam!.identityBits} bits at ${p.spam!.hashMicros} µs a hash; ${peers} honest peers, ${minutes} virtual minutes, seed ${seed}\n`)
  for (const { name, r } of rows) {
    const m = r.spam!
    const v = m.versusNoSpam
    process.stdout.write(
      `${name.padEnd(8)} spammers ${m.spammers} honest delivery ${(r.delivery.ratio * 100).toFixed(1)} % P90 ${r.fresh.latencyMs.p90} ms${v === null ? '' : ` (${ratio(v.p90Ms.ratio)})`}; ` +
        `sent per honest peer ${m.sentBytesPerHonestPeer} B${v === null ? '' : ` (${ratio(v.sentBytesPerHonestPeer.ratio)})`}; stored per honest peer ${m.storedBytesPerHonestPeer} B${v === null ? '' : ` (${ratio(v.storedBytesPerHonestPeer.ratio)})`}; ` +
        `spam published ${m.published} by ${m.identities} identities, stored per honest peer mean ${m.spamStoredMean} max ${m.spamStoredMax} (policy allows ${m.policyBound}); spam forwarded per honest peer ${m.spamForwardedPerHonestPeer} (${m.spamForwardedBytesPerHonestPeer} B)\n`
    )
  }
  if (args.includes('--json')) process.stdout.write(JSON.stringify(rows.map(({ name, r }) => ({ name, delivery: r.delivery, fresh: r.fresh, spam: r.spam })), null, 2) + '\n')
}

await main()
