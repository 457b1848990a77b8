/**
 * The real statemachines/abort-upload.asl.json, executed by the local runtime against moto_server: what a run ends
 * with (status, attempts, exact parts and bytes, the state it stops in) and what S3 is left with. Every run's AWS
 * calls go through the test proxy where a test needs to see or change them (test/support/abort-faults.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { waitSchedule } from '../../lib/abort-run.ts';
import { clientsThroughProxy, createSessionAnswer, requestsOf, rewriteMeasuredSizes, runThroughProxy, runWithFaults } from '../support/abort-faults.ts';
import { enteredStates, isGone, toS3, uploadsIn, waitsEntered } from '../support/abort-checks.ts';
import { keepUploadingParts } from '../../emulator/demo.ts';
import { createBucket, createUpload, runAbort, startMotoWithTable, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let s3: S3Client;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  ({ moto, s3, doc } = await startMotoWithTable());
});

afterAll(async () => {
  await moto?.stop();
});

const GiB = 1024 ** 3;

describe('abort-upload on moto_server: outcomes', () => {
  it('aborts an upload of 3 parts in 9 states: ABORTED, one attempt, exact parts and bytes, nothing left in S3', async () => {
    // Arrange
    await createBucket(s3, 'clean-abort');
    const upload = await createUpload(s3, 'clean-abort', 'videos/big file.mp4', [5_242_880, 5_242_880, 1_234]);

    // Act
    const { execution, record, output } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload, trigger: 'api' });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(enteredStates(execution.history)).toEqual([
      'Prepare run',
      'What next?',
      'Abort upload',
      'Wait for in-flight parts',
      'Check as requester?',
      'Check for remaining parts',
      'Record outcome',
      'Did the run succeed?',
      'Outcome recorded',
    ]);
    expect(record).toMatchObject({
      status: 'ABORTED',
      bucket: 'clean-abort',
      key: 'videos/big file.mp4',
      uploadId: upload.uploadId,
      recordType: 'upload',
      attempts: 1,
      partsFound: 3,
      bytesFound: 5_242_880 * 2 + 1_234,
      trigger: 'api',
      executionArn: execution.executionArn,
    });
    expect(record?.error).toBeUndefined();
    expect(record?.cause).toBeUndefined();
    expect(Date.parse(record!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(record!.startedAt));
    expect(record!.expiresAt).toBe(Math.floor(Date.parse(record!.startedAt) / 1000) + 90 * 86_400);
    expect(output).toEqual({ id: record!.id, status: 'ABORTED', ok: true, attempts: 1, partsFound: 3, bytesFound: 5_242_880 * 2 + 1_234 });
    expect(await uploadsIn(s3, 'clean-abort')).toHaveLength(0);
    expect(await isGone(s3, upload)).toBe(true);
  });

  it('counts 1,250 parts over two ListParts pages before aborting', async () => {
    // Arrange: sizes differ per part so that a wrong sum cannot match by accident
    await createBucket(s3, 'many-parts');
    const sizes = Array.from({ length: 1_250 }, (_, i) => 10 + (i % 97));
    const upload = await createUpload(s3, 'many-parts', 'backup.tar', sizes);

    // Act
    const { record, requests } = await runThroughProxy(moto.endpoint, [], { upload });

    // Assert
    expect(record).toMatchObject({ status: 'ABORTED', attempts: 1, partsFound: 1_250, bytesFound: sizes.reduce((a, b) => a + b, 0) });
    const pages = requestsOf(requests, 'measure ListParts');
    expect(pages.map((r) => r.url.searchParams.get('part-number-marker'))).toEqual([null, '1000']);
    expect(await isGone(s3, upload)).toBe(true);
  });

  it('sums part sizes past 2^32 bytes exactly (ListParts reports parts of about 5 GiB)', async () => {
    // Arrange: the proxy rewrites the sizes moto reports to the measure step: 5 GiB minus the real size
    await createBucket(s3, 'huge-parts');
    const sizes = [7, 11, 13];
    const upload = await createUpload(s3, 'huge-parts', 'disk.img', sizes);
    const reported = sizes.map((size) => 5 * GiB - size);

    // Act
    const { record, output } = await runThroughProxy(moto.endpoint, [rewriteMeasuredSizes((size) => 5 * GiB - size)], { upload });

    // Assert
    const total = reported.reduce((a, b) => a + b, 0);
    expect(total).toBe(16_106_127_329);
    expect(total).toBeGreaterThan(2 ** 32);
    expect(record).toMatchObject({ status: 'ABORTED', partsFound: 3, bytesFound: total });
    expect(output).toMatchObject({ bytesFound: total });
    expect(await isGone(s3, upload)).toBe(true);
  });

  it('records NOT_FOUND for an upload that was already aborted: no abort sent, the execution succeeds', async () => {
    // Arrange
    await createBucket(s3, 'already-gone');
    const upload = await createUpload(s3, 'already-gone', 'k', [100]);
    await s3.send(new AbortMultipartUploadCommand(toS3(upload)));

    // Act
    const { record, execution, requests } = await runThroughProxy(moto.endpoint, [], { upload });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(record).toMatchObject({ status: 'NOT_FOUND', attempts: 0, partsFound: 0, bytesFound: 0 });
    expect(record?.error).toBeUndefined();
    expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(0);
    expect(enteredStates(execution.history)).not.toContain('Abort upload');
  });

  it("records FAILED with S3's code NoSuchBucket when the bucket does not exist, and fails the execution", async () => {
    // Act
    const { record, execution, requests } = await runThroughProxy(moto.endpoint, [], { upload: { bucket: 'no-such-bucket-here', key: 'k', uploadId: 'u-1' } });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('AbortFailed');
    expect(record).toMatchObject({ status: 'FAILED', error: 'NoSuchBucket', attempts: 0, partsFound: 0, bytesFound: 0 });
    expect(record?.cause).toMatch(/bucket/i);
    expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(0);
  });

  it('aborts again while parts keep arriving after the first abort, until ListParts finds nothing', async () => {
    // Arrange: the first AbortMultipartUpload does not take effect; a writer keeps uploading parts
    await createBucket(s3, 'racing-parts');
    const upload = await createUpload(s3, 'racing-parts', 'stream.bin', [64, 64]);
    const writer = keepUploadingParts(s3, upload, { firstPartNumber: 3, intervalMs: 5, partSize: 64 });

    try {
      // Act
      const { record, execution, injected, requests } = await runWithFaults(
        moto.endpoint,
        [{ call: 'AbortMultipartUpload', fault: 'abort answered 204, not forwarded', times: 1 }],
        { upload, waitMs: 100 },
      );
      const partsWritten = await writer.stop();

      // Assert
      expect(injected).toEqual([1]);
      expect(partsWritten).toBeGreaterThan(0);
      expect(execution.status).toBe('SUCCEEDED');
      expect(record?.status).toBe('ABORTED');
      expect(record!.attempts).toBeGreaterThanOrEqual(2);
      expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(record!.attempts);
      expect(await isGone(s3, upload)).toBe(true);
    } finally {
      await writer.stop();
    }
  });

  it('stops at the attempt cap with PARTS_REMAIN when no abort takes effect, waiting as waitSchedule says', async () => {
    // Arrange: every abort is lost
    await createBucket(s3, 'stubborn-parts');
    const upload = await createUpload(s3, 'stubborn-parts', 'k', [10, 20]);
    const settings = { MaxAbortAttempts: 5, FirstWaitSeconds: 2, MaxWaitSeconds: 10 };

    // Act
    const { record, execution, injected } = await runWithFaults(
      moto.endpoint,
      [{ call: 'AbortMultipartUpload', fault: 'abort answered 204, not forwarded', times: Infinity }],
      { upload, settings },
    );

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('PartsRemain');
    expect(record).toMatchObject({ status: 'PARTS_REMAIN', attempts: 5, partsFound: 2, bytesFound: 30 });
    expect(record?.cause).toMatch(/after 5 aborts/);
    expect(injected).toEqual([5]);
    expect(waitsEntered(execution.history)).toEqual([2, 4, 8, 10, 10]);
    expect(waitsEntered(execution.history)).toEqual(waitSchedule({ firstWaitSeconds: 2, maxWaitSeconds: 10, maxAbortAttempts: 5 }));
    expect(enteredStates(execution.history).filter((s) => s === 'Back off')).toHaveLength(4);
    expect(await uploadsIn(s3, 'stubborn-parts')).toHaveLength(1);
  });

  it("records FAILED with S3's own code when S3 refuses every abort (403 AccessDenied), never ABORTED", async () => {
    // Arrange: every abort is refused; the check still lists the parts
    await createBucket(s3, 'denied');
    const upload = await createUpload(s3, 'denied', 'k', [10]);

    // Act
    const { record, execution } = await runThroughProxy(
      moto.endpoint,
      [
        {
          method: 'DELETE',
          url: (url) => url.searchParams.has('uploadId'),
          times: Infinity,
          respond: (res) => {
            res
              .writeHead(403, { 'content-type': 'application/xml' })
              .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
          },
        },
      ],
      { upload, settings: { MaxAbortAttempts: 2 } },
    );

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('AbortFailed');
    expect(record).toMatchObject({ status: 'FAILED', error: 'AccessDenied', attempts: 2, partsFound: 1, bytesFound: 10 });
    expect(record?.cause).toContain('Access Denied');
    expect(await uploadsIn(s3, 'denied')).toHaveLength(1);
  });
});

describe('abort-upload on moto_server: request options reach the S3 calls', () => {
  const S3_CALLS = ['measure ListParts', 'AbortMultipartUpload', 'check ListParts'] as const;

  it('sends RequestPayer and ExpectedBucketOwner with the measure, the abort and the check', async () => {
    // Arrange
    await createBucket(s3, 'requester-pays');
    const upload = await createUpload(s3, 'requester-pays', 'k', [10]);

    // Act
    const { record, execution, requests } = await runThroughProxy(moto.endpoint, [], {
      upload: { ...upload, requestPayer: 'requester', expectedBucketOwner: '123456789012' },
    });

    // Assert
    expect(record).toMatchObject({ status: 'ABORTED', attempts: 1 });
    expect(enteredStates(execution.history)).toEqual(expect.arrayContaining(['Abort upload (requester pays)', 'Check for remaining parts (requester pays)']));
    for (const call of S3_CALLS) {
      expect(requestsOf(requests, call), call).toHaveLength(1);
      expect(requestsOf(requests, call)[0].headers, call).toMatchObject({ 'x-amz-request-payer': 'requester', 'x-amz-expected-bucket-owner': '123456789012' });
    }
  });

  it('defaults ExpectedBucketOwner to the account running the workflow and sends no RequestPayer', async () => {
    // Arrange
    await createBucket(s3, 'default-owner');
    const upload = await createUpload(s3, 'default-owner', 'k', [10]);

    // Act
    const { record, execution, requests } = await runThroughProxy(moto.endpoint, [], { upload });

    // Assert
    expect(record?.status).toBe('ABORTED');
    expect(enteredStates(execution.history)).toEqual(expect.arrayContaining(['Abort upload', 'Check for remaining parts']));
    for (const call of S3_CALLS) {
      const [sent] = requestsOf(requests, call);
      expect(sent.headers['x-amz-expected-bucket-owner'], call).toBe('123456789012');
      expect(sent.headers, call).not.toHaveProperty('x-amz-request-payer');
      expect(sent.headers, call).not.toHaveProperty('x-amz-if-match-initiated-time');
    }
  });

  it('sends IfMatchInitiatedTime with the abort only, for a directory bucket', async () => {
    // Arrange: moto has no S3 Express: the proxy answers CreateSession; the upload is created through it too, so that
    // moto sees the same object path as the workflow's calls (moto does not check the condition: the test proves what is sent)
    const bucket = 'data--use1-az4--x-s3';
    await fetch(`${moto.endpoint}/${bucket}`, { method: 'PUT' });
    const creator = await clientsThroughProxy(moto.endpoint, [createSessionAnswer]);
    const upload = await createUpload(creator.s3, bucket, 'k', [10]);
    await creator.close();

    // Act
    const { record, execution, requests } = await runThroughProxy(moto.endpoint, [createSessionAnswer], {
      upload: { ...upload, ifMatchInitiatedTime: '2026-11-20T10:00:00Z' },
    });

    // Assert
    expect(record).toMatchObject({ status: 'ABORTED', attempts: 1, partsFound: 1, bytesFound: 10 });
    expect(enteredStates(execution.history)).toContain('Abort upload (if initiated then)');
    expect(requestsOf(requests, 'AbortMultipartUpload')[0].headers['x-amz-if-match-initiated-time']).toBe('Fri, 20 Nov 2026 10:00:00 GMT');
    for (const call of ['measure ListParts', 'check ListParts'] as const) {
      expect(requestsOf(requests, call)[0].headers, call).not.toHaveProperty('x-amz-if-match-initiated-time');
    }
  });
});
