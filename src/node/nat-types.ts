/** Connection types between the wire's spelling and the NAT module's. */
import type { ConnectionType as NatType } from '../nat/index.js'
import type { ConnectionType as WireType } from '../wire/index.js'

export function natType(t: WireType): NatType {
  return t === 'symmetric-nat' ? 'symmetric-NAT' : t
}

export function toWireType(t: NatType): WireType {
  return t === 'symmetric-NAT' ? 'symmetric-nat' : t
}
