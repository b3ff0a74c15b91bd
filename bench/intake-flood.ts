/**
 * Intake budgets under a bundle flood over loopback UDP (issue 20, DESIGN §14):
 *
 *   npm run measure:intake -- [--seconds 10] [--rates 1000,3000] [--attacks bad-signatures,valid] [--json]
 *
 * A victim node and an honest node (walk steps every 200 ms, node:crypto verification as the
 * CLI runs it) in this process; an attacker in a child process sends one introduction-request
 * and then bundles datagrams (7 bundles each, the most that fit 1 200 bytes) at a fixed rate from one source address: bad
 * signatures, or valid bundles of one key. The honest node publishes every 250 ms throughout.
 * Each scenario runs twice in the same run: with the intake budgets unlimited and a plain
 * logger (the behaviour before issue 20, the baseline) and with the default budgets and the
 * CLI's rate-limited logger. Printed per scenario: signature checks and the share of a core
 * spent in them, process CPU, bundles and bytes stored, "delivered" log lines, datagrams the
 * kernel dropped (/proc/net/snmp), honest P50/P90 delivery latency at the victim, and the
 * ratios budgets ÷ baseline. Loopback only; every loop is bounded by `--seconds`.
 */
import { fork } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateKeyPair, roomId, signBundle, type Bundle, type KeyPair } from '../src/bundle/index.js'
import { nativeVerifyBundle } from '../src/node/native-verify.js'
import { SystemClock } from '../src/env/clock.js'
import { createLogger, rateLimitedLogger, type Logger } from '../src/env/logger.js'
import { CryptoRng } from '../src/env/crypto-rng.js'
import { SeededRng } from '../src/env/rng.js'
import { createNode, type BloomwalkNode, type IntakeBudgetsInit } from '../src/node/index.js'
import { MemoryStore } from '../src/store/memory.js'
import { createUdpTransport } from '../src/transport/index.js'
import { encodePacket, type Address } from '../src/wire/index.js'

const BUNDLES_PER_DATAGRAM = 7
const BODY_BYTES = 8
const HONEST_EVERY_MS = 250
const STEP_MS = 200
const UNLIMITED: IntakeBudgetsInit = {
  host: { verifications: Infinity, stores: Infinity, bytes: Infinity },
  author: { verifications: Infinity, stores: Infinity, bytes: Infinity },
  datagrams: { datagrams: Infinity, bytes: Infinity }
}

type Attack = 'quiet' | 'bad-signatures' | 'valid'

interface AttackerArgs {
  victim: Address
  overlay: string
  rate: number
  seconds: number
  attack: Attack
  seed: number
}

interface Row {
  attack: Attack
  rate: number
  budgets: 'baseline' | 'budgets'
  datagramsSent: number
  verifications: number
  verifyCoreShare: number
  processCoreShare: number
  stored: number
  storedBytes: number
  logLines: number
  kernelDrops: number
  honestDelivered: number
  honestPublished: number
  p50: number
  p90: number
  drops: Record<string, number>
}

// ---------------------------------------------------------------- attacker (child process)

function attackerDatagrams(a: AttackerArgs): Uint8Array[] {
  const overlay = Uint8Array.from(Buffer.from(a.overlay, 'hex'))
  const rng = new SeededRng(a.seed)
  const key: KeyPair = generateKeyPair(rng)
  const out: Uint8Array[] = []
  // Bad signatures: 64 distinct datagrams sent round-robin (never stored, so each costs a check every time).
  // Valid: every bundle distinct, so each is new to the victim.
  const count = a.attack === 'valid' ? Math.ceil(a.rate * a.seconds) : 64
  // Global times cycle through 1..9 000, inside the acceptable range (the victim's time + 10 000):
  // the global-time guard lets every one through, so only the budgets stand in the way.
  let n = 0
  for (let d = 0; d < count; d++) {
    const bundles: Bundle[] = []
    for (let i = 0; i < BUNDLES_PER_DATAGRAM; i++) {
      const body = rng.bytes(BODY_BYTES)
      const b = signBundle({ overlay, globalTime: 1 + (n++ % 9000), kind: 1, body }, key)
      if (a.attack === 'bad-signatures') b.bytes[b.bytes.length - 1]! ^= 1
      bundles.push(b)
    }
    out.push(encodePacket(overlay, { type: 'bundles', bundles }))
  }
  return out
}

async function runAttacker(a: AttackerArgs): Promise<void> {
  const datagrams = attackerDatagrams(a)
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.3', resolve))
  const self = { host: '127.0.0.3', port: socket.address().port }
  const overlay = Uint8Array.from(Buffer.from(a.overlay, 'hex'))
  const send = (bytes: Uint8Array) => socket.send(bytes, a.victim.port, a.victim.host)
  send(encodePacket(overlay, { type: 'introduction-request', destination: a.victim, sourceLan: self, sourceWan: self, advice: false, connectionType: 'unknown', identifier: 1, globalTime: 0 }))
  await new Promise((r) => setTimeout(r, 300))
  process.send?.({ ready: true })
  const start = Date.now()
  const total = Math.floor(a.rate * a.seconds)
  let sent = 0
  // Paced in 5 ms slices: as many datagrams as the rate allows so far.
  while (sent < total && Date.now() - start < a.seconds * 1000 + 2000) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * a.rate))
    while (sent < due) send(datagrams[sent++ % datagrams.length]!)
    await new Promise((r) => setTimeout(r, 5))
  }
  await new Promise((r) => setTimeout(r, 100))
  socket.close()
  process.send?.({ sent })
}

// ---------------------------------------------------------------- victim (this process)

function kernelUdpErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'))
    const names = lines[0]!.split(/\s+/)
    const values = lines[1]!.split(/\s+/).map(Number)
    return values[names.indexOf('InErrors')] ?? 0
  } catch {
    return Number.NaN
  }
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}

async function scenario(attack: Attack, rate: number, seconds: number, budgets: 'baseline' | 'budgets'): Promise<Row> {
  const clock = new SystemClock()
  const overlay = roomId(`intake-flood-${attack}-${rate}-${budgets}`)
  let verifications = 0
  let verifyNs = 0n
  const verifyBundle = (b: Bundle): boolean => {
    const t0 = process.hrtime.bigint()
    const ok = nativeVerifyBundle(b)
    verifyNs += process.hrtime.bigint() - t0
    verifications++
    return ok
  }
  let logLines = 0
  const plain = createLogger('victim', { level: 'info', sink: () => void logLines++ })
  const log: Logger = budgets === 'baseline' ? plain : rateLimitedLogger(plain, () => clock.now())
  // Three loopback hosts: the budgets are per host, and the honest node must not share the attacker's.
  const [vt, ht] = [await createUdpTransport({ host: '127.0.0.1' }), await createUdpTransport({ host: '127.0.0.2' })]
  const fast = { stepIntervalMs: STEP_MS, candidates: { walkEligibleDelayMs: 3 * STEP_MS } }
  const victimStore = new MemoryStore()
  const victim: BloomwalkNode = createNode({ components: { transport: vt, clock, rng: new CryptoRng(), store: victimStore, verifyBundle }, settings: { overlays: [overlay], trusted: [ht.address()], intakeBudgets: budgets === 'baseline' ? UNLIMITED : undefined, ...fast } })
  const honestKeys = generateKeyPair(new CryptoRng())
  const honest: BloomwalkNode = createNode({ components: { keys: honestKeys, transport: ht, clock, rng: new CryptoRng(), store: new MemoryStore(), verifyBundle: nativeVerifyBundle }, settings: { overlays: [overlay], trusted: [vt.address()], ...fast } })
  const published = new Map<string, number>()
  const latencies: number[] = []
  let stored = 0
  let storedBytes = 0
  const honestKey = Buffer.from(honestKeys.publicKey).toString('hex')
  victim.events.on('bundle', ({ bundle }) => {
    log.info('delivered', { id: Buffer.from(bundle.id.subarray(0, 8)).toString('hex'), globalTime: bundle.globalTime, bytes: bundle.bytes.length })
    if (Buffer.from(bundle.author).toString('hex') !== honestKey) {
      stored++
      storedBytes += bundle.bytes.length
    }
    const at = published.get(Buffer.from(bundle.id).toString('hex'))
    if (at !== undefined) latencies.push(clock.now() - at)
  })
  await victim.start()
  await honest.start()
  await new Promise((r) => setTimeout(r, 1000)) // the two meet
  let attacker: ReturnType<typeof fork> | undefined
  let sent = 0
  let ready: () => void = () => {}
  const started = new Promise<void>((r) => (ready = r))
  const done =
    attack === 'quiet'
      ? new Promise<void>((r) => {
          ready()
          setTimeout(r, seconds * 1000)
        })
      : new Promise<void>((resolve, reject) => {
          const args: AttackerArgs = { victim: vt.address(), overlay: Buffer.from(overlay).toString('hex'), rate, seconds, attack, seed: 20 }
          attacker = fork(fileURLToPath(import.meta.url), ['--attacker', JSON.stringify(args)], { stdio: 'inherit' })
          attacker.on('message', (m: { ready?: boolean; sent?: number }) => {
            if (m.ready === true) ready()
            if (m.sent !== undefined) {
              sent = m.sent
              resolve()
            }
          })
          attacker.on('error', reject)
          attacker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`attacker exited ${code}`))))
        })
  // Measured from the attacker's first bundles datagram (its bundles are made beforehand) to its last.
  await started
  const t0 = clock.now()
  const cpu0 = process.cpuUsage()
  const drops0 = kernelUdpErrors()
  const publisher = setInterval(() => {
    void honest.publish(overlay, new TextEncoder().encode(`honest ${clock.now()}`)).then((b) => published.set(Buffer.from(b.id).toString('hex'), clock.now()))
  }, HONEST_EVERY_MS)
  // The flood starts after the attacker's introduction; measured from the fork to its end.
  await done
  clearInterval(publisher)
  const wall = clock.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const kernelDrops = kernelUdpErrors() - drops0
  await new Promise((r) => setTimeout(r, 2000)) // honest bundles in flight arrive
  attacker?.kill()
  const stats = victim.stats()
  await Promise.all([victim.stop(), honest.stop()])
  await Promise.all([vt.close(), ht.close()])
  const honestPublished = published.size
  return {
    attack,
    rate,
    budgets,
    datagramsSent: sent,
    verifications,
    verifyCoreShare: Number(verifyNs) / 1e6 / wall,
    processCoreShare: (cpu.user + cpu.system) / 1000 / wall,
    stored,
    storedBytes,
    logLines,
    kernelDrops,
    honestDelivered: latencies.length,
    honestPublished,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    drops: stats.bundleDrops
  }
}

function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? '—' : '∞'
  return `×${(a / b).toFixed(3)}`
}

function format(r: Row): string {
  return (
    `${r.attack.padEnd(14)} ${String(r.rate).padStart(5)}/s ${r.budgets.padEnd(8)} sent ${String(r.datagramsSent).padStart(6)} ` +
    `checks ${String(r.verifications).padStart(7)} (${(r.verifyCoreShare * 100).toFixed(2)} % of a core; process ${(r.processCoreShare * 100).toFixed(0)} %) ` +
    `stored ${r.stored} (${r.storedBytes} B) log ${r.logLines} kernel-drops ${r.kernelDrops} ` +
    `honest ${r.honestDelivered}/${r.honestPublished} P50 ${r.p50.toFixed(0)} ms P90 ${r.p90.toFixed(0)} ms`
  )
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const at = args.indexOf('--attacker')
  if (at >= 0) return runAttacker(JSON.parse(args[at + 1]!) as AttackerArgs)
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1]! : fallback
  }
  const seconds = Number(option('seconds', '10'))
  const rates = option('rates', '1000,3000').split(',').map(Number)
  if (!(seconds > 0 && seconds <= 120) || rates.some((r) => !(r > 0 && r <= 20_000))) {
    process.stderr.write('usage: intake-flood [--seconds 1..120] [--rates r1,r2 (each 1..20000)] [--attacks bad-signatures,valid] [--json]\n')
    process.exit(2)
  }
  const attacks = option('attacks', 'bad-signatures,valid').split(',')
  if (attacks.some((a) => a !== 'bad-signatures' && a !== 'valid')) {
    process.stderr.write('usage: intake-flood: --attacks takes bad-signatures and/or valid\n')
    process.exit(2)
  }
  const plan: [Attack, number][] = [['quiet', 0], ...(attacks.includes('bad-signatures') ? rates.map((r): [Attack, number] => ['bad-signatures', r]) : []), ...(attacks.includes('valid') ? [['valid', rates[0]!] as [Attack, number]] : [])]
  const rows: Row[] = []
  for (const [attack, rate] of plan) {
    for (const budgets of ['baseline', 'budgets'] as const) {
      const row = await scenario(attack, rate, seconds, budgets)
      rows.push(row)
      process.stdout.write(format(row) + '\n')
    }
    const [base, with_] = rows.slice(-2) as [Row, Row]
    process.stdout.write(
      `  budgets ÷ baseline: checks ${ratio(with_.verifications, base.verifications)}, verify CPU ${ratio(with_.verifyCoreShare, base.verifyCoreShare)}, ` +
        `stored ${ratio(with_.stored, base.stored)}, log lines ${ratio(with_.logLines, base.logLines)}, honest P90 ${ratio(with_.p90, base.p90)}; ` +
        `budget drops ${JSON.stringify(Object.fromEntries(Object.entries(with_.drops).filter(([k]) => k.includes('budget'))))}\n`
    )
  }
  const quiet = rows.find((r) => r.attack === 'quiet' && r.budgets === 'budgets')!
  for (const r of rows.filter((x) => x.attack !== 'quiet')) {
    process.stdout.write(`honest P90 ${r.attack} ${r.rate}/s ${r.budgets} ÷ quiet: ${ratio(r.p90, quiet.p90)}\n`)
  }
  if (args.includes('--json')) process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
}

await main()
