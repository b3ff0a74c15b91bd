/**
 * NAT traversal logic (DESIGN §6, §9): addresses and subnet prefixes, WAN-address voting
 * and connection type, the choice between a peer's LAN and WAN address, and puncture
 * bookkeeping. Sans-I/O: callers pass in decoded addresses and `now`.
 */
export {
  type Address,
  type SubnetKeys,
  addressKey,
  canonicalHost,
  hostKey,
  isUnspecifiedHost,
  isValidAddress,
  parseAddressKey,
  sameHost,
  subnetKeys
} from './address.js'
export { type ConnectionType, CONNECTION_TYPES } from './types.js'
export { type VoteOutcome, type WanVoterInit, DEFAULT_MAX_VOTERS, WanVoter, chooseAddress } from './wan-voter.js'
export {
  type PunctureMatch,
  type PunctureStats,
  type PunctureTrackerInit,
  DEFAULT_MAX_OUTSTANDING_PUNCTURES,
  DEFAULT_PUNCTURE_TIMEOUT_MS,
  PunctureTracker
} from './puncture.js'
