/**
 * `--http`: one small page (web/: HTML, CSS, a little JS, no build step) showing the node's
 * address, WAN and NAT type, its room, candidates by category with their age, traffic and
 * drops over the last minutes, sync progress, and the room's chat with live updates by
 * server-sent events. Reading is open to whoever reaches the port (loopback by default);
 * posting a line needs a loopback client on a loopback Host (no DNS rebinding) or, with
 * `--http-token`, the token as `Authorization: Bearer …`. Every post must be JSON (a browser
 * cannot send that cross-origin without a preflight, which is never answered).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { resolveOptions } from '../../candidates/index.js'
import type { BloomwalkNode } from '../../node/index.js'
import type { BundleStore } from '../../store/types.js'
import { SystemClock } from '../../env/clock.js'
import type { Logger } from '../../env/logger.js'
import { canonicalHost, type Address } from '../../wire/index.js'
import { MAX_NICK, sanitize } from '../chat.js'
import { every } from '../command.js'
import type { Endpoint } from '../endpoint.js'
import type { Peer } from '../peer.js'
import { isLoopback, send, startHttpServer, type HttpServer } from './server.js'
import { statusJson } from './status-json.js'
import { TRAFFIC_SAMPLE_SECONDS, TrafficHistory } from './traffic-history.js'
import { PostError, WebChat } from './web-chat.js'

/** Largest request body accepted (a chat post), bytes. */
export const MAX_POST_BYTES = 8192

/** The usage lines of `--http` and `--http-token`. */
export const HTTP_USAGE = `  --http [HOST:]PORT
                serve a status page and a web chat of the room at http://HOST:PORT/ (HOST
                default 127.0.0.1): address, NAT type, candidates, traffic, sync progress,
                and the chat with live updates (docs/operations.md)
  --http-token TOKEN
                let clients that are not on this machine post to the chat when they send
                "Authorization: Bearer TOKEN" (the page asks for it); without it only
                loopback clients may post. Reading needs no token: bind to a public
                address only for a public room`

/** The web assets: web/ beside src/ (run from source) or beside dist/ (the package). */
const ASSETS: Record<string, string> = { '/': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' }
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }
/** The page loads only its own script and style (no inline code): a message can never run as script. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

async function asset(name: string): Promise<string> {
  for (const up of ['../../../web/', '../../../../web/']) {
    try {
      return await readFile(new URL(up + name, import.meta.url), 'utf8')
    } catch {
      // not at this level
    }
  }
  throw new Error(`web asset ${name} not found`)
}

/** Options of {@link serveStatusPage}. */
export interface StatusPageInit {
  endpoint: Endpoint
  node: BloomwalkNode
  role: 'peer' | 'tracker'
  address: Address
  advertised: Address
  /** A peer's room: the page shows its status and its chat (a tracker's page has no chat). */
  room?: { name: string; overlay: Uint8Array; store: BundleStore | undefined }
  log: Logger
  /** Lets non-loopback clients post with `Authorization: Bearer <token>`. */
  token?: string
}

/** The page of a peer in its room (status and chat). */
export function peerPage(peer: Peer): Pick<StatusPageInit, 'node' | 'role' | 'address' | 'advertised' | 'room'> {
  return { node: peer.node, role: 'peer', address: peer.transport.address(), advertised: peer.advertised, room: { name: peer.room, overlay: peer.overlay, store: peer.store } }
}

/** Starts the page's server, its traffic sampler and (for a room) its chat; `close()` stops them. */
export async function serveStatusPage(init: StatusPageInit): Promise<HttpServer> {
  const { node, log, room } = init
  const clock = new SystemClock()
  const lifetimes = resolveOptions()
  const started = Date.now()
  const stopped = new AbortController()
  const traffic = new TrafficHistory()
  traffic.sample(Date.now(), node.stats())
  every(TRAFFIC_SAMPLE_SECONDS * 1000, stopped.signal, () => traffic.sample(Date.now(), node.stats()))
  const chat = room === undefined ? undefined : new WebChat({ node, overlay: room.overlay, store: room.store })
  await chat?.start()
  const tokenHash = init.token === undefined ? undefined : sha256(init.token)
  const subject = { node, role: init.role, address: init.address, advertised: init.advertised, ...(room === undefined ? {} : { room: { name: room.name, overlay: room.overlay } }) }
  const status = (): unknown => statusJson(subject, traffic, started, clock.now(), Date.now(), lifetimes)

  const postMessage = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const allowed = postPermission({ remoteAddress: req.socket.remoteAddress, host: req.headers.host, authorization: req.headers.authorization }, tokenHash)
    if (!allowed.ok) return send(res, allowed.status, 'application/json', JSON.stringify({ error: allowed.why }))
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, 'application/json', JSON.stringify({ error: 'send JSON' }))
    const body = await readBody(req, MAX_POST_BYTES)
    if (body === undefined) return send(res, 413, 'application/json', JSON.stringify({ error: `at most ${MAX_POST_BYTES} bytes` }))
    let nick: unknown
    let text: unknown
    try {
      ;({ nick, text } = JSON.parse(body) as Record<string, unknown>)
    } catch {
      return send(res, 400, 'application/json', JSON.stringify({ error: 'not JSON' }))
    }
    if (typeof nick !== 'string' || nick.trim() === '' || [...nick].length > MAX_NICK || sanitize(nick) !== nick) return send(res, 400, 'application/json', JSON.stringify({ error: `nick must be 1–${MAX_NICK} printable characters` }))
    if (typeof text !== 'string') return send(res, 400, 'application/json', JSON.stringify({ error: 'text must be a string' }))
    try {
      const message = await chat!.post(nick, text)
      log.info('posted from the web page', { id: message.id.slice(0, 16) })
      send(res, 201, 'application/json', JSON.stringify(message))
    } catch (err) {
      if (err instanceof PostError) return send(res, err.status, 'application/json', JSON.stringify({ error: err.message }))
      throw err
    }
  }

  const routes = {
    '/api/status': (req: IncomingMessage, res: ServerResponse) => (req.method === 'GET' || req.method === 'HEAD' ? send(res, 200, 'application/json', JSON.stringify(status())) : false),
    ...(chat === undefined
      ? {}
      : {
          '/api/messages': async (req: IncomingMessage, res: ServerResponse) => {
            if (req.method === 'POST') return postMessage(req, res)
            if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET or POST\n', { allow: 'GET, POST' })
            send(res, 200, 'application/json', JSON.stringify(await chat.history()))
          },
          '/api/events': async (_req: IncomingMessage, res: ServerResponse) => {
            if (!(await chat.attach(res))) send(res, 503, 'text/plain', 'too many open pages\n')
          }
        }),
    ...Object.fromEntries(
      Object.entries(ASSETS).map(([path, file]) => [
        path,
        async (_req: IncomingMessage, res: ServerResponse) => send(res, 200, TYPES[file.split('.').pop()!]!, await asset(file), { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' })
      ])
    )
  }
  const server = await startHttpServer(init.endpoint, routes).catch(async (err: unknown) => {
    stopped.abort()
    await chat?.stop()
    throw err
  })
  log.info('serving the status page', { url: `${server.url}/`, ...(chat === undefined ? {} : { posting: tokenHash === undefined ? 'loopback only' : 'loopback, or with the token' }) })
  const close = server.close.bind(server)
  return Object.assign(server, {
    close: async () => {
      stopped.abort()
      await chat?.stop()
      await close()
    }
  })
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** What {@link postPermission} looks at of a request. */
export interface PostRequest {
  remoteAddress: string | undefined
  host: string | undefined
  authorization: string | undefined
}

/**
 * Whether a request may post to the chat: with the token (compared in constant time), or from
 * a loopback client that names a loopback Host (a page of another site that rebinds its name
 * to 127.0.0.1 reaches us with its own name as Host).
 */
export function postPermission(req: PostRequest, tokenHash: Buffer | undefined): { ok: true } | { ok: false; status: number; why: string } {
  if (tokenHash !== undefined) {
    const m = /^Bearer (.+)$/.exec(req.authorization ?? '')
    if (m !== null && timingSafeEqual(sha256(m[1]!), tokenHash)) return { ok: true }
  }
  if (!isLoopback(req.remoteAddress)) return { ok: false, status: 401, why: tokenHash === undefined ? 'only this machine may post (start the node with --http-token to allow others)' : 'a valid token is needed to post' }
  if (!isLoopbackHost(req.host)) return { ok: false, status: 403, why: 'posting without a token needs a loopback Host (open the page at http://127.0.0.1:PORT/)' }
  return { ok: true }
}

/** True when a Host header names this machine: localhost or a loopback IP literal (any port). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '')
  if (name === 'localhost') return true
  const literal = canonicalHost(name)
  return literal !== null && isLoopback(literal)
}

/** The request body as UTF-8, or undefined when it is longer than `max` bytes. */
async function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > max) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
