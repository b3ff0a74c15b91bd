/** The anti-amplification charge of a send (the guard is ./amplification.ts). */

/**
 * How a send is charged to the anti-amplification guard (every send is):
 * - 'destination': a reply — at most 3× what the destination sent us until it validates;
 * - 'probe': contact we start (a walk to an unvalidated address, walker.ts) — 3×, or else the
 *   destination's one first-contact probe (only while it has sent us nothing);
 * - 'vouched-probe': a walk to an unvalidated address that a validated peer introduced (or
 *   that punctured us with the identifier we gave that peer) — 3×, or else one first-contact
 *   probe per interval even when it has sent us something (its puncture, say, after our
 *   earlier probes were dropped by its NAT);
 * - `{ probe: true, also: key }`: a probe that a third party asked for (a puncture): charged
 *   to the destination as a probe and to the asker's 3× budget as well;
 * - 'initiated': a walk to a validated address or to one the operator configured (trusted):
 *   counted as sent to the destination, never refused.
 */
export type Charge = 'destination' | 'probe' | 'vouched-probe' | 'initiated' | { probe: true; also: string }
