export { type Clock, type Cancel, SystemClock, ManualClock } from './clock.js'
export { CryptoRng } from './crypto-rng.js'
export { type Rng, SeededRng, float, int, intBetween, exponential, shuffle, pick, chance } from './rng.js'
export { type Logger, type LogLevel, type LogSink, type RateLimit, createLogger, rateLimitedLogger, silentLogger, stderrSink } from './logger.js'
