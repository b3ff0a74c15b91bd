/** The simulator's interned store passes the one BundleStore conformance suite. */
import { BundleTable, InternedStore } from '../../src/sim/interned-store.js'
import { runStoreConformance } from '../store/conformance.js'

runStoreConformance('InternedStore (fresh table)', async () => new InternedStore(new BundleTable()))

// Two stores over one table: what one holds must never leak into the other.
const shared = new BundleTable()
const neighbour = new InternedStore(shared)
runStoreConformance('InternedStore (shared table)', async () => {
  await neighbour.open()
  return new InternedStore(shared)
})
