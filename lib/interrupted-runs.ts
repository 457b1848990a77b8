/**
 * A run stopped from outside (StopExecution, a timeout) never reaches its own "Record outcome" state; this marks
 * its record FAILED so that no upload, and no sweep, stays RUNNING forever. Fed by the EventBridge rule on Step
 * Functions' "Execution Status Change" events (ABORTED, TIMED_OUT, FAILED) of abort-upload and sweep-uploads.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { expiresAtField, statusKey, UPLOAD_RECORD_TYPE, uploadIndexKeys, type AbortRecord } from './records.ts';
import { endInterruptedSweep, type SweepMachines } from './sweep/cancel.ts';
import { tallySweep } from './sweep/tally.ts';
import { classifyTaskError } from './task-errors.ts';
import { recordId } from './record-id.ts';

export interface ExecutionStatusChange {
  executionArn: string;
  status: string;
  /** for FAILED: the execution's error and cause */
  error?: string | null;
  cause?: string | null;
  input?: string | null;
  startDate?: number | null;
  stopDate?: number | null;
}

type Outcome = 'recorded' | 'not-running' | 'no-upload';

export interface InterruptedRunDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** the deployed RecordRetentionSeconds (RECORD_RETENTION_SECONDS): the expiresAt of a record it creates */
  retentionSeconds: number;
  /** to stop the executions of a sweep that was stopped or cancelled (none: they are left to end) */
  sfn?: SFNClient;
  machines?: SweepMachines;
  /** to reconcile the intents of a stopped sweep's lanes */
  s3?: S3Client;
  intentsBucket?: string;
}

/**
 * Marks the run's record FAILED. An abort run whose claim never landed (DynamoDB refused it through every retry) has no
 * record yet: one is created, so that every upload a run was started for ends with a terminal record. A sweep's record
 * is only updated while that sweep owns it. Inputs the first state refused (InvalidRequest) name no valid upload: no
 * record.
 */
export async function recordInterruptedRun(deps: InterruptedRunDeps, detail: ExecutionStatusChange): Promise<Outcome> {
  let input: { request?: { bucket?: unknown; key?: unknown; uploadId?: unknown }; trigger?: unknown; targets?: unknown } = {};
  try {
    input = JSON.parse(detail.input ?? '{}');
  } catch {
    /* an input that is not JSON names no upload */
  }
  const { bucket, key, uploadId } = input.request ?? {};
  const error =
    detail.status === 'TIMED_OUT'
      ? 'States.Timeout'
      : detail.status === 'FAILED'
        ? classifyTaskError({ Error: detail.error || 'States.ExecutionFailed', Cause: detail.cause ?? '' }).code
        : 'States.ExecutionAborted';
  const failed = {
    ':failed': 'FAILED',
    ':running': 'RUNNING',
    ':error': error,
    ':executionArn': detail.executionArn,
    ':cause': `The execution ended ${detail.status}${detail.status === 'FAILED' && detail.cause ? ` (${detail.cause})` : ''} before it could record an outcome; parts may remain: run a recheck.`,
    ':finishedAt': new Date(detail.stopDate ?? Date.now()).toISOString(),
  };
  const names = { '#status': 'status', '#error': 'error', '#cause': 'cause', '#finishedAt': 'finishedAt', '#executionArn': 'executionArn' };
  const set = 'SET #status = :failed, #error = :error, #cause = :cause, #finishedAt = :finishedAt';
  let update: Omit<UpdateCommandInput, 'TableName'>;
  if (typeof bucket === 'string' && typeof key === 'string' && typeof uploadId === 'string') {
    if (detail.error === 'InvalidRequest') return 'no-upload';
    const started = new Date(detail.startDate ?? detail.stopDate ?? Date.now());
    const id = recordId(bucket, key, uploadId);
    const created = {
      recordType: UPLOAD_RECORD_TYPE,
      listKey: uploadIndexKeys(id, 'FAILED').listKey,
      bucket,
      key,
      uploadId,
      attempts: 0,
      trigger: typeof input.trigger === 'string' ? input.trigger : 'direct',
      startedAt: started.toISOString(),
      ...expiresAtField(started.getTime() / 1000, deps.retentionSeconds),
    };
    update = {
      Key: { id },
      UpdateExpression: `${set}, #statusKey = :statusKey, #executionArn = :executionArn, ${Object.keys(created)
        .map((f) => `#${f} = if_not_exists(#${f}, :${f})`)
        .join(', ')}`,
      ConditionExpression: '(#executionArn = :executionArn AND #status = :running) OR attribute_not_exists(id)',
      ExpressionAttributeNames: { ...names, '#statusKey': 'statusKey', ...Object.fromEntries(Object.keys(created).map((f) => [`#${f}`, f])) },
      ExpressionAttributeValues: {
        ...failed,
        ':statusKey': statusKey(id, 'FAILED'),
        ...Object.fromEntries(Object.entries(created).map(([f, v]) => [`:${f}`, v])),
      },
    };
  } else if (Array.isArray(input.targets) && detail.executionArn.includes(':execution:')) {
    return endInterruptedSweep(deps, { executionArn: detail.executionArn, status: detail.status, error, cause: failed[':cause'] });
  } else {
    return 'no-upload';
  }
  try {
    const { Attributes } = await deps.doc.send(new UpdateCommand({ TableName: deps.tableName, ...update, ReturnValues: 'ALL_NEW' }));
    // a hand-over stopped with its sweep: the sweep's counters count this record too
    const record = Attributes as AbortRecord | undefined;
    if (record?.sweepId) await tallySweep(deps, record.sweepId, [record]);
    return 'recorded';
  } catch (e) {
    if ((e as Error).name === 'ConditionalCheckFailedException') return 'not-running';
    throw e;
  }
}
