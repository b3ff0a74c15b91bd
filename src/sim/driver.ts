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
  /** Stops every node. */
  stop(): Promise<void>
}

/** An old overlay history to put into the stores before the start (./history.ts). */
export interface Preload {
  bundles: readonly Bundle[]
  missing: (peer: number) => ReadonlySet<number>
}

/** Builds the driver of a scenario. */
export type DriverFactory = (world: SimWorld) => Driver
