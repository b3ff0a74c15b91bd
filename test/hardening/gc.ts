/** Memory measurement helpers: a real `gc()` even without `--expose-gc`, and heap figures in MiB. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Exposes `globalThis.gc` (V8 allows turning the flag on at run time) and returns it. */
export function exposeGc(): () => void {
  const g = globalThis as { gc?: () => void }
  if (g.gc === undefined) {
    setFlagsFromString('--expose-gc')
    g.gc = runInNewContext('gc') as () => void
  }
  return g.gc
}

/** Heap in use after a full collection, MiB. */
export function heapAfterGcMB(): number {
  const gc = exposeGc()
  gc()
  gc()
  return process.memoryUsage().heapUsed / (1024 * 1024)
}
