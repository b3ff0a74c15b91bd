/**
 * `bloomwalk reconcile-bench`: the Bloom walk against coded-symbol catch-up between two peers
 * running the node's services (bench/reconcile-bench.ts, docs/reconcile.md §12). The
 * benchmark's code is in bench/ (src/cli holds commands); this command loads it from the
 * build. The package ships dist/src only, so an installed bloomwalk says where to run it.
 */
import { DEFAULT_SYMBOLS_PER_DIFFERENCE } from '../reconcile/index.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET } from '../sync/config.js'
import { CommandError, type CommandIo } from './command.js'

/** The methods the benchmark compares. */
export const RECONCILE_METHODS = ['bloom-largest', 'bloom-modulo', 'symbols'] as const

export const RECONCILE_BENCH_USAGE = `usage: bloomwalk reconcile-bench [--shared N] [--diff D] [--layout random|recent|newest|lacking] [--budget BYTES]
                                 [--max-steps S] [--methods LIST] [--policy node] [--symbols-per-difference F]
                                 [--full-ids] [--symbols-per-root-difference R] [--first-window-share S]
                                 [--seed S] [--json]

From a checkout (after npm run build; npm run reconcile-bench -- [options] runs the same):
the benchmark's code is in bench/, which the package does not ship.

Two peers share N bundles (196 B each) and differ in D. Each method reconciles them over the
in-memory network; printed per method: round trips, datagrams and bytes each way, metadata
(all bytes but the missing bundles, each counted once) per difference and its ratio to the
information floor for that D (32-byte ids, and 64-bit short ids), and CPU per side (for stable CPU figures run node with --expose-gc and
--single-threaded-gc, as npm run reconcile-bench does).

  --shared     N, bundles both hold (default 100000)
  --diff       D, differences (default 100)
  --layout     random: anywhere in history, half held by each side; recent: the newest D, half
               held by each side; newest: the newest D, all held by B (A was offline); lacking:
               anywhere, all held by B (default random)
  --budget     UDP payload budget per datagram, ${MIN_DATAGRAM_BUDGET}–${MAX_DATAGRAM_BUDGET} (default 1200)
  --max-steps  walk steps (both sides together) before a Bloom walk is reported unfinished (default 5000)
  --methods    comma-separated subset of ${RECONCILE_METHODS.join(', ')} (default all)
  --policy     coded symbols: node (the only one) = the node's catch-up services (src/node/catch-up.ts)
  --symbols-per-difference
               coded symbols: symbols asked for per estimated difference (default ${DEFAULT_SYMBOLS_PER_DIFFERENCE}):
               lower costs fewer bytes, higher fewer round trips
  --full-ids   coded symbols: 32-byte ids in every symbol, as before short ids (docs/reconcile.md §14)
  --symbols-per-root-difference
               coded symbols: symbols asked for on top per square root of the estimated difference
  --first-window-share
               coded symbols: share of the idle check's answer given to whole symbols (the rest: counts alone)
  --seed       seed of the bundles, the split and every random choice (default 1)
  --json       print one JSON object`

/** Runs the benchmark from the build (dist/bench), or says it needs a checkout. */
export async function runReconcileBenchCommand(argv: string[], out: (line: string) => void, io: Partial<CommandIo> = {}): Promise<number | void> {
  let bench: typeof import('../../bench/reconcile-bench.js')
  try {
    bench = await import('../../bench/reconcile-bench.js')
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes('reconcile-bench')) throw new CommandError('the benchmark runs from a checkout of bloomwalk (npm run reconcile-bench): this package does not ship bench/')
    throw err
  }
  return bench.runReconcileBench(argv, out, io)
}
