/** Running `bloomwalk` commands in-process: captured output, awaitable lines, teardown. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { onTestFinished } from 'vitest'
import { main } from '../../src/cli/commands.js'
import type { CommandIo } from '../../src/cli/command.js'

/** Lines written to one stream, with a way to wait for one that matches. */
export class Lines {
  readonly all: string[] = []
  #partial = ''
  readonly #waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []

  /** As an `out` callback: one line per call. */
  readonly line = (text: string): void => {
    this.write(text + '\n')
  }

  /** As a stream's `write`: text split into lines. */
  write(text: string): boolean {
    const parts = (this.#partial + text).split('\n')
    this.#partial = parts.pop() ?? ''
    for (const p of parts) this.#push(p)
    return true
  }

  get text(): string {
    return this.all.join('\n')
  }

  /** Resolves with the match of the first line (seen or future) that matches `re`. */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    for (const l of this.all) {
      const m = l.match(re)
      if (m !== null) return Promise.resolve(m)
    }
    return new Promise((resolve) => this.#waiters.push({ re, resolve }))
  }

  #push(line: string): void {
    this.all.push(line)
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!
      const m = line.match(w.re)
      if (m !== null) {
        this.#waiters.splice(i, 1)
        w.resolve(m)
      }
    }
  }
}

/** A command run in-process: its stdout and stderr lines, its stdin, a stop switch and its exit status. */
export interface Running {
  out: Lines
  err: Lines
  stdin: PassThrough
  stop(): void
  /** The exit status main() resolves. */
  exit: Promise<number>
}

/** Starts `bloomwalk <argv>` in-process; stopped (like Ctrl-C) when the test ends. */
export function start(argv: string[], env: NodeJS.ProcessEnv = {}): Running {
  const out = new Lines()
  const err = new Lines()
  const stdin = new PassThrough()
  const controller = new AbortController()
  const io: Partial<CommandIo> = { err: { write: (t: string) => err.write(t), isTTY: false }, signal: controller.signal, stdin, env }
  const exit = main(argv, out.line, io)
  onTestFinished(async () => {
    controller.abort()
    await exit.catch(() => undefined)
  })
  return { out, err, stdin, stop: () => controller.abort(), exit }
}

/** Runs `bloomwalk <argv>` to completion. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const r = start(argv, env)
  const code = await r.exit
  return { code, out: r.out.text, err: r.err.text }
}

/** A temporary directory removed when the test ends. */
export async function tempDir(prefix = 'bloomwalk-cli-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Rejects after `ms` with `what` in the message; for racing against a condition, never as a sleep. */
export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
