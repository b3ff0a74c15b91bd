/**
 * What the identity cost costs (issue 20, DESIGN §14):
 *
 *   npm run measure:identity -- [--bits 16,18,20] [--keys 8]
 *
 * For each difficulty: the time to mint a nonce for `keys` fresh keys (median and max, one
 * core), and the time to check one (mean over 100 000 checks), next to one Ed25519 signature
 * check by node:crypto (the work the proof of work is checked ahead of) as the baseline.
 * Then, at the largest difficulty, an epoch's nonce minted ahead in the background
 * (src/node/identities.ts) on the system clock: its wall and CPU time, the share of a core it
 * took, the event loop's worst lag meanwhile (a 1 ms timer), and the publish at the epoch's
 * turn that uses it, against the blocking mint of the first publish (the baseline).
 */
import { performance } from 'node:perf_hooks'
import { generateKeyPair, identityWork, mintIdentity, roomId, signBundle } from '../src/bundle/index.js'
import { nativeVerifyBundle } from '../src/node/native-verify.js'
import { SeededRng } from '../src/env/rng.js'
import { SystemClock } from '../src/env/clock.js'
import { IdentityNonces } from '../src/node/identities.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1]! : fallback
}
const bitsList = option('bits', '16,18,20').split(',').map(Number)
const keys = Number(option('keys', '8'))
if (bitsList.some((b) => !(Number.isInteger(b) && b >= 1 && b <= 24)) || !(Number.isInteger(keys) && keys >= 1 && keys <= 64)) {
  process.stderr.write('usage: identity [--bits b1,b2 (each 1..24)] [--keys 1..64]\n')
  process.exit(2)
}
const rng = new SeededRng(20)
const room = roomId('identity-bench')
const key = generateKeyPair(rng)
const bundle = signBundle({ overlay: room, globalTime: 1, kind: 1, body: new Uint8Array(16) }, key)
const N = 100_000
for (let i = 0; i < 1000; i++) nativeVerifyBundle(bundle)
let t = performance.now()
for (let i = 0; i < N / 10; i++) nativeVerifyBundle(bundle)
const verifyUs = ((performance.now() - t) * 1000) / (N / 10)
process.stdout.write(`Ed25519 check (node:crypto): ${verifyUs.toFixed(2)} µs\n`)
for (const bits of bitsList) {
  const times: number[] = []
  let nonce: Uint8Array = new Uint8Array(8)
  for (let k = 0; k < keys; k++) {
    const author = generateKeyPair(rng).publicKey
    t = performance.now()
    nonce = mintIdentity(room, author, bits)
    times.push(performance.now() - t)
    if (identityWork(room, author, nonce) < bits) throw new Error('minted nonce does not verify')
  }
  t = performance.now()
  for (let i = 0; i < N; i++) identityWork(room, key.publicKey, nonce)
  const checkUs = ((performance.now() - t) * 1000) / N
  times.sort((a, b) => a - b)
  process.stdout.write(
    `${bits} bits: mint median ${(times[Math.floor(keys / 2)]! / 1000).toFixed(2)} s, max ${(times[keys - 1]! / 1000).toFixed(2)} s over ${keys} keys; ` +
      `check ${checkUs.toFixed(2)} µs (×${(checkUs / verifyUs).toFixed(3)} of a signature check)\n`
  )
}

{
  const bits = Math.max(...bitsList)
  const policy = { identityBits: bits, identityEpoch: 1000 }
  const roomKey = Buffer.from(room).toString('hex')
  const ids = new IdentityNonces(generateKeyPair(rng).publicKey, new Map(), new SystemClock())
  t = performance.now()
  ids.for(room, roomKey, policy, 1)
  const blocking = performance.now() - t
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  let worst = 0
  let last = performance.now()
  const lag = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last - 1)
    last = now
  }, 1)
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (ids.stats().mintedAhead === 0) return
      clearInterval(poll)
      resolve()
    }, 5)
  })
  clearInterval(lag)
  const wall = performance.now() - t0
  const used = process.cpuUsage(cpu)
  t = performance.now()
  ids.for(room, roomKey, policy, 1000)
  const atTurn = performance.now() - t
  ids.stop()
  const cpuMs = (used.user + used.system) / 1000
  process.stdout.write(
    `${bits} bits, minted ahead: ${(wall / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU (${((100 * cpuMs) / wall).toFixed(0)} % of a core), ` +
      `${ids.stats().hashesAhead} hashes, worst event-loop lag ${worst.toFixed(1)} ms; ` +
      `publish at the turn ${atTurn.toFixed(2)} ms against ${blocking.toFixed(0)} ms for the first publish's blocking mint\n`
  )
}
