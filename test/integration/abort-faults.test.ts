/**
 * The fault matrix (every fault on every AWS call), on moto_server through the real definition: each fault, alone, on each AWS call of an
 * abort-upload run → the right terminal record, and never a false ABORTED (S3 is asked whether the upload is really
 * gone). Faults come from test/support/abort-faults.ts (the one place that knows how they are injected).
 *
 * Assertions are on behaviour (records, statuses, S3's own error codes through classifyTaskError), not on the names a
 * runtime gives injected errors: the same tests hold when unmodeled S3 errors arrive as `S3.S3Exception`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { classifyTaskError } from '../../lib/task-errors.ts';
import { CALLS, FAULTS, requestsOf, runWithFaults, type CallName, type FaultName } from '../support/abort-faults.ts';
import { deliverStatusChange, isGone, recordOf } from '../support/abort-checks.ts';
import { createBucket, createUpload, startMotoWithTable, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let s3: S3Client;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  ({ moto, s3, doc } = await startMotoWithTable());
  await createBucket(s3, 'fault-matrix');
});

afterAll(async () => {
  await moto?.stop();
});

const SIZES = [300, 200, 100];
let uploads = 0;
const newUpload = () => createUpload(s3, 'fault-matrix', `upload-${++uploads}.bin`, SIZES);

/**
 * Aborts sent by a run with one fault: a fault that kept the first abort from taking effect (refused, reset, or
 * answered 204 without being forwarded) costs a second abort; an abort that S3 applied and whose answer was lost
 * does not (the check proves the upload gone).
 */
function abortsAfter(call: CallName, fault: FaultName): number {
  if (call !== 'AbortMultipartUpload') return 1;
  return fault.startsWith('applied') ? 1 : 2;
}

const MATRIX = (Object.keys(CALLS) as CallName[]).flatMap((call) =>
  (Object.keys(FAULTS) as FaultName[])
    .filter((fault) => fault !== 'abort answered 204, not forwarded' || call === 'AbortMultipartUpload')
    .map((fault) => [call, fault, abortsAfter(call, fault)] as const),
);

describe('one fault, once, on each call of the workflow', () => {
  it('covers every call with every fault (26 cases)', () => {
    expect(MATRIX).toHaveLength(5 * 5 + 1);
  });

  it.each(MATRIX)('%s × %s → ABORTED after %i abort(s), the upload really gone', async (call, fault, aborts) => {
    // Arrange
    const upload = await newUpload();

    // Act
    const { execution, record, injected, requests } = await runWithFaults(moto.endpoint, [{ call, fault, times: 1 }], { upload, trigger: 'api' });

    // Assert
    expect(injected).toEqual([1]);
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(record).toMatchObject({ status: 'ABORTED', attempts: aborts, partsFound: 3, bytesFound: 600, executionArn: execution.executionArn });
    expect(record?.error).toBeUndefined();
    expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(aborts);
    expect(await isGone(s3, upload)).toBe(true);
  });
});

describe('a fault that outlasts the retries', () => {
  /** the record once the run has ended and the interrupted-runs rule has seen the execution's end, as on AWS */
  async function settled(upload: Awaited<ReturnType<typeof newUpload>>, execution: Parameters<typeof deliverStatusChange>[1]) {
    await deliverStatusChange(doc, execution);
    return recordOf(doc, upload);
  }

  it("on the abort: FAILED with S3's code SlowDown after the last allowed abort, the upload still there (no false ABORTED)", async () => {
    // Arrange
    const upload = await newUpload();

    // Act
    const { execution, record } = await runWithFaults(moto.endpoint, [{ call: 'AbortMultipartUpload', fault: '503 SlowDown', times: Infinity }], {
      upload,
      settings: { MaxAbortAttempts: 3 },
    });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(record).toMatchObject({ status: 'FAILED', error: 'SlowDown', attempts: 3, partsFound: 3, bytesFound: 600 });
    expect(await settled(upload, execution)).toEqual(record);
    expect(await isGone(s3, upload)).toBe(false);
  });

  it.each([
    ['503 SlowDown', 'SlowDown'],
    ['500 InternalError', 'InternalError'],
  ] as const)("on the check (%s every time): FAILED with S3's code %s, never ABORTED although the abort was applied", async (fault, code) => {
    // Arrange
    const upload = await newUpload();

    // Act
    const { execution, record, injected } = await runWithFaults(moto.endpoint, [{ call: 'check ListParts', fault, times: Infinity }], { upload });

    // Assert
    expect(injected).toEqual([6]); // the check's first try and its 5 retries
    expect(execution.status).toBe('FAILED');
    expect(record).toMatchObject({ status: 'FAILED', error: code, attempts: 1, partsFound: 3, bytesFound: 600 });
    expect(execution.error).toBe('AbortFailed');
    expect(await settled(upload, execution)).toEqual(record);
    expect(await isGone(s3, upload)).toBe(true);
  });

  it("on the measure: the execution fails with S3's code SlowDown, no abort is sent, and the record ends FAILED with it", async () => {
    // Arrange
    const upload = await newUpload();

    // Act
    const { execution, requests } = await runWithFaults(moto.endpoint, [{ call: 'measure ListParts', fault: '503 SlowDown', times: Infinity }], { upload });
    const record = await settled(upload, execution);

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(classifyTaskError({ Error: execution.error, Cause: execution.cause }).code).toBe('SlowDown');
    expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(0);
    expect(record).toMatchObject({ status: 'FAILED', error: 'SlowDown', executionArn: execution.executionArn });
    expect(await isGone(s3, upload)).toBe(false);
  });

  it("on the outcome's write: the upload is aborted, and the record ends FAILED (never left RUNNING)", async () => {
    // Arrange
    const upload = await newUpload();

    // Act
    const { execution } = await runWithFaults(moto.endpoint, [{ call: 'outcome write', fault: '503 SlowDown', times: Infinity }], { upload });
    const record = await settled(upload, execution);

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(classifyTaskError({ Error: execution.error, Cause: execution.cause }).code).toBe('ServiceUnavailable');
    expect(record).toMatchObject({ status: 'FAILED', error: 'ServiceUnavailable', executionArn: execution.executionArn });
    expect(record?.cause).toMatch(/run a recheck/);
    expect(await isGone(s3, upload)).toBe(true);
  });

  it("on the claim's UpdateItem: nothing is aborted and nothing is left RUNNING", async () => {
    // Arrange
    const upload = await newUpload();

    // Act
    const { execution, requests } = await runWithFaults(moto.endpoint, [{ call: 'claim UpdateItem', fault: '503 SlowDown', times: Infinity }], { upload });
    const record = await settled(upload, execution);

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(requestsOf(requests, 'measure ListParts')).toHaveLength(0);
    expect(requestsOf(requests, 'AbortMultipartUpload')).toHaveLength(0);
    expect(record?.status).not.toBe('RUNNING');
    expect(await isGone(s3, upload)).toBe(false);
  });

  // the claim never landed: the interrupted-runs rule creates the record, so no upload is left without one
  it("on the claim's UpdateItem: the upload still gets a FAILED record once DynamoDB answers again", async () => {
    // Arrange
    const upload = await newUpload();

    // Act
    const { execution } = await runWithFaults(moto.endpoint, [{ call: 'claim UpdateItem', fault: '503 SlowDown', times: Infinity }], {
      upload,
      trigger: 'event',
    });
    const record = await settled(upload, execution);

    // Assert
    expect(record).toMatchObject({ status: 'FAILED', error: 'ServiceUnavailable', executionArn: execution.executionArn });
  });
});
