/**
 * bloomwalk: Dispersy-style Bloom-filter bundle synchronization among untrusted peers over
 * MTU-bounded UDP. The public API; see README.md for a tour and docs/ for the protocol.
 *
 * Subpath entry points: `bloomwalk/testing` (MemoryNetwork, ManualClock, SeededRng,
 * MemoryStore: deterministic tests), `bloomwalk/wire` (the codec and its limits),
 * `bloomwalk/bloom` (the filter and its hashing), `bloomwalk/sim` (the simulator).
 */
export { BloomwalkError, isBloomwalkError, type ErrorCode } from './errors.js'
export { type Clock, type Cancel, SystemClock } from './env/clock.js'
export { CryptoRng } from './env/crypto-rng.js'
export { type Rng } from './env/rng.js'
export { type Logger, type LogLevel, type LogSink, type RateLimit, createLogger, rateLimitedLogger, silentLogger, stderrSink } from './env/logger.js'
export * from './bundle/index.js'
export { BloomFilter, type BloomWire, type BloomSize, bloomCapacity, bloomFalsePositiveRate, bloomOptimalK, bloomSizeFor } from './bloom/index.js'
export * from './store/index.js'
export * from './node/index.js'
export * from './transport/index.js'
export {
  type DecodeLimits,
  type DropReason,
  type Packet,
  type PacketType,
  DEFAULT_DECODE_LIMITS,
  DROP_REASONS,
  decodeLimits,
  decodePacket,
  decodePacketWithReason,
  encodePacket,
  addressKey,
  parseAddressKey,
  mvdsMessageId
} from './wire/index.js'
export { type SyncConfig, type Strategy, type KindPolicy, type Direction, DEFAULT_SYNC_CONFIG, syncConfig } from './sync/config.js'
export { offerSize } from './sync/capacity.js'
export { LamportClock } from './clock/index.js'
export { CandidateTable, type Candidate, type Category } from './candidates/index.js'
