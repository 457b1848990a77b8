/**
 * The AWS limits a sweep runs into, the share of each the model may plan for, and the records table's layout as the
 * model sees it: one place for the time model (model.ts) and the quota table (quotas.ts).
 */
import { RECORD_INDEX_SHARDS } from '../../lib/records.ts';

/** the highest share of a limit the model may plan for: room for the user's own traffic and for bursts */
export const MAX_SHARE = 0.7;

/** The records table's layout, as the model sees it: how many index partition keys the upload records spread over. */
export interface RecordLayout {
  /** distinct partition-key values the byShardStartedAt index writes an upload record under (1 = recordType "upload" alone) */
  startedAtKeys: number;
  /** distinct partition-key values per status in the byStatusShard index (1 = the status alone: nearly every record is ABORTED) */
  statusKeys: number;
}

export const AWS_LIMITS = {
  s3DeletePerPrefix: 3500,
  s3GetPerPrefix: 5500,
  dynamoWritesPerPartition: 1000,
  /** a new on-demand table's (and each new GSI's) warm write throughput before it scales (DynamoDB Developer Guide, warm throughput) */
  dynamoOnDemandTableWrites: 4000,
  /** the archived Standard quotas page gives 1,500 refill (bucket 5,000); later pages give more: the lower is modelled */
  standardStateTransitions: 1500,
  standardStartExecution: 300,
  standardStartExecutionBucket: 1300,
  expressStartExecution: 6000,
  lambdaConcurrency: 1000,
  lambdaInvocationsPerSecond: 10_000,
  /** CloudWatch embedded metric format: at most 100 metrics in one log event (CloudWatch User Guide, EMF specification) */
  emfMetricsPerEvent: 100,
} as const;

/** indexes keyed by a value nearly every upload record shares (recordType "upload", status "ABORTED"): the layout before sharding */
export const UNSHARDED: RecordLayout = { startedAtKeys: 1, statusKeys: 1 };
/** the records table as deployed: each index spreads upload records over RECORD_INDEX_SHARDS keys (lib/records.ts) */
export const DEPLOYED_LAYOUT: RecordLayout = { startedAtKeys: RECORD_INDEX_SHARDS, statusKeys: RECORD_INDEX_SHARDS };
