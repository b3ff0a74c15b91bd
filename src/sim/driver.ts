/**
 * A protocol driver: how the simulator runs one sync protocol's real node code on the
 * simulated world. The runner (./run.ts) owns time, churn, publication and metrics; the
 * driver owns the nodes. Drivers are picked by the scenario's `protocol`.
 */
import type { TrafficCounters } from '../node/index.js'
import type { Bundle } from '../bundle/types.js'
import type { HostTraffic, SimWorld } from './world.js'

/** A message published through a driver. */
export interface Published {
  /** Names the message in delivery reports (the bundle id in hex). */
  key: string
  /** Encoded size of what one receiver must get at least (the bundle). */
  bytes: number
}

export interface Driver {
  /**
   * Builds infrastructure and every peer (peers offline until {@link Driver.setOnline}).
   * With a history (built by the callback once every host exists), every peer's store holds
   * every history bundle but those `missing(peer)` lists (indexes into `bundles`) before any
   * node starts; a driver that cannot preload one throws.
   */
  setup(history?: () => Preload): Promise<void>
  /** The overlay (room) id the driver's peers share; history bundles are signed into it. */
  readonly overlay: Uint8Array
  /** Publishes a message body from an online peer. */
  publish(peer: number, body: Uint8Array): Promise<Published>
  /** Takes a peer off the network or brings it back. */
  setOnline(peer: number, online: boolean): Promise<void>
  /** Datagrams and bytes sent by packet type, every host, excluding sends made while offline. */
  traffic(): Record<string, TrafficCounters>
  /** Every bound host, for traffic totals. */
  hosts(): HostTraffic[]
  /** Driver-specific figures for the report (drops by reason, NAT, mailserver, …). */
  extra(): Record<string, unknown>
  /** Scenarios with a room policy: what the running peers retain at the end (bloom driver). */
  retention?(): Promise<RetentionFigures>
  /** Scenarios with spammers: what the spam cost the honest peers (bloom driver). */
  spam?(): Promise<SpamFigures>
  /** Stops every node. */
  stop(): Promise<void>
}

/** What the running peers of a scenario with a room policy retain at its end. */
export interface RetentionFigures {
  /** Running peers whose stores were compared. */
  peersCompared: number
  /** Every compared peer holds exactly the same bundles. */
  identical: boolean
  /** Different retained sets among them (1 when identical). */
  distinctSets: number
  retainedMin: number
  retainedMax: number
  /** Largest (newest − oldest) global time among the bundles one peer retains: at most the policy's `pruned`. */
  globalTimeSpan: number
  /** Most bundles any running peer held when a message was published. */
  peakStored: number
  /** Bundles peers received and refused by the policy (pruned or over quota/history), all peers together. */
  refusedByPolicy: number
  /** Their bytes (count × the scenario's bundle size). */
  refusedBytes: number
}

/** What spammers did and what it cost the honest peers (./spammers.ts); means are over the honest peers. */
export interface SpamFigures {
  spammers: number
  /** Identities the spammers minted, and the virtual ms each cost. */
  identities: number
  identityMs: number
  /** Spam bundles the spammers published (their nodes stored them). */
  published: number
  /** Spam bundles a peer holding everything published would keep under the room's policy at the end: the most the policy allows a peer to store. */
  policyBound: number
  /** Honest peers compared (running at the end). */
  honestPeers: number
  /** Bytes sent per honest peer (mean). */
  sentBytesPerHonestPeer: number
  /** Bytes of bundles an honest peer stores at the end (mean). */
  storedBytesPerHonestPeer: number
  /** Spam bundles an honest peer stores at the end: mean and max. */
  spamStoredMean: number
  spamStoredMax: number
  /** Spam an honest peer sent to others in bundles and push datagrams (mean): bundles and bytes. */
  spamForwardedPerHonestPeer: number
  spamForwardedBytesPerHonestPeer: number
  /** The same room without spammers (same seed), when the run was compared with one. */
  versusNoSpam: SpamComparison | null
}

/** A spam run beside the same scenario and seed without spammers. */
export interface SpamComparison {
  delivery: { spam: number; noSpam: number }
  /** Per (message, receiver) latency P90 of honest messages, ms, and spam ÷ no spam. */
  p90Ms: { spam: number; noSpam: number; ratio: number }
  sentBytesPerHonestPeer: { spam: number; noSpam: number; ratio: number }
  storedBytesPerHonestPeer: { spam: number; noSpam: number; ratio: number }
}

/** An old overlay history to put into the stores before the start (./history.ts). */
export interface Preload {
  bundles: readonly Bundle[]
  missing: (peer: number) => ReadonlySet<number>
}

/** Builds the driver of a scenario. */
export type DriverFactory = (world: SimWorld) => Driver
