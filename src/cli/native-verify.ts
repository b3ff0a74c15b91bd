/**
 * Ed25519 verification by node:crypto (OpenSSL), for the processes the CLI starts: about
 * 15× faster than the portable @noble/curves path the core uses by default (bench: `npm run
 * bench -- --only bundle`). Both verify strictly per RFC 8032; test/cli/native-verify.test.ts
 * checks they agree on valid, forged and malformed signatures.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import type { Bundle } from '../bundle/types.js'

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/**
 * Imported public keys kept, most recently used last: importing a key costs about as much
 * as the verification itself, and a room has far fewer authors than bundles.
 */
export const KEY_CACHE_SIZE = 4096
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
