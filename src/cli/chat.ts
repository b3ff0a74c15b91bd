/**
 * `bloomwalk chat`: a public chat in a room. Each typed line becomes a bundle whose body is
 * JSON `{nick, text, at}` and whose parent is the last message shown; every message is shown
 * once, in causal order (the node delivers parents first, docs/causal.md): first the stored
 * history, then each delivery. A message whose parent is not the line above it is marked
 * late. Presence pings ride ephemeral messages, for `/who`.
 */
import { userInfo } from 'node:os'
import { createInterface, clearLine, cursorTo, moveCursor } from 'node:readline'
import { parseArgs } from 'node:util'
import type { Bundle } from '../bundle/types.js'
import { causalOrder } from '../causal/index.js'
import { isBloomwalkError } from '../errors.js'
import type { BloomwalkNode, Delivery } from '../node/index.js'
import type { BundleStore } from '../store/types.js'
import { UsageError } from './args.js'
import { aborted, commandLogger, every, reclaimMemoryWhenQuiet, resolveIo, type CommandIo } from './command.js'
import { PEER_OPTIONS, PEER_OPTIONS_USAGE, startPeer, type Peer } from './peer.js'
import { GROUP_OPTIONS_USAGE, startGroupPeer } from './group-peer.js'
import { shortHex } from './report.js'
import { withConfig } from './config.js'

/** Longest nick shown or sent, characters. */
export const MAX_NICK = 32
/** Longest text shown, characters (what is sent is bounded by the datagram budget). */
const MAX_SHOWN_TEXT = 2000
/** Messages from the store shown when the chat starts. */
export const HISTORY = 50
/** Seconds between presence pings (ephemeral messages to the current peers). */
const PRESENCE_SECONDS = 15
/** `/who` lists authors seen (a message or a ping) within this many seconds. */
const WHO_SECONDS = 120
/** Authors remembered for `/who`. */
const MAX_SEEN = 1024
/** Message ids remembered as shown (dedupe of history and deliveries). */
const MAX_SHOWN = 10_000
/** The bundle kind of a presence ping. */
export const PRESENCE_KIND = 2

const CHAT_OPTIONS = { ...PEER_OPTIONS, nick: { type: 'string' }, group: { type: 'string' }, member: { type: 'string', multiple: true } } as const

export const CHAT_USAGE = `usage: bloomwalk chat --room NAME --tracker HOST:PORT [--tracker HOST:PORT …] [--data DIR] [--nick NAME] [--port P] [--host ADDR]
       bloomwalk chat --group NAME --member KEY@HOST:PORT [--member …] [--data DIR] [--nick NAME] [--port P] [--host ADDR]

A terminal public chat. Each line you type is published as a bundle whose body is JSON
{"nick", "text", "at"} and whose parent is the last message shown. Messages are shown
once each, parents first, as "HH:MM nick (author): text": HH:MM is the sender's clock in
your time zone, author the first 8 hex digits of the sender's key (nicks are not unique;
the key is). At start the last ${HISTORY} stored messages are shown in causal order (ties by
global time); then each message as it is delivered. A message that belongs earlier (its
parent is not the line above) is marked "late, after nick HH:MM"; one whose parents never
came is marked "(earlier messages missing)". Your own lines are shown as sent.

commands:
  /who      authors seen in the last ${WHO_SECONDS / 60} minutes (messages and presence pings, sent every ${PRESENCE_SECONDS} s)
  /help     this list
  /quit     leave (also Ctrl-D, Ctrl-C)

${PEER_OPTIONS_USAGE} (default warn)
  --nick        the name shown with your messages, 1–${MAX_NICK} characters (default: your user name)

A private conversation instead of a room: every member starts the chat with the same
--group and lists the others with --member. Messages travel by MVDS to the members only
(never the Bloom walk or a tracker), are retransmitted until acknowledged, survive a
restart, and are accepted only when a member wrote them. (No presence pings: /who lists
the members seen by their messages.)
${GROUP_OPTIONS_USAGE}

A chat and a node in the same room need different --data directories (LevelDB is locked
by one process).

example:
  bloomwalk chat --room lobby --tracker 192.0.2.10:6421 --nick ada
  bloomwalk chat --group ada+bob --port 7000 --member <bob's key>@192.0.2.20:7000 --nick ada`

const HELP = [`/who   authors seen in the last ${WHO_SECONDS / 60} minutes`, '/help  this list', '/quit  leave (also Ctrl-D)']

/** The body of a chat message (`at`: the sender's clock, ms since 1970; absent in old messages). */
export interface ChatMessage {
  nick: string
  text: string
  at?: number
}

/** What the screen shows: ids shown (for dedupe and late marks) and who was seen. */
class Screen {
  readonly #shown = new Map<string, { nick: string; at: number | undefined }>()
  #lastShown: string | undefined
  readonly seen = new Map<string, { nick: string; at: number }>()

  has(id: Uint8Array): boolean {
    return this.#shown.has(shortHex(id, 32))
  }

  /** The line for a bundle, with its late or missing-parents mark; records it as shown. */
  line(bundle: Bundle, missingParents = false): string {
    const key = shortHex(bundle.id, 32)
    let mark = ''
    if (missingParents) mark = ' (earlier messages missing)'
    else if (bundle.parents.length > 0 && this.#lastShown !== undefined) {
      const parents = bundle.parents.map((p) => shortHex(p, 32))
      const shownParent = parents.map((p) => this.#shown.get(p)).find((p) => p !== undefined)
      if (!parents.includes(this.#lastShown) && shownParent !== undefined) mark = ` (late, after ${shownParent.nick} ${clock(shownParent.at)})`
    }
    const message = parseMessage(bundle.body)
    this.#shown.set(key, { nick: message === undefined ? '?' : nickOf(message), at: message?.at })
    if (this.#shown.size > MAX_SHOWN) this.#shown.delete(this.#shown.keys().next().value as string)
    this.#lastShown = key
    return formatMessage(bundle) + mark
  }

  saw(author: Uint8Array, nick: string, now: number): void {
    const key = shortHex(author)
    this.seen.delete(key)
    this.seen.set(key, { nick, at: now })
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.keys().next().value as string)
  }
}

export async function runChat(argv: string[], out: (line: string) => void, partialIo: Partial<CommandIo> = {}): Promise<void> {
  const { values } = parseArgs({ args: withConfig(argv, CHAT_OPTIONS), options: CHAT_OPTIONS, strict: true, allowPositionals: false })
  if (values.help === true) {
    out(CHAT_USAGE)
    return
  }
  const io = resolveIo(partialIo)
  const nick = nickOption(values.nick)
  const log = commandLogger('chat', values['log-level'], 'warn', io.err, values['log-format'])
  const screen = new Screen()
  // Deliveries start with the node (what an earlier run left undelivered): held until the history is shown.
  let held: Delivery[] | undefined = []
  let onDelivery: (d: Delivery) => void = () => undefined
  const listen = (node: BloomwalkNode): void => {
    node.events.on('bundle', (d) => (held === undefined ? onDelivery(d) : held.push(d)), { signal: io.signal })
  }
  if (values.group === undefined && values.member !== undefined) throw new UsageError('--member needs --group NAME')
  const grouped = values.group === undefined ? undefined : await startGroupPeer(values, io, log, listen)
  const peer = grouped ?? (await startPeer(values, io, log, {}, listen))
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
  const deliver = (d: Delivery): void => {
    const message = parseMessage(d.bundle.body)
    if (d.ephemeral === true) {
      if (message !== undefined) screen.saw(d.bundle.author, nickOf(message), Date.now())
      return
    }
    last = d.bundle.id
    if (message !== undefined) screen.saw(d.bundle.author, nickOf(message), message.at ?? Date.now())
    if (screen.has(d.bundle.id)) return
    show(screen.line(d.bundle, d.missingParents !== undefined))
  }
  for (const bundle of await history(peer.store, overlay)) {
    last = bundle.id
    show(screen.line(bundle))
  }
  for (const d of held) deliver(d)
  held = undefined
  onDelivery = deliver
  if (grouped === undefined) show(`joined "${(peer as Peer).room}" as ${nick} (${shortHex(node.keys.publicKey)}); your lines are sent to the room; /help for commands`)
  else show(`joined group "${grouped.group}" as ${nick} (key ${Buffer.from(node.keys.publicKey).toString('hex')}); your lines go to ${grouped.members.length} member${grouped.members.length === 1 ? '' : 's'} only; /help for commands`)

  const presence = (): void => {
    try {
      node.sendEphemeral(overlay, new TextEncoder().encode(JSON.stringify({ nick, text: '', at: Date.now() } satisfies ChatMessage)), { kind: PRESENCE_KIND })
    } catch (err) {
      log.warn('presence ping not sent', { error: err instanceof Error ? err.message : String(err) })
    }
  }
  const done = new AbortController()
  const stop = (): void => done.abort()
  io.signal.addEventListener('abort', stop, { once: true })
  // A private group announces nothing beyond its messages.
  if (grouped === undefined) {
    presence()
    every(PRESENCE_SECONDS * 1000, done.signal, presence)
  }
  // Publishes one at a time, so each message names the previous one as its parent.
  let sending: Promise<void> = Promise.resolve()
  rl.on('line', (line) => {
    const text = line.trim()
    // In a terminal, the typed line is replaced by the message as sent (with time and key).
    if (terminal) {
      moveCursor(process.stdout, 0, -1)
      clearLine(process.stdout, 0)
    }
    if (text === '') return rl.prompt()
    if (text === '/quit') return stop()
    if (text === '/help') return HELP.forEach(show)
    if (text === '/who') return who(screen, Date.now()).forEach(show)
    if (text.startsWith('/') && !text.startsWith('//')) return show(`(unknown command ${sanitize(text.split(' ')[0]!)}; /help lists them; start a line with // to send a /)`)
    const said = text.startsWith('//') ? text.slice(1) : text
    sending = sending.then(async () => {
      const body = new TextEncoder().encode(JSON.stringify({ nick, text: said, at: Date.now() } satisfies ChatMessage))
      try {
        const bundle = await publish(body, last === undefined ? [] : [last])
        last = bundle.id
        if (!screen.has(bundle.id)) show(screen.line(bundle))
      } catch (err) {
        if (isBloomwalkError(err, 'BUNDLE_TOO_LARGE')) show('(not sent: the message is too long for one datagram)')
        else show(`(not sent: ${err instanceof Error ? err.message : String(err)})`)
      }
      if (terminal) rl.prompt()
    })
  })
  rl.on('close', stop)
  if (terminal) rl.prompt()

  reclaimMemoryWhenQuiet(done.signal, log)
  await aborted(done.signal)
  rl.close()
  await sending
  await peer.close()
}

/** `/who`: authors seen within {@link WHO_SECONDS}, most recent first. */
function who(screen: Screen, now: number): string[] {
  const recent = [...screen.seen].filter(([, s]) => now - s.at <= WHO_SECONDS * 1000).reverse()
  if (recent.length === 0) return ['(nobody seen in the last ' + WHO_SECONDS / 60 + ' minutes)']
  return recent.map(([key, s]) => `${s.nick} (${key}), ${Math.max(0, Math.round((now - s.at) / 1000))} s ago`)
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

/** A bundle as a chat line, "HH:MM nick (author): text"; bodies that are not a chat message are shown as such. */
export function formatMessage(bundle: Bundle): string {
  const author = shortHex(bundle.author)
  const message = parseMessage(bundle.body)
  if (message === undefined) return `--:-- (${author}) [not a chat message: ${bundle.body.length} bytes]`
  const text = sanitize(message.text)
  return `${clock(message.at)} ${nickOf(message)} (${author}): ${text.length > MAX_SHOWN_TEXT ? text.slice(0, MAX_SHOWN_TEXT) + '…' : text}`
}

/** HH:MM in the local time zone, or --:-- when unknown. */
export function clock(at: number | undefined): string {
  if (at === undefined) return '--:--'
  const d = new Date(at)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

function nickOf(message: ChatMessage): string {
  return sanitize(message.nick).slice(0, MAX_NICK) || '?'
}

/** The `{nick, text}` of a body, or `undefined` when it is not one. */
export function parseMessage(body: Uint8Array): ChatMessage | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
    if (typeof value !== 'object' || value === null) return undefined
    const { nick, text, at } = value as Record<string, unknown>
    if (typeof nick !== 'string' || typeof text !== 'string') return undefined
    return typeof at === 'number' && Number.isFinite(at) ? { nick, text, at } : { nick, text }
  } catch {
    return undefined
  }
}

/**
 * The newest {@link HISTORY} messages the node has delivered (stored and not marked
 * undelivered; the rest comes as deliveries), in causal order, ties by global time then id.
 */
export async function history(store: BundleStore | undefined, overlay: Uint8Array): Promise<Bundle[]> {
  if (store === undefined) return []
  const newest: Bundle[] = []
  for await (const b of store.range({ overlay, from: 0, to: Number.MAX_SAFE_INTEGER, order: 'desc' })) {
    if (b.kind === PRESENCE_KIND || (await store.isUndelivered(overlay, b.id))) continue
    newest.push(b)
    if (newest.length >= HISTORY) break
  }
  return causalOrder(newest)
}
