/**
 * abort-after-deadline on the local stack: the CloudTrail event of a CreateMultipartUpload starts it; after the
 * deadline (shortened by the runtime's wait override), an upload still open is aborted and one completed in time
 * is left alone and recorded COMPLETED_BEFORE_DEADLINE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteMultipartUploadCommand, ListPartsCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { getRecord } from '../../lib/records.ts';
import { recordId } from '../../lib/record-id.ts';
import { awsClients, createBucket, createUpload, fastRetries, type Upload } from '../support/workflow.ts';
import { ABORT_AFTER_DEADLINE_STATES, ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';

let stack: LocalStack;
let s3: S3Client;
let sfn: SFNClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startLocalStack({
    waitTimeOverrides: { [ABORT_AFTER_DEADLINE_STATES.waitForTheDeadline]: 50, [ABORT_UPLOAD_STATES.waitForInFlightParts]: 0 },
    retryIntervalOverrides: fastRetries(),
  });
  ({ s3, sfn, doc } = awsClients(stack.endpoint));
  await createBucket(s3, 'deadline-bucket');
});

afterAll(async () => {
  await stack?.stop();
});

/** the detail of a CloudTrail "AWS API Call via CloudTrail" event for CreateMultipartUpload */
const cloudTrailDetail = (u: Upload, initiated = new Date()) => ({
  eventSource: 's3.amazonaws.com',
  eventName: 'CreateMultipartUpload',
  eventTime: initiated.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  requestParameters: { bucketName: u.bucket, key: u.key, uploads: '' },
  responseElements: { CreateMultipartUploadResult: { Bucket: u.bucket, Key: u.key, UploadId: u.uploadId } },
});

async function runDeadline(detail: object) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: stack.stateMachineArns.abortAfterDeadline, input: JSON.stringify(detail) }),
  );
  return stack.runtime.waitForExecution(executionArn!);
}

describe('abort-after-deadline', () => {
  it('aborts an upload still open at its deadline', async () => {
    // Arrange
    const upload = await createUpload(s3, 'deadline-bucket', 'late/upload.bin', [100, 200]);

    // Act
    const execution = await runDeadline(cloudTrailDetail(upload));

    // Assert
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(await getRecord(doc, stack.tableName, recordId(upload.bucket, upload.key, upload.uploadId))).toMatchObject({
      status: 'ABORTED',
      trigger: 'deadline',
      partsFound: 2,
      bytesFound: 300,
    });
    await expect(s3.send(new ListPartsCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }))).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
  });

  it('leaves an upload completed before its deadline alone and records COMPLETED_BEFORE_DEADLINE', async () => {
    // Arrange: CloudTrail's eventTime is the upload's initiation, before its completion
    const initiated = new Date();
    const upload = await createUpload(s3, 'deadline-bucket', 'done/in-time.bin', [5 * 1024 * 1024, 10]);
    const parts = await s3.send(new ListPartsCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        MultipartUpload: { Parts: parts.Parts!.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag })) },
      }),
    );

    // Act
    const execution = await runDeadline(cloudTrailDetail(upload, initiated));

    // Assert
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const record = await getRecord(doc, stack.tableName, recordId(upload.bucket, upload.key, upload.uploadId));
    expect(record).toMatchObject({
      status: 'COMPLETED_BEFORE_DEADLINE',
      trigger: 'deadline',
      attempts: 0,
      cause: expect.stringMatching(/at or after the upload was initiated/),
    });
    expect((await s3.send(new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key }))).ContentLength).toBe(5 * 1024 * 1024 + 10);
  });

  it('records NOT_FOUND when the upload vanished without an object (aborted by someone else)', async () => {
    // Act
    const execution = await runDeadline(cloudTrailDetail({ bucket: 'deadline-bucket', key: 'never/completed', uploadId: 'no-such-upload' }));

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(await getRecord(doc, stack.tableName, recordId('deadline-bucket', 'never/completed', 'no-such-upload'))).toMatchObject({
      status: 'NOT_FOUND',
      cause: expect.stringMatching(/before any abort of this run.*No object is at the key/),
    });
  });

  it('records NOT_FOUND, not COMPLETED_BEFORE_DEADLINE, when the object at the key is older than the upload', async () => {
    // Arrange: an object written before the upload began; the upload itself was aborted by someone else
    await s3.send(new PutObjectCommand({ Bucket: 'deadline-bucket', Key: 'reused/key', Body: 'older object' }));
    const initiated = new Date(Date.now() + 5_000);

    // Act
    const execution = await runDeadline(cloudTrailDetail({ bucket: 'deadline-bucket', key: 'reused/key', uploadId: 'aborted-elsewhere' }, initiated));

    // Assert
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(await getRecord(doc, stack.tableName, recordId('deadline-bucket', 'reused/key', 'aborted-elsewhere'))).toMatchObject({
      status: 'NOT_FOUND',
      cause: expect.stringMatching(/last modified at .*, before the upload was initiated .*: it is not the upload's/),
    });
  });

  it('fails an event that names no upload, before any S3 call', async () => {
    // Act
    const execution = await runDeadline({ eventName: 'CreateMultipartUpload', requestParameters: { bucketName: 'deadline-bucket' } });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidEvent');
    expect(execution.requests).toEqual({});
  });
});
