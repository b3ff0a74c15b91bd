/**
 * The Bloom filter of a sync offer and its sizing math (DESIGN §4). The normative
 * description, with test vectors, is docs/bloom.md.
 */
export { BloomFilter, type BloomWire, MAX_BLOOM_BYTES, MAX_BLOOM_K, randomSalt } from './filter.js'
export { bloomIndexes, fmix32, ID_BYTES_USED, LANE2_SEED_XOR, LANE3_XOR } from './hash.js'
export { type BloomSize, bloomBitsPerItem, bloomCapacity, bloomFalsePositiveRate, bloomOptimalK, bloomSizeFor } from './sizing.js'
