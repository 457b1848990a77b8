/**
 * Sweeps and other runs: an upload another run holds RUNNING is counted busy, a stubborn upload is handed to abort-upload
 * and counted as it recorded, an upload no abort removes ends PARTS_REMAIN. Harness: test/support/sweep-harness.ts.
 */
import { uploadIndexKeys } from '../../lib/records.ts';
import { describe, expect, it } from 'vitest';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { recordId } from '../../lib/record-id.ts';
import { createBucket, createUpload, TABLE } from '../support/workflow.ts';
import { allUploads, doc, expectCountersEqualRecords, lostAborts, s3, sweep } from '../support/sweep-harness.ts';

describe('sweep-uploads', () => {
  it('counts an upload whose record another execution holds RUNNING as busy, leaves it alone, and ends', async () => {
    // Arrange: an abort-upload run of the API holds one of 10 uploads
    await createBucket(s3, 'sweep-busy');
    const uploads = await Promise.all(Array.from({ length: 10 }, (_, i) => createUpload(s3, 'sweep-busy', `k-${i}`, [4])));
    const held = uploads[3];
    const other = 'arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-abort-upload:abort-held';
    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          id: recordId(held.bucket, held.key, held.uploadId),
          recordType: 'upload',
          ...uploadIndexKeys(recordId(held.bucket, held.key, held.uploadId), 'RUNNING'),
          bucket: held.bucket,
          key: held.key,
          uploadId: held.uploadId,
          status: 'RUNNING',
          attempts: 0,
          trigger: 'api',
          executionArn: other,
          startedAt: new Date().toISOString(),
          expiresAt: 2_000_000_000,
        },
      }),
    );

    // Act
    const { summary, execution, records } = await sweep('sweep-with-busy', { targets: [{ bucket: 'sweep-busy', olderThan: '1d' }] });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(summary).toMatchObject({ status: 'COMPLETED', found: 10, aborted: 9, busy: 1 });
    expect((await allUploads('sweep-busy')).map((u) => u.UploadId)).toEqual([held.uploadId]);
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: recordId(held.bucket, held.key, held.uploadId) }, ConsistentRead: true }));
    expect(Item).toMatchObject({ status: 'RUNNING', executionArn: other });
    expect(records).toHaveLength(9);
    expectCountersEqualRecords(summary, records);
  });

  it('hands an upload whose aborts do not take to abort-upload, and counts what abort-upload recorded', async () => {
    // Arrange: the first two aborts of one upload are answered 204 without reaching S3
    await createBucket(s3, 'sweep-stubborn');
    const uploads = await Promise.all(Array.from({ length: 6 }, (_, i) => createUpload(s3, 'sweep-stubborn', `k-${i}`, [9, 9])));
    lostAborts.set(uploads[2].uploadId, 2);

    // Act
    const { summary, execution, records } = await sweep('sweep-stubborn', { targets: [{ bucket: 'sweep-stubborn', olderThan: '1d' }] });

    // Assert
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(await allUploads('sweep-stubborn')).toHaveLength(0);
    expect(summary).toMatchObject({ status: 'COMPLETED', found: 6, aborted: 6, handedOver: 1, bytesFound: 6 * 18 });
    const handed = records.find((r) => r.uploadId === uploads[2].uploadId)!;
    expect(handed).toMatchObject({
      status: 'ABORTED',
      trigger: 'sweep',
      sweepId: 'sweep-stubborn',
      executionArn: expect.stringContaining(':mpu-reaper-abort-upload:'),
    });
    expectCountersEqualRecords(summary, records);
  });

  it('records PARTS_REMAIN for an upload no abort removes, and ends COMPLETED_WITH_ERRORS', async () => {
    // Arrange: every abort of one upload is lost, abort-upload's too
    await createBucket(s3, 'sweep-stuck');
    const uploads = await Promise.all(Array.from({ length: 3 }, (_, i) => createUpload(s3, 'sweep-stuck', `k-${i}`, [2])));
    lostAborts.set(uploads[1].uploadId, 1000);

    // Act
    const { summary, execution, records } = await sweep('sweep-stuck', { targets: [{ bucket: 'sweep-stuck', olderThan: '1d' }] });

    // Assert
    lostAborts.delete(uploads[1].uploadId);
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(summary).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', found: 3, aborted: 2, partsRemain: 1, handedOver: 1 });
    expectCountersEqualRecords(summary, records);
  });
});
