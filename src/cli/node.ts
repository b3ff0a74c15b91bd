/**
 * `bloomwalk node`: a peer in one room over UDP, keeping the room's bundles in LevelDB and
 * logging its walks, deliveries and periodic stats. Publishes nothing itself (see `chat`).
 */
import { parseArgs } from 'node:util'
import { addressKey } from '../wire/index.js'
import { numberOption } from './args.js'
import { aborted, commandLogger, every, resolveIo, type CommandIo } from './command.js'
import { PEER_OPTIONS, PEER_OPTIONS_USAGE, startPeer } from './peer.js'
import { shortHex, statsFields } from './report.js'

export const NODE_USAGE = `usage: bloomwalk node --room NAME --tracker HOST:PORT [--tracker HOST:PORT …] [--data DIR] [--port P] [--host ADDR] [--stats SECONDS]

Runs a peer in a room: walks to peers, syncs the room's bundles into its LevelDB and serves
them to others. The author key in the data directory keeps the identity across restarts.
Logs walks, deliveries and stats to stderr; stops on Ctrl-C (SIGINT) or SIGTERM.

${PEER_OPTIONS_USAGE} (default info)
  --stats       seconds between stats lines, 0 for none (default 30)

example:
  bloomwalk node --room lobby --tracker 192.0.2.10:6421`

export async function runNode(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...PEER_OPTIONS, stats: { type: 'string' } }, strict: true, allowPositionals: false })
  if (values.help === true) {
    out(NODE_USAGE)
    return
  }
  const io = resolveIo(partialIo)
  const statsSeconds = numberOption('stats', values.stats, 30, { min: 0 })
  const log = commandLogger('node', values['log-level'], 'info', io.err)
  const peer = await startPeer(values, io, log)
  const { node } = peer
  node.events.on('walk', ({ to }) => log.info('walk', { to: addressKey(to) }), { signal: io.signal })
  node.events.on(
    'bundle',
    ({ bundle, from }) =>
      log.info(from === undefined ? 'published' : 'delivered', {
        id: shortHex(bundle.id, 8),
        author: shortHex(bundle.author, 8),
        globalTime: bundle.globalTime,
        bytes: bundle.bytes.length,
        ...(from === undefined ? {} : { from: addressKey(from) })
      }),
    { signal: io.signal }
  )
  if (statsSeconds > 0) every(statsSeconds * 1000, io.signal, () => log.info('stats', statsFields(node.stats())))
  await aborted(io.signal)
  log.info('stopping')
  log.info('stats', statsFields(node.stats()))
  await peer.close()
  log.info('stopped')
}
