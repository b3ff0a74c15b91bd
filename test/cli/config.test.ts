/**
 * `--config FILE` (the command line overrides the file, every key and value checked) and
 * `--log-format text|json` (ISO-8601 times; JSON lines that parse, whose own keys a field
 * cannot overwrite).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatLogLine } from '../../src/cli/command.js'
import { withConfig } from '../../src/cli/config.js'
import { deadline, run, start, tempDir } from './helpers.js'

const OPTIONS = { room: { type: 'string' }, tracker: { type: 'string', multiple: true }, port: { type: 'string' }, 'no-idle-skip': { type: 'boolean' }, help: { type: 'boolean' } } as const

async function configFile(content: unknown): Promise<string> {
  const path = join(await tempDir(), 'bloomwalk.json')
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

describe('--config FILE', () => {
  it('puts the file\'s options before the command line, which overrides them (repeatable ones whole)', async () => {
    const path = await configFile({ room: 'lobby', tracker: ['192.0.2.1:6421', '192.0.2.2:6421'], port: 7000, 'no-idle-skip': true })
    expect(withConfig(['--config', path], OPTIONS)).toEqual(['--room=lobby', '--tracker=192.0.2.1:6421', '--tracker=192.0.2.2:6421', '--port=7000', '--no-idle-skip', '--config', path])
    expect(withConfig(['--config', path, '--tracker', '198.51.100.1:1', '--port', '1'], OPTIONS)).toEqual(['--room=lobby', '--no-idle-skip', '--config', path, '--tracker', '198.51.100.1:1', '--port', '1'])
    expect(withConfig(['--room', 'x'], OPTIONS)).toEqual(['--room', 'x'])
    expect(withConfig(['--config', await configFile({ 'no-idle-skip': false, tracker: '192.0.2.1:6421' })], OPTIONS).slice(0, 1)).toEqual(['--tracker=192.0.2.1:6421'])
  })

  it('refuses what is not an object of known options with the right types, naming the file and key', async () => {
    const check = async (content: unknown, why: RegExp) => {
      const path = await configFile(content)
      expect(() => withConfig(['--config', path], OPTIONS)).toThrow(why)
    }
    await check({ rom: 'lobby' }, /bloomwalk\.json: unknown option "rom"/)
    await check({ help: true }, /unknown option "help"/)
    await check({ config: 'other.json' }, /unknown option "config"/)
    await check({ 'no-idle-skip': 'yes' }, /"no-idle-skip" is a switch: true or false/)
    await check({ port: { number: 1 } }, /"port" must be a string or a number/)
    await check({ tracker: [1, null] }, /"tracker" must be a string or a number/)
    await check(['--room', 'x'], /must be a JSON object of options/)
    await check('{"room": "lobby",}', /not JSON/)
    expect(() => withConfig(['--config', '/nonexistent/bloomwalk.json'], OPTIONS)).toThrow(/cannot read it \(ENOENT\)/)
  })

  it('node, tracker and chat take it; a bad file exits 2 naming it', async () => {
    for (const command of ['node', 'tracker', 'chat']) {
      const r = await run([command, '--config', await configFile({ 'no-such-flag': 1 })])
      expect(r.code).toBe(2)
      expect(r.err).toMatch(new RegExp(`bloomwalk ${command}: --config .*bloomwalk\\.json: unknown option "no-such-flag"`))
    }
  })

  it('a tracker started from a config file logs JSON lines with ISO-8601 times', async () => {
    const path = await configFile({ host: '127.0.0.1', port: 0, 'log-format': 'json', stats: 0 })
    const tracker = start(['tracker', '--config', path])
    const m = await deadline(tracker.err.waitFor(/^\{.*"msg":"listening"/), 20_000, `the tracker to log "listening" as JSON; stderr:\n${tracker.err.text}`)
    const record = JSON.parse(m.input!) as Record<string, unknown>
    expect(record).toMatchObject({ level: 'info', component: 'tracker', msg: 'listening', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) })
    expect(record['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    tracker.stop()
    expect(await tracker.exit).toBe(0)
    for (const l of tracker.err.all) expect(() => JSON.parse(l), l).not.toThrow() // every line, to the last
    expect((await run(['tracker', '--log-format', 'xml'])).err).toMatch(/--log-format must be one of text, json, got "xml"/)
  })
})

describe('log lines', () => {
  it('text: ISO-8601 time, level, component, message, fields; json: one object whose own keys fields cannot replace', () => {
    const t = Date.UTC(2026, 11, 7, 4, 5, 6, 789)
    expect(formatLogLine('text', t, 'info', 'node', 'walk', { to: '192.0.2.1:6421' })).toBe('2026-12-07T04:05:06.789Z info  node walk {"to":"192.0.2.1:6421"}')
    expect(formatLogLine('text', t, 'warn', 'node', 'stopping')).toBe('2026-12-07T04:05:06.789Z warn  node stopping')
    const json = JSON.parse(formatLogLine('json', t, 'info', 'node:sync', 'delivered', { msg: 'spoofed', level: 'error', n: 10n, id: 'ab' })) as Record<string, unknown>
    expect(json).toEqual({ time: '2026-12-07T04:05:06.789Z', level: 'info', component: 'node:sync', msg: 'delivered', 'field.msg': 'spoofed', 'field.level': 'error', n: '10', id: 'ab' })
  })
})
