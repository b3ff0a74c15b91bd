/**
 * Validation of a bundle received from an untrusted peer: size, structure, policy limits,
 * overlay, expected id, signature — in that order, cheapest first. Returns a typed result;
 * never throws.
 */
import type { ErrorCode } from '../errors.js'
import { decodeBundle, MAX_BODY_FIELD, MAX_PARENTS_FIELD } from './codec.js'
import { verifyBundleSignature } from './sign.js'
import type { Bundle } from './types.js'
import { equalBytes } from '../bytes.js'

/** Byte equality (re-exported from src/bytes.ts, where it lives). */
export { equalBytes }

/**
 * Bytes the bundles packet spends around a single bundle: the envelope's version (2) and
 * overlay (34), the bundles field tag and 2-byte length (3), and the bundle's own tag and
 * 2-byte length (3). `test/wire` checks this against the real encoder.
 */
export const BUNDLES_HEADER_BYTES = 42

/** Default datagram budget in bytes of UDP payload (DESIGN §2). */
export const DEFAULT_DATAGRAM_BUDGET = 1200

/** The largest encoded bundle that fits one datagram of `budget` bytes with the bundles header. */
export function maxBundleBytes(budget: number = DEFAULT_DATAGRAM_BUDGET): number {
  return budget - BUNDLES_HEADER_BYTES
}

/** Policy limits for accepting bundles. */
export interface BundlePolicy {
  /** Largest encoded bundle, bytes. Default: {@link maxBundleBytes} of 1 200. */
  maxBytes: number
  /** Most parents a bundle may name. Default 16. */
  maxParents: number
}

export const DEFAULT_BUNDLE_POLICY: Readonly<BundlePolicy> = Object.freeze({
  maxBytes: maxBundleBytes(DEFAULT_DATAGRAM_BUDGET),
  maxParents: 16
})

/** Outcome of {@link validateBundle}. */
export type BundleCheck = { ok: true; bundle: Bundle } | { ok: false; code: ErrorCode }

export interface ValidateOptions {
  policy?: BundlePolicy
  /** The overlay the bundle arrived in; a bundle of another overlay is rejected. */
  overlay?: Uint8Array
  /** The id the sender claimed (e.g. a bundle requested by id). */
  expectedId?: Uint8Array
  /**
   * The signature check. Default {@link verifyBundleSignature}. The simulator injects a
   * memoising one shared by all simulated nodes, which verifies each distinct bundle once.
   */
  verify?: (bundle: Bundle) => boolean
}

/** Decodes and fully validates an encoded bundle. */
export function validateBundle(bytes: Uint8Array, options: ValidateOptions = {}): BundleCheck {
  const policy = options.policy ?? DEFAULT_BUNDLE_POLICY
  if (bytes.length > policy.maxBytes) return { ok: false, code: 'BUNDLE_TOO_LARGE' }
  const bundle = decodeBundle(bytes, { maxParents: MAX_PARENTS_FIELD, maxBody: MAX_BODY_FIELD })
  if (bundle === null) return { ok: false, code: 'BUNDLE_MALFORMED' }
  return checkDecoded(bundle, policy, options)
}

/** Validates an already decoded bundle (re-verifies its signature). */
export function validateDecoded(bundle: Bundle, options: ValidateOptions = {}): BundleCheck {
  const policy = options.policy ?? DEFAULT_BUNDLE_POLICY
  if (bundle.bytes.length > policy.maxBytes) return { ok: false, code: 'BUNDLE_TOO_LARGE' }
  return checkDecoded(bundle, policy, options)
}

/**
 * Every check of {@link validateDecoded} but the signature: what a node runs before it
 * decides whether a bundle is worth a signature check (intake budgets, DESIGN §14).
 */
export function validateStructure(bundle: Bundle, options: Omit<ValidateOptions, 'verify'> = {}): BundleCheck {
  const policy = options.policy ?? DEFAULT_BUNDLE_POLICY
  if (bundle.bytes.length > policy.maxBytes) return { ok: false, code: 'BUNDLE_TOO_LARGE' }
  return checkStructure(bundle, policy, options)
}

function checkStructure(bundle: Bundle, policy: BundlePolicy, options: ValidateOptions): BundleCheck {
  if (bundle.parents.length > policy.maxParents) return { ok: false, code: 'BUNDLE_TOO_MANY_PARENTS' }
  if (options.overlay !== undefined && !equalBytes(bundle.overlay, options.overlay)) return { ok: false, code: 'BUNDLE_WRONG_OVERLAY' }
  if (options.expectedId !== undefined && !equalBytes(bundle.id, options.expectedId)) return { ok: false, code: 'BUNDLE_BAD_ID' }
  return { ok: true, bundle }
}

function checkDecoded(bundle: Bundle, policy: BundlePolicy, options: ValidateOptions): BundleCheck {
  const structure = checkStructure(bundle, policy, options)
  if (!structure.ok) return structure
  if (!(options.verify ?? verifyBundleSignature)(bundle)) return { ok: false, code: 'BUNDLE_BAD_SIGNATURE' }
  return { ok: true, bundle }
}

