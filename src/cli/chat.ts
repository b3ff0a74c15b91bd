/**
 * `bloomwalk chat`: a public chat in a room. Each typed line becomes a bundle whose body is
 * JSON `{nick, text}` and whose parent is the last message seen; every message that arrives
 * is printed once. Messages are shown in delivery order (causal ordering comes with the
 * causal-delivery layer).
 */
import { userInfo } from 'node:os'
import { createInterface, clearLine, cursorTo } from 'node:readline'
import { parseArgs } from 'node:util'
import type { Bundle } from '../bundle/types.js'
import { isBloomwalkError } from '../errors.js'
import { UsageError } from './args.js'
import { aborted, commandLogger, resolveIo, type CommandIo } from './command.js'
import { PEER_OPTIONS, PEER_OPTIONS_USAGE, startPeer, type Peer } from './peer.js'
import { GROUP_OPTIONS_USAGE, startGroupPeer } from './group-peer.js'
import { shortHex } from './report.js'

/** Longest nick shown or sent, characters. */
export const MAX_NICK = 32
/** Longest text shown, characters (what is sent is bounded by the datagram budget). */
const MAX_SHOWN_TEXT = 2000
/** Messages from the store shown when the chat starts. */
const HISTORY = 20

export const CHAT_USAGE = `usage: bloomwalk chat --room NAME --tracker HOST:PORT [--tracker HOST:PORT …] [--data DIR] [--nick NAME] [--port P] [--host ADDR]
       bloomwalk chat --group NAME --member KEY@HOST:PORT [--member …] [--data DIR] [--nick NAME] [--port P] [--host ADDR]

A terminal public chat. Each line you type is published as a bundle whose body is JSON
{"nick", "text"} and whose parent is the last message seen. Arriving messages are printed
once each as "nick (author): text", where author is the first 8 hex digits of the sender's
key (nicks are not unique; the key is). Messages are printed in the order they arrive,
not yet in causal order (that comes with the causal-delivery layer). The last ${HISTORY} stored
messages are shown at start. Type /quit, Ctrl-D or Ctrl-C to leave.

${PEER_OPTIONS_USAGE} (default warn)
  --nick        the name shown with your messages, 1–${MAX_NICK} characters (default: your user name)

A private conversation instead of a room: every member starts the chat with the same
--group and lists the others with --member. Messages travel by MVDS to the members only
(never the Bloom walk or a tracker), are retransmitted until acknowledged, survive a
restart, and are accepted only when a member wrote them.
${GROUP_OPTIONS_USAGE}

A chat and a node in the same room need different --data directories (LevelDB is locked
by one process).

example:
  bloomwalk chat --room lobby --tracker 192.0.2.10:6421 --nick ada
  bloomwalk chat --group ada+bob --port 7000 --member <bob's key>@192.0.2.20:7000 --nick ada`

/** The body of a chat message. */
export interface ChatMessage {
  nick: string
  text: string
}

export async function runChat(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...PEER_OPTIONS, nick: { type: 'string' }, group: { type: 'string' }, member: { type: 'string', multiple: true } }, strict: true, allowPositionals: false })
  if (values.help === true) {
    out(CHAT_USAGE)
    return
  }
  const io = resolveIo(partialIo)
  const nick = nickOption(values.nick)
  const log = commandLogger('chat', values['log-level'], 'warn', io.err)
  if (values.group === undefined && values.member !== undefined) throw new UsageError('--member needs --group NAME')
  const grouped = values.group === undefined ? undefined : await startGroupPeer(values, io, log)
  const peer = grouped ?? (await startPeer(values, io, log))
  const { node, overlay } = peer
  const publish = (body: Uint8Array, parents: Uint8Array[]) => (grouped === undefined ? node.publish(overlay, body, { parents }) : node.sendPrivate(overlay, body, { parents }))

  const terminal = io.stdin === process.stdin && process.stdin.isTTY === true && process.stdout.isTTY === true
  const rl = createInterface({ input: io.stdin, output: terminal ? process.stdout : undefined, terminal })
  rl.setPrompt('> ')
  // Print above the line being typed, then redraw it.
  const show = (line: string): void => {
    if (!terminal) return out(line)
    clearLine(process.stdout, 0)
    cursorTo(process.stdout, 0)
    out(line)
    rl.prompt(true)
  }

  let last: Uint8Array | undefined
  // Ids printed while the history is read, so the history does not print them again.
  let arrivedWhileLoading: Set<string> | undefined = new Set()
  node.events.on(
    'bundle',
    ({ bundle, from }) => {
      last = bundle.id
      if (from === undefined) return
      arrivedWhileLoading?.add(shortHex(bundle.id, 32))
      show(formatMessage(bundle))
    },
    { signal: io.signal }
  )
  const past = await history(peer.store, overlay)
  for (const bundle of past) if (!arrivedWhileLoading.has(shortHex(bundle.id, 32))) show(formatMessage(bundle))
  last ??= past[past.length - 1]?.id
  arrivedWhileLoading = undefined
  if (grouped === undefined) show(`joined "${(peer as Peer).room}" as ${nick} (${shortHex(node.keys.publicKey)}); your lines are sent to the room`)
  else show(`joined group "${grouped.group}" as ${nick} (key ${Buffer.from(node.keys.publicKey).toString('hex')}); your lines go to ${grouped.members.length} member${grouped.members.length === 1 ? '' : 's'} only`)

  const done = new AbortController()
  const stop = (): void => done.abort()
  io.signal.addEventListener('abort', stop, { once: true })
  // Publishes one at a time, so each message names the previous one as its parent.
  let sending: Promise<void> = Promise.resolve()
  rl.on('line', (line) => {
    const text = line.trim()
    if (text === '') return rl.prompt()
    if (text === '/quit') return stop()
    sending = sending.then(async () => {
      const body = new TextEncoder().encode(JSON.stringify({ nick, text } satisfies ChatMessage))
      try {
        const bundle = await publish(body, last === undefined ? [] : [last])
        last = bundle.id
      } catch (err) {
        if (isBloomwalkError(err, 'BUNDLE_TOO_LARGE')) show('(not sent: the message is too long for one datagram)')
        else show(`(not sent: ${err instanceof Error ? err.message : String(err)})`)
      }
      if (terminal) rl.prompt()
    })
  })
  rl.on('close', stop)
  if (terminal) rl.prompt()

  await aborted(done.signal)
  rl.close()
  await sending
  await peer.close()
}

/**
 * `--nick`: 1–32 printable characters. Default: the user name (or "anon").
 * @throws {UsageError} naming --nick
 */
export function nickOption(raw: string | undefined): string {
  if (raw === undefined) {
    let name = 'anon'
    try {
      name = sanitize(userInfo().username).slice(0, MAX_NICK) || 'anon'
    } catch {
      // No user database entry (some containers): keep "anon".
    }
    return name
  }
  if (raw.trim() === '' || [...raw].length > MAX_NICK) throw new UsageError(`--nick must be 1–${MAX_NICK} characters, got "${raw}"`)
  if (sanitize(raw) !== raw) throw new UsageError('--nick must not contain control characters')
  return raw
}

/** Removes characters that could steer the terminal: C0/C1 controls, DEL, bidirectional overrides. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
}

/** A received bundle as a chat line; bodies that are not a chat message are shown as such. */
export function formatMessage(bundle: Bundle): string {
  const author = shortHex(bundle.author)
  const message = parseMessage(bundle.body)
  if (message === undefined) return `(${author}) [not a chat message: ${bundle.body.length} bytes]`
  const nick = sanitize(message.nick).slice(0, MAX_NICK) || '?'
  const text = sanitize(message.text)
  return `${nick} (${author}): ${text.length > MAX_SHOWN_TEXT ? text.slice(0, MAX_SHOWN_TEXT) + '…' : text}`
}

/** The `{nick, text}` of a body, or `undefined` when it is not one. */
export function parseMessage(body: Uint8Array): ChatMessage | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
    if (typeof value !== 'object' || value === null) return undefined
    const { nick, text } = value as Record<string, unknown>
    return typeof nick === 'string' && typeof text === 'string' ? { nick, text } : undefined
  } catch {
    return undefined
  }
}

/** The newest stored messages, oldest first. */
async function history(store: { range: (q: { overlay: Uint8Array; from: number; to: number; order: 'desc'; limit: number }) => AsyncIterable<Bundle> } | undefined, overlay: Uint8Array): Promise<Bundle[]> {
  if (store === undefined) return []
  const newest: Bundle[] = []
  for await (const b of store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER, order: 'desc', limit: HISTORY })) newest.push(b)
  return newest.reverse()
}
