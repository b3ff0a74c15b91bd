/**
 * The status page in a real browser: Debian's chromium, driven by puppeteer-core (which
 * downloads nothing). A tracker and two nodes with `--http` over UDP on 127.0.0.1; a line
 * typed into node A's page appears in node B's page; both pages show their status. Waits on
 * DOM conditions with bounded timeouts, never on time. Screenshots go to test-output/.
 * Skips, saying why, where no chromium is installed (CI installs it: .ci/run).
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { deadline, start, tempDir, type Running } from '../helpers.js'

const WAIT_MS = 20_000
/**
 * Conditions are checked on each DOM change: puppeteer's default polls on animation frames,
 * which a background tab (one of the two pages always is) does not get.
 */
const MUTATION = { polling: 'mutation' } as const
const OUTPUT = join(import.meta.dirname, '..', '..', '..', 'test-output')

/** The browser: $CHROMIUM, else Debian's and other usual paths. */
function chromiumPath(): string | undefined {
  const candidates = [process.env['CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/snap/bin/chromium']
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p))
}

const chromium = chromiumPath()
if (chromium === undefined) console.warn('browser test skipped: no chromium found (Debian: apt-get install chromium; or set CHROMIUM=/path/to/chrome)')

/** Browser-side condition (a string: the test is not compiled with the DOM's types): an element matching `selector` contains every text. */
function shows(selector: string, ...texts: string[]): string {
  return `[...document.querySelectorAll(${JSON.stringify(selector)})].some((e) => ${JSON.stringify(texts)}.every((t) => e.textContent.includes(t)))`
}

function line(r: Running, re: RegExp, what: string): Promise<RegExpMatchArray> {
  return deadline(r.err.waitFor(re), WAIT_MS, `${what}; stderr so far:\n${r.err.text}`)
}

describe.skipIf(chromium === undefined)('status page in headless chromium', { timeout: 90_000 }, () => {
  it('a line posted in one node\'s page appears in the other node\'s page; both show their status', async () => {
    const { launch } = await import('puppeteer-core')
    const tracker = start(['tracker', '--host', '127.0.0.1', '--port', '0', '--http', '0'])
    const port = (await line(tracker, /listening \{"address":"127\.0\.0\.1:(\d+)"/, 'the tracker to listen'))[1]!
    const peer = ['--room', 'lobby', '--tracker', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--step', '200', '--http', '127.0.0.1:0']
    const a = start(['node', ...peer, '--data', await tempDir()])
    const b = start(['node', ...peer, '--data', await tempDir()])
    const trackerUrl = (await line(tracker, /serving the status page \{"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/, 'the tracker to serve its page'))[1]!
    const urlA = (await line(a, /serving the status page \{"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/, 'a to serve its page'))[1]!
    const urlB = (await line(b, /serving the status page \{"url":"(http:\/\/127\.0\.0\.1:\d+\/)"/, 'b to serve its page'))[1]!

    // As root (CI) chromium refuses to run without --no-sandbox; containers have a small /dev/shm.
    const args = ['--disable-dev-shm-usage', '--disable-gpu', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])]
    const browser = await launch({ executablePath: chromium!, headless: true, args, timeout: WAIT_MS })
    onTestFinished(() => browser.close())
    const errors: string[] = []
    const open = async (url: string) => {
      const page = await browser.newPage()
      page.setDefaultTimeout(WAIT_MS)
      page.on('pageerror', (err) => errors.push(String(err)))
      await page.setViewport({ width: 1100, height: 720 })
      await page.goto(url)
      await page.waitForSelector('body.chat-ready')
      await page.waitForSelector('body.status-ready')
      return page
    }
    const pageA = await open(urlA)
    const pageB = await open(urlB)
    // The two nodes have found each other (each lists the other as a candidate beside the tracker).
    for (const page of [pageA, pageB]) await page.waitForFunction(`document.querySelectorAll('#candidates tr').length >= 2`, MUTATION)

    await pageA.bringToFront()
    await pageA.evaluate(`document.querySelector('#nick').value = ''`)
    await pageA.type('#nick', 'ada')
    await pageA.type('#text', 'hello from a browser')
    await pageA.click('#post button')
    // Shown at once in A (as sent), then delivered to B over UDP and pushed to B's page.
    await pageA.waitForFunction(shows('#messages li.own', 'hello from a browser'), MUTATION)
    await pageB.waitForFunction(shows('#messages li', 'ada', 'hello from a browser'), MUTATION)
    expect(await pageA.evaluate(`document.querySelector('#text').value`)).toBe('')

    // B replies; A sees it.
    await pageB.bringToFront()
    await pageB.type('#text', 'and back from b')
    await pageB.keyboard.press('Enter')
    await pageA.waitForFunction(shows('#messages li:not(.own)', 'and back from b'), MUTATION)
    // A message is text, never markup.
    await pageA.bringToFront()
    await pageA.type('#text', '<img src=x onerror="document.title=1">')
    await pageA.keyboard.press('Enter')
    await pageB.waitForFunction(shows('#messages li', '<img src=x'), MUTATION)
    expect(await pageB.evaluate(`document.querySelectorAll('#messages img').length`)).toBe(0)

    // Status: the room, the address, two candidates at least, the bundles counted.
    expect(await pageB.$eval('#room', (e) => e.textContent)).toBe('lobby')
    expect(await pageB.$eval('#address', (e) => e.textContent)).toMatch(/^127\.0\.0\.1:\d+/)
    await pageB.waitForFunction(shows('#sync', 'bundles3'), MUTATION)
    // The traffic chart has its two lines (two samples, 2 s apart).
    await pageB.waitForFunction(`document.querySelectorAll('#chart polyline').length === 2`, MUTATION)
    expect(errors).toEqual([])

    // The tracker's page: the room it serves, no chat.
    const pageT = await browser.newPage()
    pageT.setDefaultTimeout(WAIT_MS)
    pageT.on('pageerror', (err) => errors.push(String(err)))
    await pageT.setViewport({ width: 1100, height: 720 })
    await pageT.goto(trackerUrl)
    await pageT.waitForSelector('body.tracker.status-ready')
    await pageT.waitForFunction(`document.querySelectorAll('#rooms-list tr').length === 1`, MUTATION)
    expect(await pageT.evaluate(`getComputedStyle(document.querySelector('section.chat')).display`)).toBe('none')
    expect(errors).toEqual([])

    await mkdir(OUTPUT, { recursive: true })
    await pageB.screenshot({ path: join(OUTPUT, 'status-page.png') })
    await pageA.screenshot({ path: join(OUTPUT, 'status-page-a.png') })
    await pageT.screenshot({ path: join(OUTPUT, 'status-page-tracker.png') })
    expect(existsSync(join(OUTPUT, 'status-page.png'))).toBe(true)
  })
})
