/**
 * Ed25519 signing by node:crypto (OpenSSL) for what this node publishes: the portable
 * @noble/curves signer derives the public key again at every signature and costs ~2.5 ms a
 * bundle on a busy core, node:crypto a few tens of µs once the key is imported. Ed25519 is
 * deterministic (RFC 8032 §5.1.6), so both give the same 64 bytes and the same bundle;
 * test/node/native-sign.test.ts checks it. Where node:crypto lacks Ed25519 the portable
 * signer is used.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto'
import { portableSign, type KeyPair, type Signer } from '../bundle/sign.js'
import { nativeEd25519Works } from './native-verify.js'

/** DER prefix of an Ed25519 PKCS#8 private key; the 32-byte seed follows. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** Per process by design (an import is a pure function of the key pair), one per key-pair object, collected with it. */
const imported = new WeakMap<KeyPair, KeyObject>()

/** Signs with node:crypto; throws where the runtime lacks Ed25519 (use {@link defaultSign}). */
export const nativeSign: Signer = (id, keys) => {
  let key = imported.get(keys)
  if (key === undefined) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, keys.secretKey]), format: 'der', type: 'pkcs8' })
    imported.set(keys, key)
  }
  const out = sign(null, id, key)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Per process by design: whether the runtime's node:crypto has Ed25519 does not change while it runs. */
let chosen: Signer | undefined

/** The node's signer: node:crypto where the runtime has Ed25519 (checked once per process), else @noble/curves. */
export const defaultSign: Signer = (id, keys) => {
  chosen ??= nativeEd25519Works() ? nativeSign : portableSign
  return chosen(id, keys)
}
