/**
 * The web chat's bounds, on a stand-in node (no network): at most 32 event streams, a stream
 * whose reader stalls is dropped once 1 MiB is queued, a post's text is 1–1000 characters,
 * and posts name the previous message as their parent.
 */
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { MAX_EVENT_STREAMS, MAX_POST_TEXT, PostError, WebChat } from '../../../src/cli/http/web-chat.js'
import { roomId } from '../../../src/bundle/index.js'
import { TypedEvents, type NodeEvents } from '../../../src/node/events.js'
import type { BloomwalkNode } from '../../../src/node/index.js'
import type { Bundle } from '../../../src/bundle/types.js'

const overlay = roomId('web chat test')

/** A response that records what is written; `writableLength` is set by the test. */
class FakeResponse extends EventEmitter {
  written = ''
  writableLength = 0
  writableEnded = false
  destroyed = false
  writeHead(): this {
    return this
  }
  write(text: string): boolean {
    this.written += text
    return true
  }
  end(): void {
    this.writableEnded = true
    this.emit('close')
  }
  destroy(): void {
    this.destroyed = true
    this.emit('close')
  }
}

function standIn(): { node: BloomwalkNode; events: TypedEvents<NodeEvents>; published: { body: Uint8Array; parents: Uint8Array[] }[] } {
  const events = new TypedEvents<NodeEvents>()
  const published: { body: Uint8Array; parents: Uint8Array[] }[] = []
  let n = 0
  const node = {
    events,
    keys: { publicKey: new Uint8Array(32).fill(7) },
    async publish(_overlay: Uint8Array, body: Uint8Array, options: { parents: Uint8Array[] }) {
      published.push({ body, parents: options.parents })
      return { id: new Uint8Array(32).fill(++n), parents: options.parents, author: new Uint8Array(32).fill(7), body, globalTime: n, kind: 1 } as unknown as Bundle
    }
  } as unknown as BloomwalkNode
  return { node, events, published }
}

function delivery(i: number) {
  const bundle = { id: new Uint8Array(32).fill(100 + i), parents: [], author: new Uint8Array(32).fill(9), body: new TextEncoder().encode(JSON.stringify({ nick: 'bob', text: `line ${i}` })), globalTime: i, kind: 1 } as unknown as Bundle
  return { overlay, bundle, from: undefined, own: false }
}

describe('web chat bounds', () => {
  it('at most 32 event streams; a stalled one is dropped, the others get every message', async () => {
    const { node, events } = standIn()
    const chat = new WebChat({ node, overlay, store: undefined })
    await chat.start()
    const streams = Array.from({ length: MAX_EVENT_STREAMS }, () => new FakeResponse())
    for (const s of streams) expect(await chat.attach(s as unknown as ServerResponse)).toBe(true)
    expect(await chat.attach(new FakeResponse() as unknown as ServerResponse)).toBe(false)
    streams[0]!.writableLength = (1 << 20) + 1
    events.emit('bundle', delivery(1))
    expect(streams[0]!.destroyed).toBe(true)
    for (const s of streams.slice(1)) expect(s.written).toContain('"text":"line 1"')
    // Its place is free again.
    expect(await chat.attach(new FakeResponse() as unknown as ServerResponse)).toBe(true)
    await chat.stop()
    expect(streams.slice(1).every((s) => s.writableEnded)).toBe(true)
    expect(await chat.attach(new FakeResponse() as unknown as ServerResponse)).toBe(false)
  })

  it('a post is 1–1000 characters and names the last message seen as its parent', async () => {
    const { node, events, published } = standIn()
    const chat = new WebChat({ node, overlay, store: undefined })
    await chat.start()
    expect(() => chat.post('ada', 'x'.repeat(MAX_POST_TEXT + 1))).toThrow(PostError)
    expect(() => chat.post('ada', '  ')).toThrow(/text must be 1–1000 characters/)
    await chat.post('ada', 'x'.repeat(MAX_POST_TEXT))
    expect(published[0]!.parents).toEqual([])
    events.emit('bundle', delivery(5))
    await chat.post('ada', 'after bob')
    expect(published[1]!.parents).toEqual([new Uint8Array(32).fill(105)])
    await chat.post('ada', 'and again')
    expect(published[2]!.parents).toEqual([new Uint8Array(32).fill(2)])
    await chat.stop()
  })
})
