/**
 * The sweep (statemachines/sweep-uploads.asl.json → sweep-page.asl.json → abort-upload.asl.json) on the local stack.
 * moto reports every upload's Initiated as 2010-11-10T20:48:33Z, so "old enough" is either everything ("1d") or
 * nothing ("6000d", a cutoff in 2010-05); the cutoff arithmetic itself is unit-tested.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Client, ListMultipartUploadsCommand, type MultipartUpload } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../lib/local/stack.ts';
import { createBucket, createUpload, fastRetries } from '../support/workflow.ts';

let stack: LocalStack;
let s3: S3Client;
let sfn: SFNClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startLocalStack({
    settings: { SweepPageSize: 100 },
    waitTimeOverrides: { 'Wait for in-flight parts': 0, 'Wait for the runs': 100 }, retryIntervalOverrides: fastRetries(),
  });
  const config = { endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, forcePathStyle: true };
  s3 = new S3Client(config);
  sfn = new SFNClient(config);
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(config));
});

afterAll(async () => {
  await stack?.stop();
});

async function allUploads(bucket: string): Promise<MultipartUpload[]> {
  const uploads: MultipartUpload[] = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }));
    uploads.push(...(page.Uploads ?? []));
    if (!page.IsTruncated) return uploads;
    ({ NextKeyMarker: KeyMarker, NextUploadIdMarker: UploadIdMarker } = page);
  }
}

async function sweep(name: string, input: object) {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.stateMachineArns.sweepUploads, name, input: JSON.stringify(input) }));
  const execution = await stack.runtime.waitForExecution(executionArn!);
  const { Item: summary } = await doc.send(new GetCommand({ TableName: stack.tableName, Key: { id: name }, ConsistentRead: true }));
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  return { execution, described, summary: summary as Record<string, unknown> };
}

async function recordsOfSweep(sweepId: string) {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new QueryCommand({
      TableName: stack.tableName, IndexName: 'byStartedAt', KeyConditionExpression: 'recordType = :t', FilterExpression: 'sweepId = :s',
      ExpressionAttributeValues: { ':t': 'upload', ':s': sweepId }, ExclusiveStartKey,
    }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

describe('sweep-uploads', () => {
  it('aborts exactly the uploads under the prefix, pages through them, and records matching counts', async () => {
    // Arrange: 2,500 uploads over three prefixes in one bucket, 20 in a second bucket
    await createBucket(s3, 'sweep-main');
    await createBucket(s3, 'sweep-other');
    const prefixes = ['logs/', 'tmp/', 'media/'];
    for (let i = 0; i < 2_500; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => createUpload(s3, 'sweep-main', `${prefixes[(i + j) % 3]}file-${i + j}`, [10 + ((i + j) % 5)])));
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => createUpload(s3, 'sweep-other', `logs/o-${i}`, [5])));
    const logsBefore = (await allUploads('sweep-main')).filter((u) => u.Key!.startsWith('logs/'));
    const pagesBefore = stack.runtime.listExecutions({ stateMachineArn: stack.stateMachineArns.sweepPage, maxResults: 10_000 }).executions.length;

    // Act
    const { execution, summary, described } = await sweep('sweep-prefix', { targets: [{ bucket: 'sweep-main', prefix: 'logs/', olderThan: '1d' }, { bucket: 'sweep-other', olderThan: '24h' }] });

    // Assert
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const left = await allUploads('sweep-main');
    expect(left.filter((u) => u.Key!.startsWith('logs/'))).toHaveLength(0);
    expect(left).toHaveLength(2_500 - logsBefore.length);
    expect(await allUploads('sweep-other')).toHaveLength(0);
    const expectedBytes = logsBefore.reduce((sum, u) => sum + 10 + (Number(u.Key!.split('-')[1]) % 5), 0) + 20 * 5;
    expect(summary).toMatchObject({
      recordType: 'sweep', status: 'COMPLETED', dryRun: false, found: logsBefore.length + 20, aborted: logsBefore.length + 20,
      notFound: 0, partsRemain: 0, failed: 0, wouldAbort: 0, bytesFound: expectedBytes,
    });
    expect(JSON.parse(described.output!)).toMatchObject({ status: 'COMPLETED', aborted: logsBefore.length + 20 });
    // SweepPageSize 100: every page of the prefix was its own child execution, plus one page for the second bucket
    const pages = stack.runtime.listExecutions({ stateMachineArn: stack.stateMachineArns.sweepPage, maxResults: 10_000 }).executions.length - pagesBefore;
    expect(pages).toBe(Math.ceil(logsBefore.length / 100) + 1);
    const records = await recordsOfSweep('sweep-prefix');
    expect(records).toHaveLength(logsBefore.length + 20);
    expect(records.every((r) => r.trigger === 'sweep' && r.status === 'ABORTED')).toBe(true);
  }, 300_000); // 5,000 S3 requests to set up and ~900 abort runs against one moto_server on two cores

  it('a dry run aborts nothing and records WOULD_ABORT with parts and bytes', async () => {
    // Arrange
    await createBucket(s3, 'sweep-dry');
    await Promise.all(Array.from({ length: 30 }, (_, i) => createUpload(s3, 'sweep-dry', `k-${i}`, [7, 8])));

    // Act
    const { summary } = await sweep('sweep-dry-run', { targets: [{ bucket: 'sweep-dry', olderThan: '30m' }], dryRun: true });

    // Assert
    expect(await allUploads('sweep-dry')).toHaveLength(30);
    expect(summary).toMatchObject({ status: 'COMPLETED', dryRun: true, found: 30, wouldAbort: 30, aborted: 0, bytesFound: 30 * 15 });
    const records = await recordsOfSweep('sweep-dry-run');
    expect(records).toHaveLength(30);
    expect(records.every((r) => r.status === 'WOULD_ABORT' && r.partsFound === 2 && r.bytesFound === 15 && r.attempts === 0)).toBe(true);
  });

  it('sweeps the good bucket when another target fails, and records the failure in the summary', async () => {
    // Arrange
    await createBucket(s3, 'sweep-good');
    await Promise.all(Array.from({ length: 5 }, (_, i) => createUpload(s3, 'sweep-good', `k-${i}`, [1])));

    // Act
    const { summary, execution } = await sweep('sweep-partly-failing', { targets: [{ bucket: 'sweep-missing-bucket', olderThan: '1d' }, { bucket: 'sweep-good', olderThan: '1d' }] });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(await allUploads('sweep-good')).toHaveLength(0);
    expect(summary).toMatchObject({
      status: 'COMPLETED_WITH_ERRORS', found: 5, aborted: 5,
      targetErrors: [{ bucket: 'sweep-missing-bucket', error: 'S3.NoSuchBucketException', cause: expect.stringMatching(/bucket/i) }],
    });
  });

  it('aborts nothing when nothing is old enough', async () => {
    // Arrange
    await createBucket(s3, 'sweep-young');
    await Promise.all(Array.from({ length: 5 }, (_, i) => createUpload(s3, 'sweep-young', `k-${i}`, [1])));

    // Act
    const { summary } = await sweep('sweep-nothing-old', { targets: [{ bucket: 'sweep-young', olderThan: '6000d' }] });

    // Assert
    expect(await allUploads('sweep-young')).toHaveLength(5);
    expect(summary).toMatchObject({ status: 'COMPLETED', found: 0, aborted: 0 });
  });

  it('records an invalid sweep request as FAILED and starts nothing', async () => {
    // Act
    const { execution, summary } = await sweep('sweep-invalid', { targets: [{ bucket: 'sweep-good', olderThan: 'yesterday' }] });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidSweepRequest');
    expect(summary).toMatchObject({ recordType: 'sweep', status: 'FAILED', error: 'InvalidSweepRequest', cause: expect.stringContaining('targets[0].olderThan') });
  });
});
