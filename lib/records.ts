/** The DynamoDB record of every abort run: statuses, fields, table schema, and how to read a record. */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const ABORT_STATUSES = {
  RUNNING: 'the workflow is aborting and verifying the upload',
  ABORTED: 'ListParts proved the upload empty (no parts, or NoSuchUpload) after our abort',
  NOT_FOUND: 'the upload did not exist when the run began: already aborted or completed',
  PARTS_REMAIN: 'parts were still listed after the last allowed abort; the execution failed',
  FAILED: 'S3 refused (AccessDenied, NoSuchBucket, PreconditionFailed…) or the run was stopped; error and cause say why; the execution failed',
  WOULD_ABORT: 'a dry run (sweep --dry-run) measured the upload and aborted nothing',
  COMPLETED_BEFORE_DEADLINE: 'a deadline run found the upload completed in time; nothing was aborted',
} as const;
export type AbortStatus = keyof typeof ABORT_STATUSES;
export const TERMINAL_STATUSES: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND', 'PARTS_REMAIN', 'FAILED', 'WOULD_ABORT', 'COMPLETED_BEFORE_DEADLINE'];
/** statuses of a run that ended as it should */
export const SUCCESS_STATUSES: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND', 'WOULD_ABORT', 'COMPLETED_BEFORE_DEADLINE'];

export const SWEEP_STATUSES = {
  RUNNING: "sweeping its targets page by page; its counters are summed from the targets' checkpoints while it runs",
  COMPLETED: 'every selected upload was handled: ABORTED, NOT_FOUND or WOULD_ABORT, or left to the run that held it (busy)',
  COMPLETED_WITH_ERRORS: 'a target could not be listed (targetErrors), or some uploads ended PARTS_REMAIN or FAILED',
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
  startedAt: string;
  finishedAt?: string;
  error?: string;
  cause?: string;
  expiresAt?: number;
  /** when a cancel was asked for; when the counters were last rebuilt from the records (an ended sweep's late pages rebuild them again) */
  cancelledAt?: string;
  talliedAt?: string;
}

/** every upload record carries recordType "upload": the partition key of the byStartedAt index (newest first) */
export const UPLOAD_RECORD_TYPE = 'upload';
export const INDEX_BY_STARTED_AT = 'byStartedAt';
export const INDEX_BY_STATUS = 'byStatus';

export interface AbortRecord {
  id: string;
  recordType: typeof UPLOAD_RECORD_TYPE;
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
  expiresAt: number;
  /** the sweep this run belongs to, and whether it was a dry run */
  sweepId?: string;
  dryRun?: boolean;
}

/** The table as the local stack creates it; serverless.yml declares the same keys and indexes (a template test compares them). */
export function recordsTableDefinition(tableName: string): CreateTableCommandInput {
  const byStartedAt = (name: string, partitionKey: string) => ({
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
      { AttributeName: 'recordType', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'startedAt', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [byStartedAt(INDEX_BY_STARTED_AT, 'recordType'), byStartedAt(INDEX_BY_STATUS, 'status')],
  };
}

/** A record as the API and the CLI show it: the state machine writes "" for "no error" and "no sweep"; readers drop it. */
export function presentRecord(item: Record<string, unknown>): AbortRecord {
  const record = { ...item } as Record<string, unknown>;
  for (const field of ['error', 'cause', 'sweepId']) if (record[field] === '') delete record[field];
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
  const set = Object.entries(fields).filter(([, value]) => value !== undefined);
  await doc.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { id },
      UpdateExpression: `SET ${set.map(([name]) => `#${name} = :${name}`).join(', ')}`,
      ConditionExpression: '#executionArn = :executionArn',
      ExpressionAttributeNames: { ...Object.fromEntries(set.map(([name]) => [`#${name}`, name])), '#executionArn': 'executionArn' },
      ExpressionAttributeValues: { ...Object.fromEntries(set.map(([name, value]) => [`:${name}`, value])), ':executionArn': executionArn },
    }),
  );
}
