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
  encodeCanonical,
  bundleIdOf,
  BUNDLE_ID_DOMAIN,
  decodeBundle
} from './codec.js'
export { type KeyPair, generateKeyPair, keyPairFromSecret, signBundle, verifyBundleSignature, memoizedVerifier } from './sign.js'
export { roomId } from './room.js'
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
  equalBytes
} from './validate.js'
