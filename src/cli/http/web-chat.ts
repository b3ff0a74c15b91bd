/**
 * The status page's chat: the room's history in causal order (what `bloomwalk chat` shows at
 * start), new lines pushed to every open page as server-sent events, and posting a line as a
 * chat bundle (`{nick, text, at}`, its parent the last message seen, as the terminal chat
 * does, so both interoperate). Owns its event streams, their keep-alive timer and the post
 * queue; `stop()` ends them.
 */
import type { ServerResponse } from 'node:http'
import type { Bundle } from '../../bundle/types.js'
import type { BloomwalkNode, Delivery } from '../../node/index.js'
import type { BundleStore } from '../../store/types.js'
import { history, parseMessage, PRESENCE_KIND, type ChatMessage } from '../chat.js'
import { every } from '../command.js'
import { shortHex } from '../report.js'

/** Open event streams at most (more are answered 503). */
export const MAX_EVENT_STREAMS = 32
/** Bytes an event stream may have queued unsent before it is dropped (a stalled page). */
const MAX_STREAM_BACKLOG = 1 << 20
/** Live events held for a stream while its history is read, at most. */
const MAX_HELD_EVENTS = 1000
/** Seconds between keep-alive comments on an idle event stream. */
const KEEPALIVE_SECONDS = 15
/** Longest text a page may post, characters (what is sent is bounded by the datagram budget too). */
export const MAX_POST_TEXT = 1000

/** A message as the page gets it. `text` is null when the body is not a chat message. */
export interface WebMessage {
  id: string
  parents: string[]
  /** First 8 hex digits of the author's key. */
  author: string
  nick: string | null
  text: string | null
  /** The sender's clock (ms since 1970), when it gave one. */
  at: number | null
  globalTime: number
  own: boolean
  /** Delivered although these parents never came (the causal wait ran out). */
  missingParents?: number
}

/** Why a post was refused (the route maps it to a status code). */
export class PostError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

export interface WebChatComponents {
  node: BloomwalkNode
  overlay: Uint8Array
  store: BundleStore | undefined
}

function webMessage(bundle: Bundle, own: boolean, missingParents?: number): WebMessage {
  const m = parseMessage(bundle.body)
  return {
    id: shortHex(bundle.id, bundle.id.length),
    parents: bundle.parents.map((p) => shortHex(p, p.length)),
    author: shortHex(bundle.author, 4),
    nick: m?.nick ?? null,
    text: m?.text ?? null,
    at: m?.at ?? null,
    globalTime: bundle.globalTime,
    own,
    ...(missingParents === undefined ? {} : { missingParents })
  }
}

export class WebChat {
  readonly #c: WebChatComponents
  /** Open streams; `held` queues live events until the stream's history is written. */
  readonly #streams = new Map<ServerResponse, { held: string[] | undefined }>()
  readonly #stopped = new AbortController()
  #last: Uint8Array | undefined
  #sending: Promise<unknown> = Promise.resolve()

  constructor(components: WebChatComponents) {
    this.#c = components
  }

  /** Listens for deliveries and starts the keep-alive; the parent of the first post is the last stored message. */
  async start(): Promise<void> {
    const signal = this.#stopped.signal
    this.#c.node.events.on('bundle', (d) => this.#delivered(d), { signal })
    const stored = await history(this.#c.store, this.#c.overlay)
    this.#last ??= stored.at(-1)?.id
    every(KEEPALIVE_SECONDS * 1000, signal, () => this.#broadcast(': keep-alive\n\n'))
  }

  /** The newest stored messages, in causal order. */
  async history(): Promise<WebMessage[]> {
    const own = this.#c.node.keys.publicKey
    return (await history(this.#c.store, this.#c.overlay)).map((b) => webMessage(b, Buffer.compare(b.author, own) === 0))
  }

  /**
   * Publishes a chat line (one at a time, each naming the previous message as its parent).
   * @throws {PostError} 400 for an empty or overlong line or nick, 413 when it does not fit a datagram
   */
  post(nick: string, text: string): Promise<WebMessage> {
    if (text.trim() === '' || [...text].length > MAX_POST_TEXT) throw new PostError(400, `text must be 1–${MAX_POST_TEXT} characters`)
    const result = this.#sending.then(async () => {
      const body = new TextEncoder().encode(JSON.stringify({ nick, text, at: Date.now() } satisfies ChatMessage))
      try {
        const bundle = await this.#c.node.publish(this.#c.overlay, body, { parents: this.#last === undefined ? [] : [this.#last] })
        this.#last = bundle.id
        return webMessage(bundle, true)
      } catch (err) {
        if (err instanceof Error && 'code' in err && err.code === 'BUNDLE_TOO_LARGE') throw new PostError(413, 'the message is too long for one datagram')
        throw err
      }
    })
    this.#sending = result.catch(() => undefined)
    return result
  }

  /**
   * Makes `res` an event stream: first the stored history, then every message as it is
   * delivered (`event: message`, JSON data). The page drops ids it already shows.
   * @returns false when {@link MAX_EVENT_STREAMS} are open
   */
  async attach(res: ServerResponse): Promise<boolean> {
    if (this.#streams.size >= MAX_EVENT_STREAMS || this.#stopped.signal.aborted) return false
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
    res.write('retry: 2000\n\n')
    // Live messages from now on are held behind the history (one delivered during the read is sent twice at worst, never lost).
    const stream: { held: string[] | undefined } = { held: [] }
    this.#streams.set(res, stream)
    res.on('close', () => this.#streams.delete(res))
    const past = await this.history()
    const held = stream.held ?? []
    stream.held = undefined
    if (!res.writableEnded) res.write(past.map((m) => event('message', m)).join('') + event('ready', { count: past.length }) + held.join(''))
    return true
  }

  /** Ends every event stream and stops listening. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped.abort()
    for (const res of this.#streams.keys()) res.end()
    this.#streams.clear()
    await this.#sending
  }

  #delivered(d: Delivery): void {
    if (d.ephemeral === true || d.bundle.kind === PRESENCE_KIND || Buffer.compare(d.overlay, this.#c.overlay) !== 0) return
    this.#last = d.bundle.id
    this.#broadcast(event('message', webMessage(d.bundle, d.own, d.missingParents?.length)))
  }

  #broadcast(text: string): void {
    for (const [res, stream] of this.#streams) {
      // A page that stopped reading is dropped rather than buffered without bound.
      if (res.writableLength > MAX_STREAM_BACKLOG || (stream.held?.length ?? 0) > MAX_HELD_EVENTS) {
        res.destroy()
        this.#streams.delete(res)
      } else if (stream.held !== undefined) stream.held.push(text)
      else res.write(text)
    }
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
}
