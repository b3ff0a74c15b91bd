/**
 * Bundle benchmarks: sign (Ed25519 over the id) and verify, decode (layout + SHA-256 id),
 * with @noble/curves, beside node:crypto's Ed25519 verify of the same signature as the
 * reference point for what a native implementation does on this machine.
 *
 *   npm run build && node dist/bench/run.js --only bundle
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { decodeBundle, keyPairFromSecret, roomId, signBundle, verifyBundleSignature } from '../src/bundle/index.js'
import type { BenchGroup } from './harness.js'

export default function bundleBench(): BenchGroup {
  const keys = keyPairFromSecret(new Uint8Array(32).fill(9))
  const overlay = roomId('bench')
  const body = new Uint8Array(54).fill(1) // 196-byte bundles, the Dispersy test bed's size
  const bundle = signBundle({ overlay, globalTime: 1234, kind: 1, body }, keys)
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(keys.publicKey)])
  const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' })
  let gt = 1
  return {
    group: 'bundle',
    cases: [
      { name: 'sign a 196-byte bundle (noble Ed25519)', fn: () => signBundle({ overlay, globalTime: gt++, kind: 1, body }, keys) },
      { name: 'verify (node:crypto Ed25519, reference)', fn: () => nodeVerify(null, bundle.id, publicKey, bundle.signature) },
      { name: 'verify (noble Ed25519)', fn: () => verifyBundleSignature(bundle), baseline: 'verify (node:crypto Ed25519, reference)' },
      { name: 'decode (layout + SHA-256 id)', fn: () => decodeBundle(bundle.bytes, { maxParents: 16, maxBody: 1472 }) }
    ]
  }
}
