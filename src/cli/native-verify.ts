/**
 * Ed25519 verification by node:crypto (OpenSSL), for the processes the CLI starts: about
 * 15× faster than the portable @noble/curves path the core uses by default (bench: `npm run
 * bench -- --only bundle`). Both verify strictly per RFC 8032; test/cli/native-verify.test.ts
 * checks they agree on valid, forged and malformed signatures.
 */
import { createPublicKey, verify } from 'node:crypto'
import type { Bundle } from '../bundle/types.js'

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Verifies a bundle's signature with node:crypto; false for anything malformed. */
export function nativeVerifyBundle(bundle: Bundle): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bundle.author]), format: 'der', type: 'spki' })
    return verify(null, bundle.id, key, bundle.signature)
  } catch {
    return false
  }
}
