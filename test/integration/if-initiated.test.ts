/**
 * The IfMatchInitiatedTime abort on moto_server (the proxy answers S3 Express's CreateSession and plays the directory
 * bucket's 412): a 412 PreconditionFailed is permanent, recorded FAILED after one abort, never retried; an upload the
 * measure does not find gets no abort at all (S3 would answer 204 to it, which proves nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { CALLS, clientsThroughProxy, createSessionAnswer, errorAnswer, requestsOf, runThroughProxy, type ProxyRule } from '../support/abort-faults.ts';
import { enteredStates } from '../support/abort-checks.ts';
import { createUpload, startMotoWithTable, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
const BUCKET = 'dir--use1-az4--x-s3';

beforeAll(async () => {
  ({ moto } = await startMotoWithTable());
  await fetch(`${moto.endpoint}/${BUCKET}`, { method: 'PUT' });
});

afterAll(async () => {
  await moto?.stop();
});

/** a directory bucket's answer to an IfMatchInitiatedTime that does not match (AbortMultipartUpload, S3 API Reference) */
const PRECONDITION_FAILED: ProxyRule = {
  method: 'DELETE',
  url: () => true,
  request: CALLS.AbortMultipartUpload.matches,
  times: Infinity,
  respond: errorAnswer('s3', 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'),
};

async function directoryUpload(key: string) {
  const creator = await clientsThroughProxy(moto.endpoint, [createSessionAnswer]);
  try {
    return { upload: await createUpload(creator.s3, BUCKET, key, [10]), s3: creator.s3 as S3Client, close: creator.close };
  } catch (error) {
    await creator.close();
    throw error;
  }
}

describe('abort-upload with IfMatchInitiatedTime', () => {
  it('records a 412 PreconditionFailed as FAILED after one abort: no wait, no check, no second abort', async () => {
    // Arrange
    const { upload, close } = await directoryUpload('wrong-time');
    await close();

    // Act
    const { record, execution, requests } = await runThroughProxy(moto.endpoint, [createSessionAnswer, PRECONDITION_FAILED], {
      upload: { ...upload, ifMatchInitiatedTime: '2020-01-01T00:00:00Z' },
    });

    // Assert
    expect(record).toMatchObject({ status: 'FAILED', error: 'PreconditionFailed', attempts: 1, partsFound: 1 });
    expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(1);
    expect(requestsOf(requests, 'check ListParts')).toHaveLength(0);
    expect(enteredStates(execution.history)).toContain('Precondition failed?');
    expect(enteredStates(execution.history)).not.toContain('Wait for in-flight parts');
  });

  it('sends no abort for an upload the measure did not find, and records NOT_FOUND saying so', async () => {
    // Arrange: the upload is gone before the run begins
    const { upload, s3, close } = await directoryUpload('gone-before');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }));
    await close();

    // Act
    const { record, requests } = await runThroughProxy(moto.endpoint, [createSessionAnswer], {
      upload: { ...upload, ifMatchInitiatedTime: '2026-11-20T10:00:00Z' },
    });

    // Assert
    expect(record).toMatchObject({ status: 'NOT_FOUND', attempts: 0, cause: expect.stringMatching(/before any abort of this run/) });
    expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(0);
  });
});
