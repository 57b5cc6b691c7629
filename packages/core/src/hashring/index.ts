export {
  DEFAULT_HASH,
  DEFAULT_PARTITIONS,
  HashRing,
  nodeNameOf,
  type GetNodesOptions,
  type HashRingOptions,
  type RingNode,
} from './hash-ring.js';
export {
  Partitioner,
  weightOf,
  type MembersForOptions,
  type PartitionerOptions,
  type ToozHashable,
} from './partitioner.js';
