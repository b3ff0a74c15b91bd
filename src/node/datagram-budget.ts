/**
 * A budget of datagrams and bytes per source, checked before a datagram is decoded (DESIGN
 * §14, issue 20; docs/security.md). A flood of well-formed datagrams that cost no signature
 * check — introduction-requests, bundle-requests, bundles already held, symbols — is still
 * decoded (bundle ids hashed, filters parsed) unless something stops it before the decoder;
 * this does, at the cheap check stage: over budget is a counted drop (`source-datagram-budget`,
 * `source-bytes-budget`), no decode, no handler, no answer.
 *
 * The source is the one the intake budgets use: the port when it proved useful (it once
 * brought bundles we did not hold, `sourceOf` in ./intake.ts), else its host (an IPv4
 * address, an IPv6 /64). So peers sharing one address share one budget until each proves
 * useful, and a flooder's ports share its host's. Token buckets on the injected clock,
 * bounded (least recently used forgotten first, ./rate-table.ts).
 */
import { RateTable } from './rate-table.js'

/** Per-second rates of one source's datagram budget. */
export interface DatagramRates {
  /** Datagrams per second. */
  datagrams: number
  /** Datagram bytes per second. */
  bytes: number
}

/**
 * Per source: 100 datagrams and 128 KiB a second, a 2-second burst. An honest peer sends us a
 * walk every 5 s, at most four response budgets (≈ 20 datagrams) answering one request, a
 * few pushes a second while a room is busy; a flood from one source is decoded at most at
 * this rate (1/30 of it at 3 000 datagrams a second).
 */
export const DEFAULT_DATAGRAM_RATES: Readonly<DatagramRates> = Object.freeze({ datagrams: 100, bytes: 128 * 1024 })

/** Why {@link DatagramBudget.admit} refused a datagram (the drop reason). */
export type DatagramRefusal = 'source-datagram-budget' | 'source-bytes-budget'

export class DatagramBudget {
  readonly #table: RateTable<keyof DatagramRates>

  /** `rates` per source, `burstSeconds` of them held, at most `maxSources` remembered. */
  constructor(rates: Partial<DatagramRates> = {}, burstSeconds = 2, maxSources = 4096) {
    this.#table = new RateTable<keyof DatagramRates>({ ...DEFAULT_DATAGRAM_RATES, ...rates }, burstSeconds, maxSources)
  }

  /** Before decoding a datagram of `bytes` bytes from source `source`: charges it, or says why not (charging nothing). */
  admit(source: string, bytes: number, now: number): DatagramRefusal | undefined {
    const t = this.#table.get(source, now)
    if (t.datagrams < 1) return 'source-datagram-budget'
    if (t.bytes < bytes) return 'source-bytes-budget'
    t.datagrams -= 1
    t.bytes -= bytes
    return undefined
  }

  /** Sources remembered. */
  get size(): number {
    return this.#table.size
  }
}
