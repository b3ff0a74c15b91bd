/**
 * Three `bloomwalk chat` terminals in tmux, over UDP on loopback through a tracker: ada and
 * bob talk, bob leaves and comes back mid-conversation (his lines and ada's while he was away
 * must all be there, in order), cy joins late and replies. Every terminal must show every
 * line of the conversation once, parents first (the conversation is one chain: each line's
 * parent is the line before it). The chats run the BUILT command (dist/, as a user runs it)
 * in real terminals, so readline's terminal mode, the prompt and the redraws are exercised.
 *
 * Waits by polling the panes' screen content with a deadline, never by sleeping. Skipped,
 * with a message, where tmux is missing (CI installs it: .ci/run).
 */
import { execFile, execFileSync } from 'node:child_process'
import { access } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { start, tempDir } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const exec = promisify(execFile)
const WAIT_MS = 30_000

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const tmuxHere = hasTmux()
if (!tmuxHere) console.warn('chat-tmux: tmux is not installed; skipping the three-terminal chat test (apt-get install tmux)')

/** A tmux server of our own (its own socket), so nothing else's sessions are touched. */
const socket = `bw-chat-${process.pid}`
const tmux = (...args: string[]) => exec('tmux', ['-L', socket, ...args])

async function screen(session: string): Promise<string[]> {
  const { stdout } = await tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', session)
  return stdout.split('\n')
}

/** The conversation lines ("HH:MM nick (key): mN …") a pane shows, as their mN labels. */
async function said(session: string): Promise<string[]> {
  return (await screen(session)).map((l) => /^\d\d:\d\d \S+ \([0-9a-f]{8}\): (m\d+) /.exec(l)?.[1]).filter((m): m is string => m !== undefined)
}

/** Polls until the pane's process has exited (the pane stays, remain-on-exit). */
async function exited(session: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const { stdout } = await tmux('display-message', '-p', '-t', session, '#{pane_dead} #{pane_dead_status}')
    if (stdout.startsWith('1')) {
      // The status is filled in a moment after the pane dies (tmux), when it is: 0.
      expect(stdout.trim(), `${session} exit status`).toMatch(/^1( 0)?$/)
      return
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${session} to exit; screen:\n${(await screen(session)).join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Polls a pane until `done` holds for its screen, or fails after the deadline with the screen. */
async function until(session: string, done: (lines: string[]) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const lines = await screen(session)
    if (done(lines)) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${session} to show ${what}; screen:\n${lines.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 100)) // the poll interval, not a wait for the result
  }
}

const showsAll = (labels: string[]) => async (session: string) => until(session, (lines) => labels.every((m) => lines.some((l) => new RegExp(`\\): ${m} `).test(l))), labels.join(', '))

describe.skipIf(!tmuxHere)('chat in three terminals (tmux)', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    try {
      await access(join(repo, 'dist/src/cli/main.js'))
    } catch {
      await exec(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.build.json')])
    }
    await tmux('new-session', '-d', '-s', 'boot', '-x', '160', '-y', '60')
    await tmux('set-option', '-g', 'remain-on-exit', 'on')
  }, 120_000)

  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined)
  })

  it('every terminal shows every line once, parents first — across a restart and a late join', async () => {
    const tracker = start(['tracker', '--host', '127.0.0.1', '--port', '0', '--stats', '0'])
    const port = (await tracker.err.waitFor(/listening \{"address":"127\.0\.0\.1:(\d+)"/))[1]!
    const cli = join(repo, 'dist/src/cli/main.js')
    const dirs = { ada: await tempDir(), bob: await tempDir(), cy: await tempDir() }
    const chat = async (session: string, nick: keyof typeof dirs) => {
      const argv = [process.execPath, cli, 'chat', '--room', 'tmux room', '--tracker', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--step', '100', '--data', dirs[nick], '--nick', nick]
      await tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '60', argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '))
      await until(session, (lines) => lines.some((l) => l.startsWith(`joined "tmux room" as ${nick}`)), 'the join line')
    }
    const type = (session: string, text: string) => tmux('send-keys', '-t', session, '-l', text).then(() => tmux('send-keys', '-t', session, 'Enter'))

    await chat('ada', 'ada')
    await chat('bob', 'bob')
    await type('ada', 'm1 hello, anyone here?')
    await showsAll(['m1'])('bob')
    await type('bob', 'm2 hi ada')
    await showsAll(['m2'])('ada')

    // bob leaves mid-conversation; ada goes on.
    await type('bob', '/quit')
    await exited('bob')
    await type('ada', 'm3 bob left?')
    await showsAll(['m3'])('ada')
    await type('ada', 'm4 well, when you are back')
    await showsAll(['m4'])('ada')

    // bob comes back (same data directory): the history and what he missed, in order.
    await chat('bob2', 'bob')
    await showsAll(['m1', 'm2', 'm3', 'm4'])('bob2')
    // cy joins late.
    await chat('cy', 'cy')
    await showsAll(['m1', 'm2', 'm3', 'm4'])('cy')
    await type('cy', 'm5 hello from the late one')
    for (const s of ['ada', 'bob2', 'cy']) await showsAll(['m5'])(s)
    await type('bob2', 'm6 back, read it all')
    for (const s of ['ada', 'bob2', 'cy']) await showsAll(['m6'])(s)

    const all = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']
    expect(await said('ada')).toEqual(all)
    expect(await said('bob')).toEqual(['m1', 'm2'])
    expect(await said('bob2')).toEqual(all)
    expect(await said('cy')).toEqual(all)
    // Nothing is marked late or missing in a conversation that is one chain.
    for (const s of ['ada', 'bob2', 'cy']) expect((await screen(s)).filter((l) => /\((late|earlier messages missing)/.test(l))).toEqual([])

    // /who on cy lists ada and bob (seen by their messages and presence pings).
    await type('cy', '/who')
    await until('cy', (lines) => lines.some((l) => /^ada \([0-9a-f]{8}\), \d+ s ago/.test(l)) && lines.some((l) => /^bob \([0-9a-f]{8}\), \d+ s ago/.test(l)), '/who listing ada and bob')
    await type('cy', '/help')
    await until('cy', (lines) => lines.some((l) => l.startsWith('/quit')), 'the /help list')

    for (const s of ['ada', 'bob2', 'cy']) await type(s, '/quit')
    for (const s of ['ada', 'bob2', 'cy']) await exited(s)
    tracker.stop()
    expect(await tracker.exit).toBe(0)
  })
})
