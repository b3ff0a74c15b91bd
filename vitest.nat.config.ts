import { defineConfig } from 'vitest/config'

/**
 * The NAT-traversal suite (`npm run test:nat`): real `bloomwalk` processes behind NATs built
 * from Linux network namespaces (test/nat/harness.ts). Needs root; skips otherwise. One file,
 * its tests in order: each builds and removes its own lab.
 */
export default defineConfig({
  test: {
    include: ['test/nat/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false
  }
})
