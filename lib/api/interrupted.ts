/**
 * A run stopped from outside (StopExecution, a timeout) never reaches its own "Record outcome" state; this marks
 * its record FAILED so that no upload, and no sweep, stays RUNNING forever. Fed by the EventBridge rule on Step
 * Functions' "Execution Status Change" events (ABORTED, TIMED_OUT, FAILED) of abort-upload and sweep-uploads.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordId } from '../record-id.ts';

export interface ExecutionStatusChange {
  executionArn: string;
  status: string;
  /** for FAILED: the execution's error and cause */
  error?: string | null;
  cause?: string | null;
  input?: string | null;
  stopDate?: number | null;
}

export async function recordInterruptedRun(deps: { doc: DynamoDBDocumentClient; tableName: string }, detail: ExecutionStatusChange): Promise<'recorded' | 'not-running' | 'no-upload'> {
  let input: { request?: { bucket?: unknown; key?: unknown; uploadId?: unknown }; targets?: unknown } = {};
  try {
    input = JSON.parse(detail.input ?? '{}');
  } catch { /* an input that is not JSON names no upload */ }
  let id: string;
  const { bucket, key, uploadId } = input.request ?? {};
  if (typeof bucket === 'string' && typeof key === 'string' && typeof uploadId === 'string') {
    id = recordId(bucket, key, uploadId);
  } else if (Array.isArray(input.targets) && detail.executionArn.includes(':execution:')) {
    id = detail.executionArn.split(':').pop()!; // a sweep's record id is its execution name
  } else {
    return 'no-upload';
  }
  // a run that FAILED after recording its outcome (PARTS_REMAIN, FAILED) no longer owns a RUNNING record: the
  // condition below leaves it alone; one that failed before (DynamoDB retries exhausted) gets its error recorded
  const error = detail.status === 'TIMED_OUT' ? 'States.Timeout' : detail.status === 'FAILED' ? (detail.error || 'States.ExecutionFailed') : 'States.ExecutionAborted';
  try {
    await deps.doc.send(new UpdateCommand({
      TableName: deps.tableName,
      Key: { id },
      UpdateExpression: 'SET #status = :failed, #error = :error, #cause = :cause, #finishedAt = :finishedAt',
      ConditionExpression: '#executionArn = :executionArn AND #status = :running',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause', '#finishedAt': 'finishedAt', '#executionArn': 'executionArn' },
      ExpressionAttributeValues: {
        ':failed': 'FAILED', ':running': 'RUNNING', ':error': error, ':executionArn': detail.executionArn,
        ':cause': `The execution ended ${detail.status}${detail.status === 'FAILED' && detail.cause ? ` (${detail.cause})` : ''} before it could record an outcome; parts may remain: run a recheck.`,
        ':finishedAt': new Date(detail.stopDate ?? Date.now()).toISOString(),
      },
    }));
    return 'recorded';
  } catch (e) {
    if ((e as Error).name === 'ConditionalCheckFailedException') return 'not-running';
    throw e;
  }
}
