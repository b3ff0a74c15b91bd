/**
 * Causal delivery (DESIGN §8): bundles reach the application only after all their parents,
 * in a canonical topological order with ties broken by (global time, id). See docs/causal.md.
 */
export { CausalBuffer, type CausalBufferInit, type CausalRelease, type CausalOfferResult, type CausalStats } from './buffer.js'
export { type CausalItem, causalOrder, compareCausal } from './order.js'
export { MinHeap } from '../min-heap.js'
