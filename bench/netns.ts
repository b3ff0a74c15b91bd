/**
 * Shell helpers shared by the two namespace labs — the NAT lab of `npm run test:nat`
 * (test/nat/harness.ts) and the testbed of real processes (bench/testbed/lab.ts): running a
 * command, listing and deleting network namespaces, signalling pids. Each lab keeps its own
 * namespace prefix and only ever passes its own namespaces here.
 */
import { execFile, execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

/** Runs a command; rejects with its stderr in the message. */
export function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`))
      else resolve(stdout)
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

/** Whether `cmd` is on the PATH. */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Whether a process with this pid exists (EPERM: it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Names of the network namespaces on this machine (`/run/netns`). */
export function namespaces(): string[] {
  try {
    return readdirSync('/run/netns')
  } catch {
    return []
  }
}

/** Sends `sig` to `pid`, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

/** Pids inside a namespace (`ip netns pids`), empty when it is gone. */
async function nsPids(ns: string): Promise<number[]> {
  try {
    return (await run('ip', ['netns', 'pids', ns])).split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * Kills what runs inside `ns` (TERM, then KILL after `polls` × 100 ms) and deletes it. Only
 * ever called on a lab's own namespaces.
 */
export async function deleteNamespace(ns: string, polls = 20): Promise<void> {
  let pids = await nsPids(ns)
  for (const pid of pids) signal(pid, 'SIGTERM')
  for (let i = 0; i < polls && pids.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    pids = await nsPids(ns)
  }
  for (const pid of pids) signal(pid, 'SIGKILL')
  await run('ip', ['netns', 'del', ns]).catch(() => undefined)
}

/**
 * Synchronous last resort for a process `exit` handler: KILLs what runs inside `ns` and
 * deletes it, best effort (errors ignored).
 */
export function deleteNamespaceSync(ns: string): void {
  try {
    for (const pid of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)) signal(Number(pid), 'SIGKILL')
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
  } catch {
    // best effort
  }
}

/**
 * Why network namespaces with nftables cannot be used here (one line), or `undefined` when
 * they can: Linux, each of `commands` ([command, Debian package]) on the PATH, then a probe
 * namespace `probe` is created, `check` run against it, and the namespace deleted.
 */
export async function namespacesUnavailable(commands: ReadonlyArray<readonly [string, string]>, probe: string, check: (ns: string) => Promise<unknown>): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  for (const [cmd, pkg] of commands) if (!hasCommand(cmd)) return `\`${cmd}\` not found (apt-get install ${pkg})`
  try {
    await run('ip', ['netns', 'add', probe])
    await check(probe)
  } catch (err) {
    return `cannot create a network namespace with nftables (root / CAP_NET_ADMIN+CAP_SYS_ADMIN needed): ${(err as Error).message.split('\n')[0]}`
  } finally {
    await run('ip', ['netns', 'del', probe]).catch(() => undefined)
  }
  return undefined
}
