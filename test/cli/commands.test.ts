/** `bloomwalk` usage and argument errors: every bad argument is named, exit status 2. */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { COMMANDS, USAGE } from '../../src/cli/commands.js'
import { run } from './helpers.js'

describe('bloomwalk usage', () => {
  it('--help prints the command list (exit 0); no command prints it with exit 2; an unknown command is named', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.out).toBe(USAGE)
    for (const name of ['demo', 'tracker', 'node', 'chat', 'bloom', 'sim', 'sweep']) expect(help.out).toMatch(new RegExp(`^  ${name} `, 'm'))
    expect((await run([])).code).toBe(2)
    const unknown = await run(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.err).toBe('bloomwalk: unknown command "frobnicate"\nrun "bloomwalk --help" for the commands')
  })

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const flag of ['--version', '-V']) expect(await run([flag])).toEqual({ code: 0, out: `bloomwalk ${version}`, err: '' })
  })

  it.each(Object.keys(COMMANDS))('%s --help prints its usage and exits 0', async (name) => {
    const r = await run([name, '--help'])
    expect(r.code).toBe(0)
    expect(r.out).toBe(COMMANDS[name]!.usage)
    expect(r.out).toMatch(new RegExp(`^usage: bloomwalk ${name}`))
  })

  it('chat --help says messages are shown in causal order, and lists /who, /help and /quit', async () => {
    const help = (await run(['chat', '--help'])).out
    expect(help).toMatch(/in causal order/)
    expect(help).not.toMatch(/not yet in causal order/)
    for (const c of ['/who', '/help', '/quit']) expect(help).toContain(c)
  })
})

describe('bloomwalk argument errors', () => {
  const cases: [string[], RegExp][] = [
    [['tracker', '--port', 'abc'], /--port must be a number, got "abc"/],
    [['tracker', '--port', '70000'], /--port must be ≤ 65535/],
    [['tracker', '--host', 'example.org'], /--host must be a local IPv4 or IPv6 address/],
    [['tracker', '--stats=-1'], /--stats must be ≥ 0/],
    [['tracker', '--log-level', 'loud'], /--log-level must be one of/],
    [['tracker', 'extra'], /Unexpected argument 'extra'/],
    [['node', '--tracker', '127.0.0.1:6421'], /--room NAME is required/],
    [['node', '--room', ''], /--room must not be empty/],
    [['node', '--room', 'lobby'], /--tracker HOST:PORT is required/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1'], /--tracker must be HOST:PORT .*no port/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:0'], /--tracker .*port must be 1–65535/],
    [['node', '--room', 'lobby', '--tracker', '::1:6421'], /--tracker .*brackets/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--port', 'abc'], /--port must be a number/],
    [['node', '--room', 'lobby', '--tracker', '[::1]:6421'], /--tracker ::1 is IPv6 but the socket is IPv4/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--step', '0'], /--step must be ≥ 10/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--receive-buffer', '0'], /--receive-buffer must be ≥ 1/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--receive-buffer', '4e9'], /--receive-buffer must be ≤ 2147483647/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--receive-buffer', '1.5'], /--receive-buffer must be an integer/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--bogus'], /Unknown option '--bogus'/],
    [['node', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--policy', 'strict'], /--policy must be one of default, open/],
    [['chat', '--tracker', '127.0.0.1:6421'], /--room NAME is required/],
    [['chat', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--nick', ''], /--nick must be 1–32 characters/],
    [['chat', '--room', 'lobby', '--tracker', '127.0.0.1:6421', '--nick', 'a\u001b[2Jb'], /--nick must not contain control characters/],
    [['demo', '--nodes', '0'], /--nodes must be ≥ 2, got 0/],
    [['demo', '--nodes', '-5'], /--nodes must be ≥ 2, got -5/],
    [['tracker', '--stats', '-1'], /--stats must be ≥ 0/],
    [['demo', '--nodes', 'many'], /--nodes must be a number/],
    [['demo', '--nodes', '2.5'], /--nodes must be an integer/],
    [['demo', '--messages', '0'], /--messages must be ≥ 1/],
    [['demo', '--timeout', '0'], /--timeout must be ≥/],
    [['demo', '--seed=-3'], /--seed must be ≥ 0/],
    [['demo', '--step', '5'], /--step must be ≥ 10/],
    [['demo', '--strategy', 'best'], /--strategy must be one of largest, modulo, adaptive/],
    [['demo', '--budget', '2000'], /--budget must be ≤ 1472/],
    [['demo', '--threads', '0'], /--threads must be ≥ 1/],
    [['demo', '--log-level', 'chatty'], /--log-level must be one of/],
    [['demo', '--json=yes'], /--json/]
  ]

  it.each(cases)('%j → exit 2 naming the argument', async (argv, message) => {
    const r = await run(argv)
    expect(r.code).toBe(2)
    expect(r.err).toMatch(message)
    // The error and one line pointing at --help, not the whole usage page.
    expect(r.err.split('\n')).toEqual([expect.stringMatching(new RegExp(`^bloomwalk ${argv[0]}: `)), `run "bloomwalk ${argv[0]} --help" for its options`])
    expect(r.out).toBe('')
  })
})
