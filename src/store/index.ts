/** The bundle store: interface, shared base class, memory and LevelDB backends. */
export type { BundleStore, RangeQuery, StateStore } from './types.js'
export { isStateStore } from './types.js'
export { AbstractBundleStore, normalizeRange, type NormalizedRange, type StoreCounters } from './abstract.js'
export { MemoryStore } from './memory.js'
export { LevelStore, JUMP_MIN_MODULO, DEFAULT_WRITE_BUFFER_SIZE, MAX_PUT_GROUP, type LevelStoreOptions, type OpenReport } from './level.js'
export { checkLevelStore, repairLevelStore, type StoreCheck, type StoreRepair, type OverlayCheck } from './level-check.js'
export { passesModulo, nextPassing, prevPassing } from './range.js'
