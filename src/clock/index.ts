/**
 * Lamport global time for one overlay and the acceptable-range guard (DESIGN §5, §9).
 */
export {
  type AuthorKey,
  type GlobalTimeVerdict,
  type LamportClockInit,
  type LamportClockStats,
  DEFAULT_ACCEPTABLE_RANGE,
  DEFAULT_AUTHOR_CAP,
  DEFAULT_MAX_PEERS,
  DEFAULT_MIN_PEERS,
  DEFAULT_PEER_MAX_AGE_MS,
  LamportClock,
  MAX_GLOBAL_TIME,
  isValidGlobalTime
} from './lamport.js'
