import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/args.js'
import { OVERRIDE_OPTIONS, OVERRIDE_USAGE, overridesFrom, parseOverride } from '../../src/cli/overrides.js'

describe('preset overrides (sim, sweep)', () => {
  it('parses each given option into its scenario field', () => {
    expect(
      overridesFrom({ nodes: '50', budget: '1200', 'catch-up': 'off', 'churn-mode': 'offline', 'attack-claim': 'zero', trusted: 'off', session: '30', fpr: '0.01' })
    ).toEqual({ nodes: 50, budget: 1200, catchUp: false, churnMode: 'offline', attackClaimsInSync: false, trusted: false, session: 30, fpr: 0.01 })
    expect(overridesFrom({})).toEqual({})
  })

  it('documents every option in the usage text', () => {
    for (const name of Object.keys(OVERRIDE_OPTIONS)) expect(OVERRIDE_USAGE).toMatch(new RegExp(`^  --${name} \\S+ +\\S`, 'm'))
  })

  it.each([
    ['nodes', '1', /--nodes must be ≥ 2/],
    ['budget', '575', /--budget must be ≥ 576/],
    ['fpr', '0.6', /--fpr must be ≤ 0.5/],
    ['attackers', '0.95', /--attackers must be ≤ 0.9/],
    ['churn-mode', 'sometimes', /--churn-mode must be one of restart, offline/],
    ['colour', 'red', /unknown parameter "colour"/],
    ['toString', '1', /unknown parameter "toString"/]
  ])('%s=%s is refused with a message naming it', (name, raw, message) => {
    expect(() => parseOverride({}, name, raw)).toThrow(UsageError)
    expect(() => parseOverride({}, name, raw)).toThrow(message)
  })
})
