import { MemoryStore } from '../../src/store/index.js'
import { runStoreConformance } from './conformance.js'

runStoreConformance('MemoryStore', async () => new MemoryStore())
