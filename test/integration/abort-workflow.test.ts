/**
 * The real statemachines/abort-upload.asl.json, executed by the local runtime against moto_server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListMultipartUploadsCommand, ListPartsCommand, AbortMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startChaosProxy, type FaultRule } from '../../lib/local/chaos.ts';
import { createBucket, createUpload, runAbort, startMotoWithTable, type MotoServer, type Upload } from '../support/workflow.ts';

let moto: MotoServer;
let s3: S3Client;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  ({ moto, s3, doc } = await startMotoWithTable());
});

afterAll(async () => {
  await moto?.stop();
});

async function uploadsIn(bucket: string) {
  return (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
}

/** uploads a part every few ms until S3 refuses (the upload is gone) or stop() is called */
function keepUploadingParts(upload: Upload, firstPartNumber: number) {
  let running = true;
  let uploaded = 0;
  const loop = (async () => {
    for (let part = firstPartNumber; running && part <= 10_000; part++) {
      try {
        await s3.send(new UploadPartCommand({ ...toS3(upload), PartNumber: part, Body: Buffer.alloc(64, 1) }));
        uploaded += 1;
      } catch {
        return; // moto answers 500 to UploadPart once the upload is aborted
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { stop: async () => { running = false; await loop; return uploaded; } };
}

const toS3 = (u: Upload) => ({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId });
/** the chaos proxy's rules for the runtime's aborts (lib/local/chaos.ts) */
const ABORT: FaultRule = { service: 's3', operation: 'AbortMultipartUpload' };

describe('abort-upload state machine on moto_server', () => {
  it('aborts an upload of 3 parts, records ABORTED with its exact parts and bytes, and S3 no longer lists it', async () => {
    // Arrange
    await createBucket(s3, 'clean-abort');
    const upload = await createUpload(s3, 'clean-abort', 'videos/big file.mp4', [5_242_880, 5_242_880, 1_234]);
    expect(await uploadsIn('clean-abort')).toHaveLength(1);

    // Act
    const { execution, record, output } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: { ...upload, trigger: 'test' } });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(record).toMatchObject({
      status: 'ABORTED', bucket: 'clean-abort', key: 'videos/big file.mp4', uploadId: upload.uploadId,
      attempts: 1, partsFound: 3, bytesFound: 5_242_880 * 2 + 1_234, trigger: 'test', executionArn: execution.executionArn,
    });
    expect(record?.error).toBeUndefined();
    expect(Date.parse(record!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(record!.startedAt));
    expect(record!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 89 * 86400);
    expect(output).toMatchObject({ status: 'ABORTED', partsFound: 3, attempts: 1 });
    expect(await uploadsIn('clean-abort')).toHaveLength(0);
    await expect(s3.send(new ListPartsCommand(toS3(upload)))).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('counts every page of an upload with 1,250 parts before aborting it', async () => {
    // Arrange: sizes differ per part so that a wrong sum cannot match by accident
    await createBucket(s3, 'many-parts');
    const sizes = Array.from({ length: 1_250 }, (_, i) => 10 + (i % 97));
    const upload = await createUpload(s3, 'many-parts', 'backup.tar', sizes);

    // Act
    const { record, execution } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload });

    // Assert
    expect(record).toMatchObject({ status: 'ABORTED', partsFound: 1_250, bytesFound: sizes.reduce((a, b) => a + b, 0) });
    expect(execution.requests['s3:listParts']).toBe(2 + 1); // two pages of 1,000 + the verification
    expect(await uploadsIn('many-parts')).toHaveLength(0);
  });

  it('records NOT_FOUND for an upload that was already aborted, and the execution succeeds', async () => {
    // Arrange
    await createBucket(s3, 'already-gone');
    const upload = await createUpload(s3, 'already-gone', 'k', [100]);
    await s3.send(new AbortMultipartUploadCommand(toS3(upload)));

    // Act
    const { record, execution } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(record).toMatchObject({ status: 'NOT_FOUND', attempts: 0, partsFound: 0, bytesFound: 0, error: 'S3.NoSuchUploadException' });
    expect(execution.requests['s3:abortMultipartUpload']).toBeUndefined();
  });

  it('records FAILED with the error name when the bucket does not exist, and fails the execution', async () => {
    // Act
    const { record, execution } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: { bucket: 'no-such-bucket-here', key: 'k', uploadId: 'u-1' } });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('S3.NoSuchBucketException');
    expect(record).toMatchObject({ status: 'FAILED', error: 'S3.NoSuchBucketException' });
    expect(record?.cause).toMatch(/bucket/i);
  });

  it('aborts again when the first abort does not take effect while parts keep arriving, until nothing is left', async () => {
    // Arrange: the proxy loses the first AbortMultipartUpload; a writer keeps uploading parts
    await createBucket(s3, 'racing-parts');
    const upload = await createUpload(s3, 'racing-parts', 'stream.bin', [64, 64]);
    const writer = keepUploadingParts(upload, 3);
    const proxy = await startChaosProxy({ target: moto.endpoint, chaos: { faults: [{ ...ABORT, drop: true, times: 1 }] } });

    try {
      // Act
      const { record, execution } = await runAbort({ dispatcherEndpoint: proxy.endpoint, doc, upload, waitMs: 100 });
      const partsWritten = await writer.stop();

      // Assert
      expect(proxy.chaos.counts().injected).toBe(1);
      expect(partsWritten).toBeGreaterThan(0);
      expect(execution.status).toBe('SUCCEEDED');
      expect(record?.status).toBe('ABORTED');
      expect(record!.attempts).toBeGreaterThanOrEqual(2);
      expect(execution.requests['s3:abortMultipartUpload']).toBe(record!.attempts);
      expect(await uploadsIn('racing-parts')).toHaveLength(0);
      await expect(s3.send(new ListPartsCommand(toS3(upload)))).rejects.toMatchObject({ name: 'NoSuchUpload' });
    } finally {
      await writer.stop();
      await proxy.close();
    }
  });

  it('backs off exponentially up to the cap and stops at the attempt cap with PARTS_REMAIN when no abort takes effect', async () => {
    // Arrange: every abort is lost
    await createBucket(s3, 'stubborn-parts');
    const upload = await createUpload(s3, 'stubborn-parts', 'k', [10, 20]);
    const proxy = await startChaosProxy({ target: moto.endpoint, chaos: { faults: [{ ...ABORT, drop: true }] } });

    try {
      // Act
      const { record, execution } = await runAbort({
        dispatcherEndpoint: proxy.endpoint, doc, upload, settings: { MaxAbortAttempts: 5, FirstWaitSeconds: 2, MaxWaitSeconds: 10 },
      });

      // Assert
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('PartsRemain');
      expect(record).toMatchObject({ status: 'PARTS_REMAIN', attempts: 5, partsFound: 2, bytesFound: 30, error: 'PartsRemain' });
      expect(proxy.chaos.counts().injected).toBe(5);
      const waits = execution.history
        .filter((e) => e.type === 'WaitStateEntered')
        .map((e) => JSON.parse((e.stateEnteredEventDetails as { input: string }).input).loop.waitSeconds);
      expect(waits).toEqual([2, 4, 8, 10, 10]);
      expect(await uploadsIn('stubborn-parts')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('abort-upload request options and retries', () => {
  const enteredStates = (history: { type: string; stateEnteredEventDetails?: unknown }[]) =>
    history.filter((e) => e.type.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name);
  const scheduledParameters = (history: { type: string; taskScheduledEventDetails?: unknown }[], resource: string) =>
    history.filter((e) => e.type === 'TaskScheduled' && (e.taskScheduledEventDetails as { resource: string }).resource === resource)
      .map((e) => JSON.parse((e.taskScheduledEventDetails as { parameters: string }).parameters));

  it('passes RequestPayer and ExpectedBucketOwner to every S3 call when they are given', async () => {
    // Arrange
    await createBucket(s3, 'requester-pays');
    const upload = await createUpload(s3, 'requester-pays', 'k', [10]);

    // Act
    const { record, execution } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: { ...upload, requestPayer: 'requester', expectedBucketOwner: '123456789012' } });

    // Assert
    expect(record?.status).toBe('ABORTED');
    expect(enteredStates(execution.history)).toContain('Abort upload (requester pays)');
    for (const resource of ['listParts', 'abortMultipartUpload']) {
      for (const parameters of scheduledParameters(execution.history, resource)) {
        expect(parameters).toMatchObject({ RequestPayer: 'requester', ExpectedBucketOwner: '123456789012' });
      }
    }
  });

  it('defaults ExpectedBucketOwner to the account running the workflow and sends no RequestPayer', async () => {
    // Arrange
    await createBucket(s3, 'default-owner');
    const upload = await createUpload(s3, 'default-owner', 'k', [10]);

    // Act
    const { execution } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload });

    // Assert
    const [abort] = scheduledParameters(execution.history, 'abortMultipartUpload');
    expect(abort).toEqual({ Bucket: 'default-owner', Key: 'k', UploadId: upload.uploadId, ExpectedBucketOwner: '123456789012' });
  });

  it('sends IfMatchInitiatedTime on the abort only, for directory buckets', async () => {
    // Arrange (moto does not check the condition; the test proves what is sent)
    await createBucket(s3, 'initiated-time');
    const upload = await createUpload(s3, 'initiated-time', 'k', [10]);

    // Act
    const { execution } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: { ...upload, ifMatchInitiatedTime: '2026-11-20T10:00:00Z' } });

    // Assert
    expect(enteredStates(execution.history)).toContain('Abort upload (if initiated then)');
    expect(scheduledParameters(execution.history, 'abortMultipartUpload')[0]).toMatchObject({ IfMatchInitiatedTime: '2026-11-20T10:00:00Z' });
    for (const parameters of scheduledParameters(execution.history, 'listParts')) expect(parameters).not.toHaveProperty('IfMatchInitiatedTime');
  });

  it('retries a throttled abort (503 SlowDown) and still records one attempt', async () => {
    // Arrange: S3 answers the first two aborts with SlowDown
    await createBucket(s3, 'throttled');
    const upload = await createUpload(s3, 'throttled', 'k', [10, 10]);
    const slowDown = { statusCode: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
    const proxy = await startChaosProxy({ target: moto.endpoint, chaos: { faults: [{ ...ABORT, error: slowDown, times: 2 }] } });

    try {
      // Act
      const { record, execution } = await runAbort({ dispatcherEndpoint: proxy.endpoint, doc, upload });

      // Assert
      expect(proxy.chaos.counts().injected).toBe(2);
      expect(execution.requests['s3:abortMultipartUpload']).toBe(3);
      expect(record).toMatchObject({ status: 'ABORTED', attempts: 1 });
    } finally {
      await proxy.close();
    }
  });

  it('does not retry AccessDenied: one request, FAILED with the error name', async () => {
    // Arrange
    await createBucket(s3, 'denied');
    const upload = await createUpload(s3, 'denied', 'k', [10]);
    const denied = { statusCode: 403, code: 'AccessDenied', message: 'Access Denied' };
    const proxy = await startChaosProxy({ target: moto.endpoint, chaos: { faults: [{ ...ABORT, error: denied }] } });

    try {
      // Act
      const { record, execution } = await runAbort({ dispatcherEndpoint: proxy.endpoint, doc, upload });

      // Assert
      expect(execution.requests['s3:abortMultipartUpload']).toBe(1);
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('S3.AccessDeniedException');
      expect(record).toMatchObject({ status: 'FAILED', error: 'S3.AccessDeniedException', cause: expect.stringContaining('Access Denied') });
    } finally {
      await proxy.close();
    }
  });
});

describe('abort-upload input check', () => {
  it.each([
    ['no uploadId', { bucket: 'b-valid', key: 'k' }],
    ['an empty key', { bucket: 'b-valid', key: '', uploadId: 'u' }],
    ['a numeric bucket', { bucket: 42, key: 'k', uploadId: 'u' }],
    ['a requestPayer other than requester', { bucket: 'b-valid', key: 'k', uploadId: 'u', requestPayer: 'owner' }],
    ['an ifMatchInitiatedTime that is no timestamp', { bucket: 'b-valid', key: 'k', uploadId: 'u', ifMatchInitiatedTime: 'yesterday' }],
  ])('fails an input with %s before any S3 call', async (_, input) => {
    // Act
    const { execution } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: input as never });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidRequest');
    expect(execution.requests).toEqual({});
  });
});
