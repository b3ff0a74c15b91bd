/**
 * `bloomwalk/testing`: what a test or a simulation of one's own needs to run nodes
 * deterministically: an in-memory network with latency and loss on virtual time, a manual
 * clock, a seeded random source and an in-memory store. Production code uses `bloomwalk`
 * (UDP, `SystemClock`, `CryptoRng`, `LevelStore`).
 */
export { ManualClock } from './env/clock.js'
export { SeededRng } from './env/rng.js'
export { MemoryNetwork } from './transport/memory.js'
export { MemoryTransport } from './transport/memory-transport.js'
export { MemoryStore } from './store/memory.js'
