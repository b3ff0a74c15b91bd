/**
 * The preset overrides `sim` and `sweep` accept (`--name value`, or a sweep's `name=value`):
 * one row per override holds its argument name, its help line and its parser, and the usage
 * text, the parseArgs options and the parser are all made from the table.
 */
import { BloomwalkError } from '../errors.js'
import { presetNamed, withOverrides, type Overrides } from '../sim/presets.js'
import { PROTOCOLS, type Scenario } from '../sim/scenario.js'
import { MAX_DATAGRAM_BUDGET, MIN_DATAGRAM_BUDGET } from '../sync/config.js'
import { UsageError, choiceOption, numberOption } from './args.js'

interface Override {
  /** The value's placeholder in the usage text. */
  arg: string
  help: string
  /** Parses `raw` into `o`. @throws {UsageError} */
  apply: (o: Overrides, raw: string, name: string) => void
}

const onOff = (name: string, raw: string): boolean => choiceOption(name, raw, ['on', 'off'] as const, 'on') === 'on'

const TABLE = {
  nodes: { arg: 'N', help: 'peers (mailserver and trackers not counted)', apply: (o, raw, n) => (o.nodes = numberOption(n, raw, 0, { integer: true, min: 2, max: 100_000 })) },
  messages: { arg: 'M', help: 'messages published during the run', apply: (o, raw, n) => (o.messages = numberOption(n, raw, 0, { integer: true, min: 1, max: 10_000_000 })) },
  protocol: { arg: 'P', help: PROTOCOLS.join(', '), apply: (o, raw, n) => (o.protocol = choiceOption(n, raw, PROTOCOLS, 'bloom')) },
  strategy: { arg: 'S', help: 'bloom range selection: largest, modulo, adaptive', apply: (o, raw, n) => (o.strategy = choiceOption(n, raw, ['largest', 'modulo', 'adaptive'] as const, 'largest')) },
  online: { arg: 'F', help: 'long-run online share of each peer, (0, 1] (1 = no churn)', apply: (o, raw, n) => (o.online = numberOption(n, raw, 1, { min: 0.001, max: 1 })) },
  session: { arg: 'SEC', help: '(mean) online session length, seconds', apply: (o, raw, n) => (o.session = numberOption(n, raw, 0, { min: 0.001 })) },
  'churn-mode': { arg: 'M', help: 'restart (the app is killed and reopened) or offline (the network drops)', apply: (o, raw, n) => (o.churnMode = choiceOption(n, raw, ['restart', 'offline'] as const, 'restart')) },
  loss: { arg: 'P', help: 'datagram loss probability', apply: (o, raw, n) => (o.loss = numberOption(n, raw, 0, { min: 0, max: 1 })) },
  budget: { arg: 'BYTES', help: `UDP payload budget per datagram, ${MIN_DATAGRAM_BUDGET}–${MAX_DATAGRAM_BUDGET}`, apply: (o, raw, n) => (o.budget = numberOption(n, raw, 0, { integer: true, min: MIN_DATAGRAM_BUDGET, max: MAX_DATAGRAM_BUDGET })) },
  fpr: { arg: 'RATE', help: 'Bloom filter false-positive rate', apply: (o, raw, n) => (o.fpr = numberOption(n, raw, 0, { min: 1e-9, max: 0.5 })) },
  'catch-up': { arg: 'on|off', help: 'bloom: coded-symbol catch-up and idle checks (DESIGN §11)', apply: (o, raw, n) => (o.catchUp = onOff(n, raw)) },
  'bloom-ack': { arg: 'on|off', help: "mvds: members also walk the group with Bloom offers, and a member's offer acknowledges what it holds (Enhancement 3)", apply: (o, raw, n) => (o.bloomAck = onOff(n, raw)) },
  'heard-within': { arg: 'EPOCHS', help: 'mvds with --bloom-ack on: retransmit only to members heard from within this many epochs (0: blindly, as the spec)', apply: (o, raw, n) => (o.heardWithin = numberOption(n, raw, 0, { integer: true, min: 0, max: 1_000_000 })) },
  attackers: { arg: 'F', help: "bloom: Sybil attackers' share of all nodes, [0, 0.9] (docs/security.md)", apply: (o, raw, n) => (o.attackers = numberOption(n, raw, 0, { min: 0, max: 0.9 })) },
  trusted: { arg: 'on|off', help: 'bloom: peers trust the trackers and trusted peers (off: a bootstrap only)', apply: (o, raw, n) => (o.trusted = onOff(n, raw)) },
  'trusted-peers': { arg: 'N', help: 'bloom: honest peers every peer trusts beside the trackers', apply: (o, raw, n) => (o.trustedPeers = numberOption(n, raw, 0, { integer: true, min: 0, max: 100_000 })) },
  'attack-ports': { arg: 'N', help: 'ports per attacker host (default 16)', apply: (o, raw, n) => (o.attackPorts = numberOption(n, raw, 0, { integer: true, min: 1, max: 1024 })) },
  'attack-rate': { arg: 'R', help: 'introduction-requests per second per attacker host (default 1)', apply: (o, raw, n) => (o.attackRate = numberOption(n, raw, 0, { min: 0, max: 1000 })) },
  spammers: { arg: 'F', help: "bloom: spammers' share of all nodes, [0, 0.9]; 0 runs the same room without them (docs/security.md)", apply: (o, raw, n) => (o.spammers = numberOption(n, raw, 0, { min: 0, max: 0.9 })) },
  'spam-bits': { arg: 'B', help: "bloom: leading zero bits of the identity cost a spammer pays per identity, in virtual time (default 20; a spam preset's room, as --spammers)", apply: (o, raw, n) => (o.spamBits = numberOption(n, raw, 0, { integer: true, min: 0, max: 40 })) },
  'identity-epoch': { arg: 'E', help: "bloom: the room's identity epoch in global-time units, a proof lasting one epoch (0: once per key; a spam preset's room, as --spammers)", apply: (o, raw, n) => (o.identityEpoch = numberOption(n, raw, 0, { integer: true, min: 0, max: 1_000_000_000 })) },
  'attack-kind': { arg: 'silent|adaptive', help: 'bloom: attackers that forward nothing, or that are validated, leak old bundles and answer idle checks in sync (docs/security.md)', apply: (o, raw, n) => (o.attackKind = choiceOption(n, raw, ['silent', 'adaptive'] as const, 'silent')) },
  'attack-claim': { arg: 'in-sync|zero', help: "attackers answer walks with the walker's global time or 0", apply: (o, raw, n) => (o.attackClaimsInSync = choiceOption(n, raw, ['in-sync', 'zero'] as const, 'in-sync') === 'in-sync') },
  push: { arg: 'on|off', help: 'bloom: push on publish and forwarding of fresh bundles (off: the Bloom walk alone)', apply: (o, raw, n) => (o.push = onOff(n, raw)) },
  'push-fanout': { arg: 'N', help: 'bloom: validated candidates a published bundle is pushed to (F)', apply: (o, raw, n) => (o.pushFanout = numberOption(n, raw, 0, { integer: true, min: 0, max: 1000 })) },
  'push-forward': { arg: 'N', help: "bloom: candidates a fresh pushed bundle is forwarded to (F')", apply: (o, raw, n) => (o.pushForward = numberOption(n, raw, 0, { integer: true, min: 0, max: 1000 })) },
  'push-announce': { arg: 'N', help: 'bloom: candidates a fresh bundle\'s id is announced to besides the forward targets (IHAVE)', apply: (o, raw, n) => (o.pushAnnounce = numberOption(n, raw, 0, { integer: true, min: 0, max: 1000 })) },
  'push-hops': { arg: 'N', help: 'bloom: hop limit of a push on publish (at most 16)', apply: (o, raw, n) => (o.pushHops = numberOption(n, raw, 0, { integer: true, min: 0, max: 16 })) },
  'push-busy': { arg: 'N', help: 'bloom: new bundles a second above which a node spreads none further (the walk carries them; default 4)', apply: (o, raw, n) => (o.pushBusy = numberOption(n, raw, 0, { integer: true, min: 0, max: 1000 })) },
  'push-busy-authors': { arg: 'N', help: 'bloom: in a busy room, bundles a second still spread, one per author per 30 s (default 0: none)', apply: (o, raw, n) => (o.pushBusyAuthors = numberOption(n, raw, 0, { integer: true, min: 0, max: 1000 })) },
  'push-fresh': { arg: 'N', help: 'bloom: freshness window, global-time units', apply: (o, raw, n) => (o.pushFresh = numberOption(n, raw, 0, { integer: true, min: 0, max: 1000 })) },
  'response-budget': { arg: 'BYTES', help: 'bloom: bytes of bundles answered per offer (default 5120, Dispersy\'s)', apply: (o, raw, n) => (o.responseBudget = numberOption(n, raw, 0, { integer: true, min: 1, max: 10_000_000 })) },
  step: { arg: 'MS', help: 'walk step interval, ms (default 5000); the walk eligibility delay scales with it', apply: (o, raw, n) => (o.stepIntervalMs = numberOption(n, raw, 0, { integer: true, min: 10, max: 3_600_000 })) },
  reuse: { arg: 'N', help: 'bloom: times a filter that got answers is sent again (default 100, Dispersy\'s)', apply: (o, raw, n) => (o.reuseLimit = numberOption(n, raw, 0, { integer: true, min: 0, max: 1_000_000 })) },
  'skip-curve': { arg: 'on|off', help: 'bloom: skip offers after idle steps (Dispersy\'s curve) or offer on every step', apply: (o, raw, n) => (o.skipCurve = onOff(n, raw)) },
  k: { arg: 'K', help: 'bloom: probes per id, 1–32, instead of the optimum (the capacity at the rate follows)', apply: (o, raw, n) => (o.hashFunctions = numberOption(n, raw, 0, { integer: true, min: 1, max: 32 })) },
  duration: { arg: 'SEC', help: 'virtual time limit, seconds', apply: (o, raw, n) => (o.duration = numberOption(n, raw, 0, { min: 0.001 })) }
} satisfies Record<string, Override>

export type OverrideName = keyof typeof TABLE

const NAMES = Object.keys(TABLE) as OverrideName[]

/** The usage lines of the overrides, for `sim` and `sweep`. */
export const OVERRIDE_USAGE = NAMES.map((name) => {
  const head = `  --${name} ${TABLE[name].arg}`
  return `${head.length <= 17 ? head.padEnd(19) : `${head}  `}${TABLE[name].help}`
}).join('\n')

/** parseArgs options of the overrides. */
export const OVERRIDE_OPTIONS = Object.fromEntries(NAMES.map((name) => [name, { type: 'string' }])) as Record<OverrideName, { type: 'string' }>

/** Parses one override by name (`--name value` or a sweep's `name=value`). @throws {UsageError} */
export function parseOverride(o: Overrides, name: string, raw: string): void {
  if (!Object.hasOwn(TABLE, name)) throw new UsageError(`unknown parameter "${name}"; one of ${NAMES.join(', ')}`)
  TABLE[name as OverrideName].apply(o, raw, name)
}

/** The overrides given as `--name value` options. */
export function overridesFrom(values: Partial<Record<OverrideName, string>>): Overrides {
  const o: Overrides = {}
  for (const name of NAMES) {
    const raw = values[name]
    if (raw !== undefined) parseOverride(o, name, raw)
  }
  return o
}

/**
 * The preset `name` with `o` applied and checked: an unknown preset or a combination the
 * scenario rejects (an MVDS protocol on a preset with NATs, more trusted peers than peers, …)
 * is a command-line mistake. @throws {UsageError}
 */
export function scenarioFrom(name: string, o: Overrides): Scenario {
  try {
    return withOverrides(presetNamed(name), o)
  } catch (e) {
    if (e instanceof BloomwalkError && e.code === 'INVALID_ARGUMENT') throw new UsageError(e.message)
    throw e
  }
}
