/**
 * Ed25519 verification by node:crypto (OpenSSL): about 15× faster than the portable
 * @noble/curves path of src/bundle (bench: `npm run bench -- --only bundle`), and the node's
 * default ({@link defaultVerifyBundle}), in the library as in the CLI. Where node:crypto
 * lacks Ed25519 the default falls back to @noble/curves. Both verify strictly per RFC 8032;
 * test/node/native-verify.test.ts checks they agree on valid, forged and malformed signatures.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { verifyBundleSignature } from '../bundle/sign.js'
import type { Bundle } from '../bundle/types.js'

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/**
 * Imported public keys kept, most recently used last: importing a key costs about as much
 * as the verification itself, and a room has far fewer authors than bundles.
 */
export const KEY_CACHE_SIZE = 4096
/** Per process by design (a key's import is a pure function of its bytes), bounded by KEY_CACHE_SIZE. */
const keys = new Map<string, KeyObject>()

/** Verifies a bundle's signature with node:crypto; false for anything malformed. */
export function nativeVerifyBundle(bundle: Bundle): boolean {
  try {
    return verify(null, bundle.id, publicKey(bundle.author), bundle.signature)
  } catch {
    return false
  }
}

function publicKey(author: Uint8Array): KeyObject {
  const id = Buffer.from(author.buffer, author.byteOffset, author.byteLength).toString('base64')
  let key = keys.get(id)
  if (key !== undefined) {
    keys.delete(id)
  } else {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, author]), format: 'der', type: 'spki' })
    if (keys.size >= KEY_CACHE_SIZE) keys.delete(keys.keys().next().value as string)
  }
  keys.set(id, key)
  return key
}

/** RFC 8032 §7.1, test 1: a public key and its signature of the empty message. */
const RFC8032_KEY = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex')
const RFC8032_SIGNATURE = Buffer.from('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b', 'hex')

/** True when this runtime's node:crypto verifies Ed25519 (it accepts RFC 8032's first test vector). */
export function nativeEd25519Works(): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, RFC8032_KEY]), format: 'der', type: 'spki' })
    return verify(null, new Uint8Array(0), key, RFC8032_SIGNATURE)
  } catch {
    return false
  }
}

/** The native verifier when `nativeWorks`, else the portable one. */
export function pickVerifier(nativeWorks: boolean): (bundle: Bundle) => boolean {
  return nativeWorks ? nativeVerifyBundle : verifyBundleSignature
}

/** Per process by design: whether the runtime's node:crypto has Ed25519 does not change while it runs. */
let chosen: ((bundle: Bundle) => boolean) | undefined

/**
 * The node's default signature check: node:crypto's Ed25519 where the runtime has it (checked
 * once per process), else @noble/curves.
 */
export function defaultVerifyBundle(bundle: Bundle): boolean {
  chosen ??= pickVerifier(nativeEd25519Works())
  return chosen(bundle)
}
