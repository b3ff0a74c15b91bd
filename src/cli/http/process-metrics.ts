/**
 * The process's own figures under the names Prometheus client libraries share
 * (`process_resident_memory_bytes`, `process_cpu_seconds_total`, `nodejs_eventloop_lag_*`).
 * Not prom-client's `collectDefaultMetrics`: three of its gauges end in `_total`, which
 * `promtool check metrics` rejects, and its observers cannot be removed again.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { Counter, Gauge, type Registry } from 'prom-client'

/** Event-loop delay sampling resolution, ms (prom-client's default too). */
const LAG_RESOLUTION_MS = 10

/** What {@link processMetrics} returns: call `scraped()` after each page, `stop()` at the end. */
export interface ProcessMetrics {
  /** Restarts the event-loop histogram (lag is reported per scrape interval). */
  scraped(): void
  /** Ends the event-loop sampling. */
  stop(): void
}

/** Registers the process metrics on `registry`. */
export function processMetrics(registry: Registry): ProcessMetrics {
  const registers = [registry]
  const lag: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS })
  lag.enable()
  const started = Date.now() / 1000 - process.uptime()
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes',
    registers,
    collect() {
      this.set(process.memoryUsage.rss())
    }
  })
  new Gauge({
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use, bytes',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed)
    }
  })
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent, seconds',
    registers,
    collect() {
      const { user, system } = process.cpuUsage()
      this.reset()
      this.inc((user + system) / 1e6)
    }
  })
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, seconds', registers }).set(Math.round(started))
  // Event-loop lag since the previous scrape (the histogram restarts at each one).
  const lagGauge = (name: string, help: string, read: (h: IntervalHistogram) => number): Gauge =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        // No sample yet (a scrape right at start): 0 rather than NaN.
        this.set(lag.count === 0 ? 0 : read(lag) / 1e9)
      }
    })
  lagGauge('nodejs_eventloop_lag_mean_seconds', 'Mean event-loop delay since the last scrape, seconds', (h) => h.mean)
  lagGauge('nodejs_eventloop_lag_p99_seconds', '99th percentile of the event-loop delay since the last scrape, seconds', (h) => h.percentile(99))
  lagGauge('nodejs_eventloop_lag_max_seconds', 'Longest event-loop delay since the last scrape, seconds', (h) => h.max)
  return { scraped: () => lag.reset(), stop: () => lag.disable() }
}
