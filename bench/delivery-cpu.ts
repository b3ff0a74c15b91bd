/**
 * `npm run delivery-cpu -- [--builds A,B] [--runs R] [demo flags]`: the real node's CPU per
 * delivery in a busy room (docs/evaluation.md §6). Runs `bloomwalk demo` (every peer in one
 * process, real UDP on 127.0.0.1, a LevelDB each) of one or more builds, the builds alternated
 * run by run with the same seed, and prints per run the process's CPU seconds (user + system,
 * every thread: the LevelDB pool too) ÷ (message, receiver) deliveries, and datagrams and
 * bytes per delivery; then per build the median and its ratio to the first build, taken over
 * the runs' pairs (each pair ran in the same window of a shared machine).
 *
 *   npm run delivery-cpu                                          # this build, 3 runs
 *   node dist/bench/delivery-cpu.js --builds dist-base,dist --runs 5
 *
 * Linux only: a child's CPU is read from /proc/self/stat (the reaped children's times).
 */
import { spawn, execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

export const DELIVERY_CPU_USAGE = `usage: node dist/bench/delivery-cpu.js [--builds DIR[,DIR…]] [--runs 3] [--nodes 30] [--messages 600]
         [--threads 1] [--step 5000] [--spread 2] [--timeout 120] [--seed 1] [--json]

DIR is a build's output folder (its dist/, holding src/cli/main.js); default: this build.
Run r uses seed S + r − 1 for every build; the builds' order alternates from run to run.`

interface Run {
  build: string
  run: number
  seed: number
  converged: boolean
  seconds: number
  deliveries: number
  cpuSeconds: number
  cpuMsPerDelivery: number
  /** CPU µs per datagram sent (every datagram is also received): the work per delivery varies with the run's traffic. */
  cpuUsPerDatagram: number
  datagramsPerDelivery: number
  bytesPerDelivery: number
  load: number
}

/** Clock ticks per second of /proc's times. */
function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
}

/** CPU seconds (user + system) of this process's reaped children so far. */
function childrenCpu(ticks: number): number {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  // Fields after "pid (comm) ": state is field 3; cutime and cstime are fields 16 and 17.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[13]) + Number(rest[14])) / ticks
}

function demo(cli: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, 'demo', ...args, '--json'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.on('error', fail)
    // 'close': the child was reaped, so its times are in ours.
    child.on('close', (code) => (code === 0 || code === 1 ? done(out) : fail(new Error(`${cli} demo exited ${code}`))))
  })
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      builds: { type: 'string' },
      runs: { type: 'string', default: '3' },
      nodes: { type: 'string', default: '30' },
      messages: { type: 'string', default: '600' },
      threads: { type: 'string', default: '1' },
      step: { type: 'string', default: '5000' },
      spread: { type: 'string', default: '2' },
      timeout: { type: 'string', default: '120' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean' },
      help: { type: 'boolean' }
    }
  })
  if (values.help === true) {
    process.stdout.write(DELIVERY_CPU_USAGE + '\n')
    return 0
  }
  if (process.platform !== 'linux') {
    process.stderr.write('delivery-cpu: reads children CPU times from /proc (Linux only)\n')
    return 2
  }
  const here = resolve(import.meta.dirname, '..')
  const builds = (values.builds ?? here).split(',').map((b) => resolve(b))
  const runs = Number(values.runs)
  const seed = Number(values.seed)
  const shape = ['--nodes', values.nodes!, '--messages', values.messages!, '--threads', values.threads!, '--step', values.step!, '--spread', values.spread!, '--timeout', values.timeout!]
  const ticks = clockTicks()
  const all: Run[] = []
  if (values.json !== true) process.stdout.write(`demo ${shape.join(' ')}; ${builds.length} build(s) × ${runs} run(s), alternated\n`)
  for (let r = 1; r <= runs; r++) {
    const order = r % 2 === 1 ? builds : [...builds].reverse()
    for (const build of order) {
      const load = loadavg()[0]!
      const before = childrenCpu(ticks)
      const out = await demo(join(build, 'src/cli/main.js'), [...shape, '--seed', String(seed + r - 1)])
      const cpuSeconds = childrenCpu(ticks) - before
      const result = JSON.parse(out) as { converged: boolean; seconds: number; deliveries: number; datagrams: number; bytes: number }
      const d = Math.max(1, result.deliveries)
      const row: Run = {
        build,
        run: r,
        seed: seed + r - 1,
        converged: result.converged,
        seconds: result.seconds,
        deliveries: result.deliveries,
        cpuSeconds: round(cpuSeconds, 2),
        cpuMsPerDelivery: round((1000 * cpuSeconds) / d, 3),
        cpuUsPerDatagram: round((1e6 * cpuSeconds) / Math.max(1, result.datagrams), 1),
        datagramsPerDelivery: round(result.datagrams / d, 3),
        bytesPerDelivery: round(result.bytes / d, 1),
        load: round(load, 2)
      }
      all.push(row)
      if (values.json === true) process.stdout.write(JSON.stringify(row) + '\n')
      else
        process.stdout.write(
          `run ${r} seed ${row.seed} ${build}: ${row.converged ? 'converged' : 'NOT converged'} in ${row.seconds} s, ${row.deliveries} deliveries, ` +
            `CPU ${row.cpuSeconds} s = ${row.cpuMsPerDelivery} ms/delivery (${row.cpuUsPerDatagram} µs/datagram), ${row.datagramsPerDelivery} datagrams and ${row.bytesPerDelivery} bytes/delivery, load ${row.load}\n`
        )
    }
  }
  const first = builds[0]!
  for (const build of builds) {
    const mine = all.filter((x) => x.build === build)
    const pair = (x: Run): Run => all.find((y) => y.build === first && y.run === x.run)!
    const ratios = mine.map((x) => x.cpuMsPerDelivery / pair(x).cpuMsPerDelivery)
    const datagramRatios = mine.map((x) => x.cpuUsPerDatagram / pair(x).cpuUsPerDatagram)
    const summary = {
      build,
      runs: mine.length,
      cpuMsPerDelivery: round(median(mine.map((x) => x.cpuMsPerDelivery)), 3),
      ratio: round(median(ratios), 3),
      ratios: ratios.map((x) => round(x, 3)),
      cpuUsPerDatagram: round(median(mine.map((x) => x.cpuUsPerDatagram)), 1),
      datagramRatio: round(median(datagramRatios), 3),
      datagramsPerDelivery: round(median(mine.map((x) => x.datagramsPerDelivery)), 3),
      bytesPerDelivery: round(median(mine.map((x) => x.bytesPerDelivery)), 1),
      seconds: round(median(mine.map((x) => x.seconds)), 2)
    }
    if (values.json === true) process.stdout.write(JSON.stringify({ summary }) + '\n')
    else
      process.stdout.write(
        `${build}: median ${summary.cpuMsPerDelivery} ms CPU/delivery (×${summary.ratio} of ${first}; per run ${summary.ratios.join(', ')}), ` +
          `${summary.cpuUsPerDatagram} µs CPU/datagram (×${summary.datagramRatio}), ` +
          `${summary.datagramsPerDelivery} datagrams and ${summary.bytesPerDelivery} bytes/delivery, ${summary.seconds} s\n`
      )
  }
  return 0
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

process.exitCode = await main()
