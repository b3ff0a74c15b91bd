export type { Bundle, BundleDraft } from './types.js'
export {
  BUNDLE_VERSION,
  ID_BYTES,
  SIGNATURE_BYTES,
  MAX_GLOBAL_TIME,
  MAX_PARENTS_FIELD,
  MAX_BODY_FIELD,
  BUNDLE_FIXED_BYTES,
  type BundleDecodeLimits,
  type CanonicalFields,
  encodedBundleSize,
  IDENTITY_NONCE_BYTES,
  encodeCanonical,
  bundleIdOf,
  BUNDLE_ID_DOMAIN,
  decodeBundle
} from './codec.js'
export { type KeyPair, generateKeyPair, keyPairFromSecret, signBundle, portableSign, type Signer, verifyBundleSignature, memoizedVerifier } from './sign.js'
export { roomId } from './room.js'
export { DEFAULT_ROOM_POLICY, OPEN_ROOM_POLICY, POLICY_BYTES, encodePolicy, policyError, roomPolicy, samePolicy, type RoomPolicy } from './policy.js'
export { hasIdentityWork, identityEpochOf, identityWork, mintIdentity } from './identity.js'
export {
  BUNDLES_HEADER_BYTES,
  DEFAULT_DATAGRAM_BUDGET,
  DEFAULT_BUNDLE_POLICY,
  type BundlePolicy,
  type BundleCheck,
  type ValidateOptions,
  maxBundleBytes,
  validateBundle,
  validateDecoded,
  validateStructure,
  equalBytes
} from './validate.js'
