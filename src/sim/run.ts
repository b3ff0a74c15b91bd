/**
 * One simulation run: builds the world and the driver of the scenario's protocol, preloads
 * the history, drives churn and publications on virtual time, samples the convergence
 * curve, and reports every metric (./result.ts). Deterministic: the same scenario and seed
 * give the same result, wall time and memory aside.
 */
import { BUNDLE_FIXED_BYTES } from '../bundle/codec.js'
import type { Bundle } from '../bundle/types.js'
import { float, int } from '../env/rng.js'
import { Churn } from './churn.js'
import { DeliveryLog } from './deliveries.js'
import type { Driver, Preload } from './driver.js'
import { driverFor } from './drivers.js'
import { runEvents } from './engine.js'
import { buildHistory } from './history.js'
import { bandwidth, byNatKind, freshFigures, type SimResult } from './result.js'
import { checkScenario, owedPairs, type Scenario } from './scenario.js'
import { SIM_EPOCH_MS, SimWorld } from './world.js'
import { hex } from '../bytes.js'

/** Progress of a run, for a progress bar. */
export interface SimProgress {
  /** Virtual time done ÷ virtual time limit. */
  fraction: number
  virtualSeconds: number
  /** Delivered share of the owed pairs. */
  delivered: number
}

export interface SimOptions {
  seed: number
  /** Called now and then with the progress (from the event loop; keep it cheap). */
  onProgress?: (p: SimProgress) => void
  /** Wall-clock milliseconds (performance.now in the CLI); absent = wall time not reported. */
  wallClock?: () => number
  /** CPU time of the process in ms (process.cpuUsage in the CLI). */
  cpu?: () => number
  /** Resident memory in bytes (process.memoryUsage().rss in the CLI); sampled during the run. */
  memory?: () => number
  /** Ends the run early (at the next event time); the result then covers the time simulated so far. */
  signal?: AbortSignal
  /** Ed25519 check of a bundle, memoised across nodes (default @noble/curves; the CLI injects node:crypto). */
  verify?: (bundle: Bundle) => boolean
  /** Ed25519 signature of a message under a 32-byte secret, for the preloaded history (default @noble/curves). */
  sign?: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array
}

/** Runs `scenario` with `options.seed`. @throws {BloomwalkError} INVALID_ARGUMENT for a bad scenario; an Error when its protocol has no driver yet */
export async function simulate(scenario: Scenario, options: SimOptions): Promise<SimResult> {
  const s = checkScenario(scenario)
  const started = options.wallClock?.()
  const cpuStarted = options.cpu?.()
  let peakRss = options.memory?.() ?? null
  const sampleMemory = () => {
    if (options.memory !== undefined) peakRss = Math.max(peakRss ?? 0, options.memory())
  }
  const historyBundles = s.history?.bundles ?? 0
  const log = new DeliveryLog(s.peers, s.messages + historyBundles, owedPairs(s))
  const world = new SimWorld(s, options.seed, log, { verify: options.verify, sign: options.sign })
  const driver = driverFor(world)
  await driver.setup(s.history === null ? undefined : () => historyOf(world, driver, options.sign))
  sampleMemory()

  // Churn and publication, serialised per peer so a publish never races a restart.
  const chains: Promise<void>[] = Array.from({ length: s.peers }, () => Promise.resolve())
  const pending: number[][] = Array.from({ length: s.peers }, () => [])
  const pubRng = world.rng.fork()
  const bodyBytes = Math.max(4, s.bundleBytes - BUNDLE_FIXED_BYTES)
  const publish = (peer: number, message: number) => {
    const body = pubRng.bytes(bodyBytes)
    new DataView(body.buffer).setUint32(0, message)
    chains[peer] = chains[peer]!.then(async () => {
      const p = await driver.publish(peer, body)
      log.publish(p.key, peer, p.bytes, world.elapsed())
    })
  }
  const churn = new Churn(world.clock, world.rng.fork(), s.churn, s.peers, s.stepIntervalMs, (peer, online) => {
    chains[peer] = chains[peer]!.then(() => driver.setOnline(peer, online))
    if (online) for (const m of pending[peer]!.splice(0)) publish(peer, m)
  })
  for (let m = 0; m < s.messages; m++) {
    const author = s.authors === 'each' ? m % s.peers : int(pubRng, s.peers)
    const at = s.publishStartMs + float(pubRng) * s.publishWindowMs
    world.clock.setTimeout(() => {
      if (churn.online[author] === true) publish(author, m)
      else pending[author]!.push(m)
    }, at)
  }
  const sample = () => {
    log.sample(world.elapsed())
    sampleMemory()
    world.clock.setTimeout(sample, s.sampleMs)
  }
  sample()

  const events = await runEvents(world.clock, s.quantumMs, {
    until: SIM_EPOCH_MS + s.durationMs,
    stop: () => options.signal?.aborted === true || (s.stopWhenComplete && log.complete),
    progressEvery: 2048,
    onProgress: (now) => {
      sampleMemory()
      options.onProgress?.({ fraction: (now - SIM_EPOCH_MS) / s.durationMs, virtualSeconds: (now - SIM_EPOCH_MS) / 1000, delivered: log.pairs === 0 ? 0 : log.delivered / log.expectedPairs })
    }
  })
  await Promise.all(chains)
  log.sample(world.elapsed())
  const summary = log.summary()
  const traffic = driver.traffic()
  const extra = driver.extra()
  const retention = s.policy !== null && driver.retention !== undefined ? await driver.retention() : null
  const spam = s.spam !== null && driver.spam !== undefined ? await driver.spam() : null
  const { curve, latency, messageLatency, latencyQuantiles, ...delivery } = summary
  const result: SimResult = {
    preset: s.name,
    description: s.description,
    protocol: s.protocol,
    seed: options.seed,
    scenario: s,
    virtualSeconds: Math.round(world.elapsed()) / 1000,
    aborted: options.signal?.aborted === true,
    events,
    delivery,
    latency: { perPair: latency, perMessage: messageLatency, quantiles: latencyQuantiles },
    byNatKind: byNatKind(world.natKinds, log.owedTo, log.deliveredTo),
    bandwidth: bandwidth(driver.hosts(), traffic, log.pairs, log.owedBytes),
    churn: s.churn.online >= 1 ? null : { onlineShare: Math.round((churn.onlineMs() / (s.peers * world.elapsed())) * 1000) / 1000, sessions: churn.stats.sessions },
    network: world.net.stats(),
    driver: extra,
    retention,
    spam,
    fresh: freshFigures(latencyQuantiles, s.stepIntervalMs, traffic['push']?.bytes ?? 0, (traffic['bundle-request']?.bytes ?? 0) + (traffic['bundles']?.bytes ?? 0), log.owedBytes, typeof extra['bundlesDuplicate'] === 'number' ? extra['bundlesDuplicate'] : 0, s.peers),
    curve,
    run: { wallSeconds: null, cpuSeconds: null, peakRssBytes: null }
  }
  await driver.stop()
  sampleMemory()
  const ended = options.wallClock?.()
  const cpuEnded = options.cpu?.()
  const seconds = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : Math.round(b - a) / 1000)
  result.run = { wallSeconds: seconds(started, ended), cpuSeconds: seconds(cpuStarted, cpuEnded), peakRssBytes: peakRss }
  return result
}

/** Builds the scenario's history and owes each bundle to the peers that lack it. */
function historyOf(world: SimWorld, driver: Driver, sign: SimOptions['sign']): Preload {
  const spec = world.scenario.history!
  const history = buildHistory(spec, world.scenario.peers, driver.overlay, world.scenario.bundleBytes, world.rng.fork(), sign)
  history.bundles.forEach((b, i) => world.log.publish(hex(b.id), -1, b.bytes.length, 0, history.lackedBy[i]!))
  return { bundles: history.bundles, missing: (peer) => history.missing[peer]! }
}
