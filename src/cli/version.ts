/** The package's version, read from its package.json. */
import { readFileSync } from 'node:fs'

/** The package's version: package.json is two levels above src/cli, three above dist/src/cli. */
export function version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'bloomwalk' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // not this level
    }
  }
  return 'unknown'
}
