/** What the abort-upload tests read back: the states a run walked, its waits, and whether S3 still holds an upload. */
import { ListMultipartUploadsCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordInterruptedRun } from '../../lib/interrupted-runs.ts';
import { getRecord, UPLOAD_RECORD_TYPE, uploadIndexKeys, type AbortRecord } from '../../lib/records.ts';
import { recordId } from '../../lib/record-id.ts';
import { ABORT_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import type { LocalExecution } from '../../emulator/execution.ts';
import { TABLE, type Upload } from './workflow.ts';

type Event = { type?: string; stateEnteredEventDetails?: { name?: string; input?: string } };

/** the names of the states a run entered, in order (local runtime and moto's history have the same shape) */
export const enteredStates = (history: readonly unknown[]) =>
  (history as Event[]).filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);

/** the loop's waitSeconds each time the run entered "Wait for in-flight parts" */
export const waitsEntered = (history: readonly unknown[]) =>
  (history as Event[])
    .filter((e) => e.type === 'WaitStateEntered')
    .map((e) => (JSON.parse(e.stateEnteredEventDetails!.input!) as { loop: { waitSeconds: number } }).loop.waitSeconds);

/**
 * The message of the error an execution failed with: the local runtime gives a Lambda function error's message as the
 * cause; AWS gives Lambda's JSON error document ({"errorMessage", "errorType", "stackTrace"}).
 */
export function errorMessageOf(execution: { cause?: string }): string {
  try {
    const document = JSON.parse(execution.cause ?? '') as { errorMessage?: unknown };
    if (typeof document?.errorMessage === 'string') return document.errorMessage;
  } catch {
    /* not JSON: the message itself */
  }
  return execution.cause ?? '';
}

export const toS3 = (u: Upload) => ({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId });

export async function uploadsIn(s3: S3Client, bucket: string) {
  return (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
}

/** S3 has no trace of the upload: ListMultipartUploads does not list it and ListParts answers NoSuchUpload */
export async function isGone(s3: S3Client, upload: Upload): Promise<boolean> {
  const listed = (await uploadsIn(s3, upload.bucket)).some((u) => u.UploadId === upload.uploadId);
  try {
    await s3.send(new ListPartsCommand(toS3(upload)));
    return false;
  } catch (error) {
    if ((error as Error).name !== 'NoSuchUpload') throw error;
    return !listed;
  }
}

export const recordOf = (doc: DynamoDBDocumentClient, upload: Upload): Promise<AbortRecord | undefined> =>
  getRecord(doc, TABLE, recordId(upload.bucket, upload.key, upload.uploadId));

/** every record that names this execution as its owner (a table scan: tests only) */
export async function recordsOfExecution(doc: DynamoDBDocumentClient, executionArn: string) {
  const { Items } = await doc.send(
    new ScanCommand({ TableName: TABLE, FilterExpression: 'executionArn = :arn', ExpressionAttributeValues: { ':arn': executionArn }, ConsistentRead: true }),
  );
  return Items ?? [];
}

/** writes an upload's record as another run (or an earlier one) left it */
export async function putRecord(doc: DynamoDBDocumentClient, upload: Upload, fields: Partial<AbortRecord>): Promise<AbortRecord> {
  const item = {
    id: recordId(upload.bucket, upload.key, upload.uploadId),
    recordType: UPLOAD_RECORD_TYPE,
    ...upload,
    attempts: 0,
    trigger: 'api',
    startedAt: '2026-11-20T10:00:00.000Z',
    expiresAt: 1_800_000_000,
    status: 'RUNNING',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-abort-upload:another-run',
    ...fields,
  } as AbortRecord;
  // the index keys the product writes with every record and status
  await doc.send(new PutCommand({ TableName: TABLE, Item: { ...item, ...uploadIndexKeys(item.id, item.status) } }));
  return item;
}

/** what the interrupted-runs rule does on AWS when Step Functions reports the execution's end (EventBridge) */
export const deliverStatusChange = (doc: DynamoDBDocumentClient, execution: LocalExecution) =>
  recordInterruptedRun(
    { doc, tableName: TABLE, retentionSeconds: ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds },
    {
      executionArn: execution.executionArn,
      status: execution.status,
      error: execution.error,
      cause: execution.cause,
      input: execution.input,
      stopDate: execution.stopDate?.getTime(),
    },
  );
