/**
 * The small HTTP server behind `--metrics` and `--http`: `HOST:PORT` options (loopback when
 * only a port is given), a bound `node:http` server with a route table, and closing it with
 * its open connections (server-sent event streams stay open until then).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { canonicalHost } from '../../wire/index.js'
import { UsageError } from '../args.js'
import { CommandError } from '../command.js'
import type { Endpoint } from '../endpoint.js'

/** The host an HTTP option binds when given only a port: never the network by accident. */
export const DEFAULT_HTTP_HOST = '127.0.0.1'

/**
 * `--metrics` / `--http`: `PORT`, `HOST:PORT` or `[IPv6]:PORT`; the host must be an IP literal
 * (port 0 takes any free port, logged at start).
 * @throws {UsageError} naming the option
 */
export function httpEndpointOption(option: string, raw: string | undefined): Endpoint | undefined {
  if (raw === undefined) return undefined
  const m = /^(?:(?:\[([^\]]*)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(raw)
  if (m === null) throw new UsageError(`--${option} must be PORT or HOST:PORT (IPv6 as [ADDR]:PORT), got "${raw}"`)
  const port = Number(m[3])
  if (port > 65535) throw new UsageError(`--${option} port must be 0–65535, got ${m[3]}`)
  const named = m[1] ?? m[2]
  if (named === undefined) return { host: DEFAULT_HTTP_HOST, port }
  const host = canonicalHost(named)
  if (host === null) throw new UsageError(`--${option} must name an IP address to bind, got "${named}"`)
  return { host, port }
}

/** True for an address on this machine only (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false
  const a = address.startsWith('::ffff:') ? address.slice(7) : address
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a)
}

/** A route's handler: answers `res` (or returns false for "not found"). */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void | boolean | Promise<void | boolean>

/** A bound HTTP server. */
export interface HttpServer {
  /** `http://HOST:PORT` as bound (IPv6 in brackets). */
  readonly url: string
  readonly address: AddressInfo
  /** Stops accepting, ends open connections (event streams too). Idempotent. */
  close(): Promise<void>
}

/** Answers `text` with a status and content type; `HEAD` gets the headers only. */
export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

/**
 * Binds `endpoint` and serves `routes` (matched on the path; first that answers wins). A
 * handler that throws answers 500 and never takes the server down.
 * @throws {CommandError} when the address cannot be bound
 */
export async function startHttpServer(endpoint: Endpoint, routes: Record<string, Route>): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = routes[url.pathname]
    const answer = async (): Promise<void> => {
      if (route === undefined || (await route(req, res, url)) === false) send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
    }
    answer().catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n')
      else res.destroy()
    })
  })
  // Slow or idle clients cannot hold sockets forever (event streams send a comment every few seconds).
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new CommandError(`cannot listen on ${endpoint.host}:${endpoint.port}: ${err.code ?? err.message}`)))
    server.listen(endpoint.port, endpoint.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${address.port}`,
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    }
  }
}
