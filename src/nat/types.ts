/**
 * Shared NAT vocabulary.
 */

/**
 * How reachable a node is, as learned from WAN-address votes (DESIGN §6) and carried in
 * introduction messages:
 * - `public`: every voter sees us at our LAN address (no NAT in the way);
 * - `symmetric-NAT`: voters on different IPs see us at different addresses (a new mapping
 *   per destination), so an address learned from one peer is useless to another;
 * - `unknown`: anything else, including "behind a NAT that keeps one mapping", which hole
 *   punching handles.
 */
import type { ConnectionType } from '../wire/packets/types.js'

export type { ConnectionType }

/** Every {@link ConnectionType}, for validation and exhaustive tests. */
export const CONNECTION_TYPES: readonly ConnectionType[] = ['public', 'symmetric-NAT', 'unknown']
