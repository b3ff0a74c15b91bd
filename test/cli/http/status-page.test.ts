/**
 * `--http` without a browser: the status JSON, the chat history and event stream, who may
 * post (loopback client and Host, or the token), and the bounds on a post. Two nodes and a
 * tracker over UDP on 127.0.0.1, run in-process; waits on log lines and events, never on time.
 */
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { postPermission, isLoopbackHost, MAX_POST_BYTES } from '../../../src/cli/http/status-page.js'
import { tokenOption } from '../../../src/cli/node.js'
import { deadline, run, start, tempDir, type Running } from '../helpers.js'

const WAIT_MS = 20_000

function line(r: Running, re: RegExp, what: string): Promise<RegExpMatchArray> {
  return deadline(r.err.waitFor(re), WAIT_MS, `${what}; stderr so far:\n${r.err.text}`)
}

/** A raw request (fetch would not let us set Host). */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Reads an event stream until `until` accepts the events so far; `onReady` is called when its `ready` event arrives. */
async function events(url: string, until: (events: { event: string; data: unknown }[]) => boolean, onReady: () => void = () => {}): Promise<{ event: string; data: unknown }[]> {
  const controller = new AbortController()
  const res = await fetch(url, { signal: controller.signal })
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const seen: { event: string; data: unknown }[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const name = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (name !== undefined && data !== undefined) seen.push({ event: name, data: JSON.parse(data) })
      if (name === 'ready') onReady()
    }
    if (until(seen)) break
  }
  controller.abort()
  return seen
}

describe('status page and web chat (HTTP)', { timeout: 60_000 }, () => {
  it('serves status JSON, history and live messages; a loopback post reaches the other node; posts are bounded', async () => {
    const tracker = start(['tracker', '--host', '127.0.0.1', '--port', '0'])
    const port = (await line(tracker, /listening \{"address":"127\.0\.0\.1:(\d+)"/, 'the tracker to listen'))[1]!
    const peer = ['--room', 'web room', '--tracker', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--step', '100', '--http', '127.0.0.1:0']
    const a = start(['node', ...peer, '--data', await tempDir()])
    const b = start(['node', ...peer, '--data', await tempDir()])
    const urlA = (await line(a, /serving the status page \{"url":"(http:\/\/127\.0\.0\.1:\d+)\/"/, 'a to serve its page'))[1]!
    const urlB = (await line(b, /serving the status page \{"url":"(http:\/\/127\.0\.0\.1:\d+)\/"/, 'b to serve its page'))[1]!

    const page = await fetch(`${urlA}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('<script src="app.js"')
    expect((await fetch(`${urlA}/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/)
    const status = (await (await fetch(`${urlA}/api/status`)).json()) as Record<string, unknown>
    expect(status).toMatchObject({ room: 'web room', connectionType: expect.any(String), sync: { bundlesStored: 0 } })
    expect(status['address']).toMatch(/^127\.0\.0\.1:\d+$/)

    // B's stream: history (none), ready, then A's post as it is delivered. A posts only once
    // B's stream is open: a post delivered before would come as history, ahead of `ready`.
    let bReady!: () => void
    const openedB = new Promise<void>((resolve) => (bReady = resolve))
    const streamB = events(`${urlB}/api/events`, (e) => e.some((x) => x.event === 'message' && (x.data as { text: string }).text === 'hello from the web'), () => bReady())
    await deadline(openedB, WAIT_MS, "b's event stream to open")
    const posted = await fetch(`${urlA}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nick: 'ada', text: 'hello from the web' }) })
    expect(posted.status).toBe(201)
    const message = (await posted.json()) as { id: string; nick: string; own: boolean }
    expect(message).toMatchObject({ nick: 'ada', own: true })
    const seenB = await deadline(streamB, WAIT_MS, "b's event stream to carry a's post")
    expect(seenB[0]).toEqual({ event: 'ready', data: { count: 0 } })
    expect(seenB.find((x) => x.event === 'message')!.data).toMatchObject({ id: message.id, nick: 'ada', own: false })

    // A second post names the first as its parent; history lists both in causal order.
    await fetch(`${urlA}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nick: 'ada', text: 'second' }) })
    const history = (await (await fetch(`${urlA}/api/messages`)).json()) as { id: string; parents: string[]; text: string }[]
    expect(history.map((m) => m.text)).toEqual(['hello from the web', 'second'])
    expect(history[1]!.parents).toEqual([message.id])
    const replay = await events(`${urlA}/api/events`, (e) => e.some((x) => x.event === 'ready'))
    expect(replay.map((x) => (x.event === 'message' ? (x.data as { text: string }).text : x.event))).toEqual(['hello from the web', 'second', 'ready'])

    // What a post must be.
    const postA = (headers: Record<string, string>, body: string) => raw(`${urlA}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    expect((await postA({ 'content-type': 'text/plain' }, JSON.stringify({ nick: 'x', text: 'y' }))).status).toBe(415)
    expect((await postA({}, 'not json')).status).toBe(400)
    expect((await postA({}, JSON.stringify({ nick: '', text: 'y' }))).status).toBe(400)
    expect((await postA({}, JSON.stringify({ nick: 'x', text: '   ' }))).status).toBe(400)
    expect((await postA({}, JSON.stringify({ nick: 'x\u001b[2J', text: 'y' }))).status).toBe(400)
    expect((await postA({}, JSON.stringify({ nick: 'x', text: 'y'.repeat(MAX_POST_BYTES) }))).status).toBe(413)
    expect((await postA({}, JSON.stringify({ nick: 'x', text: 'é'.repeat(900) }))).status).toBe(413) // fits the page's limit, not one datagram
    // A page of another site rebinding its name to 127.0.0.1: refused although the client is local.
    const rebound = await postA({ host: 'attacker.example:80' }, JSON.stringify({ nick: 'x', text: 'y' }))
    expect(rebound.status).toBe(403)
    expect((await fetch(`${urlA}/api/status`, { method: 'POST' })).status).toBe(404)
    const after = (await (await fetch(`${urlA}/api/messages`)).json()) as unknown[]
    expect(after).toHaveLength(2) // nothing refused was published

    a.stop()
    b.stop()
    tracker.stop()
    expect(await a.exit).toBe(0)
    expect(await b.exit).toBe(0)
  })

  it('a tracker\'s page lists the rooms it serves and has no chat', async () => {
    const tracker = start(['tracker', '--host', '127.0.0.1', '--port', '0', '--http', '0'])
    const port = (await line(tracker, /listening \{"address":"127\.0\.0\.1:(\d+)"/, 'the tracker to listen'))[1]!
    const url = (await line(tracker, /serving the status page \{"url":"(http:\/\/127\.0\.0\.1:\d+)\/"\}/, 'the tracker to serve its page'))[1]!
    start(['node', '--room', 'counted', '--tracker', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--step', '100', '--data', await tempDir()])
    await line(tracker, /serving a new room/, 'the tracker to see the room')
    const status = (await (await fetch(`${url}/api/status`)).json()) as { role: string; room: unknown; sync: unknown; rooms: { count: number; listed: { overlay: string }[] }; candidates: unknown[] }
    expect(status).toMatchObject({ role: 'tracker', room: null, sync: null })
    expect(status.rooms.count).toBe(1)
    expect(status.rooms.listed[0]!.overlay).toMatch(/^[0-9a-f]{64}$/)
    expect(status.candidates.length).toBeGreaterThan(0)
    expect((await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404)
    expect((await fetch(`${url}/api/events`)).status).toBe(404)
    expect((await fetch(`${url}/`)).status).toBe(200)
  })

  it('who may post: loopback client and Host, or the token; --http-token is checked', async () => {
    const hash = createHash('sha256').update('correct horse battery staple').digest()
    const local = { remoteAddress: '127.0.0.1', host: '127.0.0.1:8080', authorization: undefined }
    expect(postPermission(local, undefined)).toEqual({ ok: true })
    expect(postPermission({ ...local, remoteAddress: '::ffff:127.0.0.1', host: 'localhost:8080' }, undefined)).toEqual({ ok: true })
    expect(postPermission({ ...local, remoteAddress: '::1', host: '[::1]:8080' }, undefined)).toEqual({ ok: true })
    expect(postPermission({ ...local, remoteAddress: '192.0.2.7' }, undefined)).toMatchObject({ ok: false, status: 401 })
    expect(postPermission({ ...local, host: 'evil.example' }, undefined)).toMatchObject({ ok: false, status: 403 })
    expect(postPermission({ ...local, remoteAddress: '192.0.2.7', authorization: 'Bearer correct horse battery staple' }, hash)).toEqual({ ok: true })
    expect(postPermission({ ...local, remoteAddress: '192.0.2.7', authorization: 'Bearer wrong' }, hash)).toMatchObject({ ok: false, status: 401 })
    expect(postPermission({ ...local, remoteAddress: '192.0.2.7', authorization: 'correct horse battery staple' }, hash)).toMatchObject({ ok: false, status: 401 })
    expect(isLoopbackHost('127.3.4.5:1')).toBe(true)
    expect(isLoopbackHost('127.0.0.1.nip.io:1')).toBe(false)
    expect(isLoopbackHost(undefined)).toBe(false)
    expect(tokenOption(undefined, false)).toBeUndefined()
    expect(() => tokenOption('a'.repeat(20), false)).toThrow(/--http-token needs --http/)
    expect(() => tokenOption('short', true)).toThrow(/at least 16/)
    expect(() => tokenOption('has a space in it!!', true)).toThrow(/printable ASCII/)
    const bad = await run(['node', '--room', 'r', '--tracker', '127.0.0.1:1', '--http', 'example.org:80'])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--http must name an IP address/)
  })
})

describe('traffic history', () => {
  it('keeps per-interval differences, at most the bound, oldest dropped first', async () => {
    const { TrafficHistory } = await import('../../../src/cli/http/traffic-history.js')
    const h = new TrafficHistory(3)
    const stats = (n: number) => ({ in: { bundles: { datagrams: n, bytes: 100 * n } }, out: { 'introduction-request': { datagrams: 2 * n, bytes: 300 * n } }, drops: { 'bad-signature': n } }) as never
    h.sample(1000, stats(0))
    expect(h.samples()).toEqual([])
    for (let i = 1; i <= 5; i++) h.sample(1000 + i * 2000, stats(i * i))
    const kept = h.samples()
    expect(kept.map((s) => s.t)).toEqual([7000, 9000, 11000])
    expect(kept[2]).toEqual({ t: 11000, ms: 2000, inBytes: 900, outBytes: 2700, inDatagrams: 9, outDatagrams: 18, drops: 9 })
  })
})
