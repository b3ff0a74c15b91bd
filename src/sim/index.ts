/**
 * `bloomwalk/sim`: the simulator (docs/evaluation.md): the real node code on virtual time over
 * a simulated network, its presets and overrides, and its result.
 */
export { simulate, type SimOptions, type SimProgress } from './run.js'
export { PRESETS, presetNamed, withOverrides, type Overrides } from './presets.js'
export { type Scenario, type AttackSpec, type ChurnSpec, type NatSpec, type NetworkSpec, type HistorySpec, type Protocol, PROTOCOLS } from './scenario.js'
export { type SimResult, reproducible } from './result.js'
