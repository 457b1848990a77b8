/** The DynamoDB record of every abort run: statuses, fields, table schema, and how to read a record. */
import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';

export const ABORT_STATUSES = {
  RUNNING: 'the workflow is aborting and verifying the upload',
  ABORTED: 'ListParts proved the upload empty (no parts, or NoSuchUpload) after our abort',
  NOT_FOUND: 'the upload did not exist when the run began: already aborted or completed',
  PARTS_REMAIN: 'parts were still listed after the last allowed abort; the execution failed',
  FAILED: 'S3 refused (AccessDenied, NoSuchBucket, PreconditionFailed…) or the run was stopped; error and cause say why; the execution failed',
  WOULD_ABORT: 'a dry run (sweep --dry-run) measured the upload and aborted nothing',
  COMPLETED_BEFORE_DEADLINE: 'a deadline run found the upload completed in time; nothing was aborted',
  SKIPPED_CHANGED: 'a sweep applying a plan found the planned upload changed since the plan (a part added or replaced): left alone',
  SKIPPED_ACTIVE: 'the activity guard found a part newer than its window (lastPartAt): nothing was aborted; a later run may abort it',
  SKIPPED_UNREADABLE:
    'the activity guard could not list the parts (S3 refused ListParts: SSE-KMS without kms:Decrypt); nothing was aborted; the cause says what to grant',
} as const;
export type AbortStatus = keyof typeof ABORT_STATUSES;
export const TERMINAL_STATUSES: readonly AbortStatus[] = [
  'ABORTED',
  'NOT_FOUND',
  'PARTS_REMAIN',
  'FAILED',
  'WOULD_ABORT',
  'COMPLETED_BEFORE_DEADLINE',
  'SKIPPED_CHANGED',
  'SKIPPED_ACTIVE',
  'SKIPPED_UNREADABLE',
];
/** findings, not outcomes: a later real run owns the upload (it is still there) and replaces the record */
export const SKIPPED_STATUSES: readonly AbortStatus[] = ['SKIPPED_ACTIVE', 'SKIPPED_UNREADABLE', 'SKIPPED_CHANGED'];
/** statuses of a run that ended as it should */
export const SUCCESS_STATUSES: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND', 'WOULD_ABORT', 'COMPLETED_BEFORE_DEADLINE'];

export const SWEEP_STATUSES = {
  RUNNING: "sweeping its targets page by page; its counters are summed from the targets' checkpoints while it runs",
  COMPLETED: 'every selected upload was handled: ABORTED, NOT_FOUND or WOULD_ABORT, left to the run that held it (busy), or skipped as active (SKIPPED_ACTIVE)',
  COMPLETED_WITH_ERRORS: 'a target could not be listed (targetErrors), or some uploads ended PARTS_REMAIN, FAILED or SKIPPED_UNREADABLE',
  INCOMPLETE:
    'a target stopped before the end of its listing (maxUploads), or page executions failed (lostPages; what they aborted is recorded from their intent)',
  FAILED: 'the request was invalid, or the sweep execution failed or timed out; error and cause say why; counters rebuilt from its records',
  CANCELLED: 'cancelled (mpu-reaper sweep cancel, DELETE /sweeps/{id}); counters rebuilt from the upload records it wrote',
  STOPPED: 'its execution was stopped from outside (StopExecution, the console); counters rebuilt from the upload records it wrote',
} as const;
export type SweepStatus = keyof typeof SWEEP_STATUSES;
export const SWEEP_RECORD_TYPE = 'sweep';

export interface SweepRecord {
  id: string;
  recordType: typeof SWEEP_RECORD_TYPE;
  status: SweepStatus;
  executionArn: string;
  targets?: string;
  dryRun?: boolean;
  found?: number;
  aborted?: number;
  notFound?: number;
  partsRemain?: number;
  failed?: number;
  wouldAbort?: number;
  /** uploads the activity guard skipped: a recent part, or parts S3 would not list */
  skippedActive?: number;
  skippedUnreadable?: number;
  bytesFound?: number;
  /** uploads another run held (counted, left to it), parts measured, pages, uploads handed to abort-upload, failed page executions */
  busy?: number;
  partsFound?: number;
  bytesFreed?: number;
  listed?: number;
  pages?: number;
  handedOver?: number;
  lostPages?: number;
  /** whether each upload was measured with ListParts before its abort */
  measure?: boolean;
  targetErrors?: Array<{ bucket: string; error: string; cause: string }>;
  targetResults?: string;
  /** a sweep that applied a dry run's plan: the dry run's id ('' or absent otherwise), and the planned uploads it left as changed */
  planId?: string;
  skippedChanged?: number;
  /** a dry run whose plan was applied: the sweep that applied it, and when */
  appliedBy?: string;
  appliedAt?: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  cause?: string;
  expiresAt?: number;
  /** when a cancel was asked for; when the counters were last rebuilt from the records (an ended sweep's late pages rebuild them again) */
  cancelledAt?: string;
  talliedAt?: string;
}

/** every upload record carries recordType "upload" */
export const UPLOAD_RECORD_TYPE = 'upload';
/** newest first: upload records under `upload#NN` (NN their shard), sweeps under `sweep` */
export const INDEX_BY_STARTED_AT = 'byShardStartedAt';
/** upload records by status, newest first, under `STATUS#NN` */
export const INDEX_BY_STATUS = 'byStatusShard';
/** the sweeps' partition of the byShardStartedAt index: a few writes per sweep, one key is enough */
export const SWEEP_LIST_KEY = SWEEP_RECORD_TYPE;

/**
 * How many partition keys each index spreads upload records over. One key takes at most 1,000 write units a second
 * (DynamoDB Developer Guide, warm throughput), and a GSI that throttles fails the table's writes; 16 keys hold 5,000
 * record writes a second at 31 % of that. Reads query every shard and merge (lib/api/listing.ts). Changing it re-keys
 * the indexes: the records' listKey and statusKey must be rewritten (docs/record.md, migration).
 */
export const RECORD_INDEX_SHARDS = 16;

/** an upload record's shard, from its id: every writer of the record derives the same one */
export function indexShard(id: string): string {
  const shard = createHash('sha256').update(id, 'utf8').digest().readUInt32BE(0) % RECORD_INDEX_SHARDS;
  return String(shard).padStart(2, '0');
}

export const shardKeys = (prefix: string): string[] => Array.from({ length: RECORD_INDEX_SHARDS }, (_, i) => `${prefix}#${String(i).padStart(2, '0')}`);

/**
 * A sweep record's key in byStatusShard: `RUNNING#sweep` while it runs, so that the overlap check reads the running
 * sweeps alone (lib/sweep/overlap.ts); every writer of a sweep's status writes it with the status.
 */
export const sweepStatusKey = (status: string): string => `${status}#${SWEEP_RECORD_TYPE}`;

/** the byStatusShard key an upload record's status goes with: written with every status an upload record takes */
export const statusKey = (id: string, status: string): string => `${status}#${indexShard(id)}`;

/** the index keys an upload record is written with (its status may change later: statusKey goes with it) */
export function uploadIndexKeys(id: string, status: string): { listKey: string; statusKey: string } {
  return { listKey: `${UPLOAD_RECORD_TYPE}#${indexShard(id)}`, statusKey: statusKey(id, status) };
}

export interface AbortRecord {
  id: string;
  recordType: typeof UPLOAD_RECORD_TYPE;
  /** the index keys (uploadIndexKeys) */
  listKey?: string;
  statusKey?: string;
  bucket: string;
  key: string;
  uploadId: string;
  status: AbortStatus;
  attempts: number;
  partsFound?: number;
  bytesFound?: number;
  trigger: string;
  executionArn: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  cause?: string;
  /** absent when the stack keeps records (RecordRetentionSeconds 0) */
  expiresAt?: number;
  /** the sweep this run belongs to, and whether it was a dry run */
  sweepId?: string;
  dryRun?: boolean;
  /** the outcomes earlier runs recorded for this upload, oldest first, at most HISTORY_LIMIT */
  history?: HistoryEntry[];
  /** the newest part's LastModified, as the activity guard saw it (SKIPPED_ACTIVE, and any guarded run) */
  lastPartAt?: string;
  /** false: aborted, but ListParts could not prove it (S3 refused it); the cause says what to grant */
  verified?: boolean;
  /** the upload's storage class as S3 listed it, and the region of the writer (the report prices bytes freed by them) */
  storageClass?: string;
  region?: string;
  /** the ledger item this outcome was added to, by the transaction that wrote it (lib/ledger.ts): never added twice */
  countedIn?: string;
}

/** the region a record's writer runs in (the Lambda's AWS_REGION): the bucket's, since the stack only reaches its own region's buckets */
export const writerRegion = (): { region?: string } => (process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {});

/** The table as the local stack creates it; serverless.yml declares the same keys and indexes (a template test compares them). */
export function recordsTableDefinition(tableName: string): CreateTableCommandInput {
  const newestFirst = (name: string, partitionKey: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: 'startedAt', KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'listKey', AttributeType: 'S' },
      { AttributeName: 'statusKey', AttributeType: 'S' },
      { AttributeName: 'startedAt', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [newestFirst(INDEX_BY_STARTED_AT, 'listKey'), newestFirst(INDEX_BY_STATUS, 'statusKey')],
  };
}

/** A record as the API and the CLI show it: the state machine writes "" for "no error" and "no sweep"; readers drop it. */
export function presentRecord(item: Record<string, unknown>): AbortRecord {
  const record = { ...item } as Record<string, unknown>;
  for (const field of ['error', 'cause', 'sweepId']) if (record[field] === '') delete record[field];
  // the index keys are the table's layout, not the record's content
  delete record.listKey;
  delete record.statusKey;
  return record as unknown as AbortRecord;
}

export async function getRecord(doc: DynamoDBDocumentClient, tableName: string, id: string): Promise<AbortRecord | undefined> {
  const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
  return Item ? presentRecord(Item) : undefined;
}

/**
 * SETs the fields (those undefined are left out) on a record only while the given execution owns it (its executionArn):
 * a run's outcome and a sweep's summary never overwrite a record another run has taken over
 * (ConditionalCheckFailedException then).
 */
export async function updateOwnedRecord(
  doc: DynamoDBDocumentClient,
  tableName: string,
  id: string,
  executionArn: string,
  fields: Record<string, unknown>,
): Promise<void> {
  await doc.send(new UpdateCommand(ownedUpdate(tableName, id, executionArn, fields)));
}

/** updateOwnedRecord's UpdateItem (a transaction's item, too: lib/ledger.ts) */
export function ownedUpdate(tableName: string, id: string, executionArn: string, fields: Record<string, unknown>) {
  const set = Object.entries(fields).filter(([, value]) => value !== undefined);
  return {
    TableName: tableName,
    Key: { id },
    UpdateExpression: `SET ${set.map(([name]) => `#${name} = :${name}`).join(', ')}`,
    ConditionExpression: '#executionArn = :executionArn',
    ExpressionAttributeNames: { ...Object.fromEntries(set.map(([name]) => [`#${name}`, name])), '#executionArn': 'executionArn' } as Record<string, string>,
    ExpressionAttributeValues: { ...Object.fromEntries(set.map(([name, value]) => [`:${name}`, value])), ':executionArn': executionArn } as Record<
      string,
      unknown
    >,
  };
}

/** statuses that say the upload is gone: the only ones a CLI abort exits 0 on */
export const GONE_STATUSES: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND'];

/** An earlier run's outcome, kept on the record when a later run (a recheck, a real run after a dry run) takes it over. */
export interface HistoryEntry {
  status: string;
  partsFound?: number;
  bytesFound?: number;
  attempts?: number;
  finishedAt?: string;
  executionArn?: string;
  trigger?: string;
  error?: string;
  cause?: string;
  sweepId?: string;
  dryRun?: boolean;
}
/** the history a record keeps: the last ten outcomes (a record stays far below DynamoDB's 400 KB item limit) */
export const HISTORY_LIMIT = 10;
const HISTORY_FIELDS = [
  'status',
  'partsFound',
  'bytesFound',
  'attempts',
  'finishedAt',
  'executionArn',
  'trigger',
  'error',
  'cause',
  'sweepId',
  'dryRun',
] as const;

/**
 * The history of a record a new run takes over: its earlier history plus its own outcome (the newest last), the last
 * HISTORY_LIMIT kept. A record still RUNNING, or with no status, adds no entry (it has no outcome yet).
 */
export function historyAfter(previous: Record<string, unknown> | undefined): HistoryEntry[] {
  const earlier = Array.isArray(previous?.history) ? (previous.history as HistoryEntry[]) : [];
  if (!previous || previous.status === undefined || previous.status === 'RUNNING') return earlier.slice(-HISTORY_LIMIT);
  const entry = Object.fromEntries(
    HISTORY_FIELDS.flatMap((field) => (previous[field] === undefined || previous[field] === '' ? [] : [[field, previous[field]]])),
  );
  return [...earlier, entry as unknown as HistoryEntry].slice(-HISTORY_LIMIT);
}

/**
 * Whether a run may take over a finished record: a recheck always; any real run a dry run's WOULD_ABORT or a SKIPPED_*
 * record (findings, not outcomes: the upload was left in place). Any other finished record keeps its outcome
 * (at-least-once deliveries of an event cannot overwrite it).
 */
export function mayTakeOver(status: unknown, run: { recheck: boolean; dryRun: boolean }): boolean {
  return (
    status !== undefined &&
    status !== 'RUNNING' &&
    (run.recheck || ((status === 'WOULD_ABORT' || SKIPPED_STATUSES.includes(status as AbortStatus)) && !run.dryRun))
  );
}

/**
 * A record's TTL attribute: `expiresAt` (epoch seconds) `retentionSeconds` after `fromSeconds`; none when the
 * deployed RecordRetentionSeconds is 0 (keep: the table's TTL is off too, resources/records.yml).
 */
export function expiresAtField(fromSeconds: number, retentionSeconds: number): { expiresAt?: number } {
  return retentionSeconds === 0 ? {} : { expiresAt: Math.floor(fromSeconds) + retentionSeconds };
}

/** every item a Query answers, page after page */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const answer = (await doc.send(new QueryCommand({ ...input, ExclusiveStartKey }))) as QueryCommandOutput | undefined;
    items.push(...(answer?.Items ?? []));
    ExclusiveStartKey = answer?.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
