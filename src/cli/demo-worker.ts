/** Worker-thread entry of `bloomwalk demo`: runs one group of peers for the demo's main thread. */
import { parentPort, workerData } from 'node:worker_threads'
import type { PeerGroupInit } from './peer-group.js'
import { serveGroup } from './peer-group-remote.js'

if (parentPort === null) throw new Error('demo-worker.js runs in a worker thread started by bloomwalk demo')
await serveGroup(parentPort, workerData as PeerGroupInit)
