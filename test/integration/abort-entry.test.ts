/**
 * abort-upload's first state, on moto_server through the real definition: the input rules every entry shares (an
 * invalid input or a bucket outside the allowlist fails "Prepare run" with InvalidRequest before any S3 call, and
 * writes nothing), and who owns an upload's record (a busy record, a finished one, a recheck, a sweep's run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recheckExecutionName, recordId } from '../../lib/record-id.ts';
import { runInput } from '../../lib/validation.ts';
import { afterCall, requestsOf, runThroughProxy, runWithFaults } from '../support/abort-faults.ts';
import { deliverStatusChange, enteredStates, errorMessageOf, isGone, putRecord, recordsOfExecution, uploadsIn } from '../support/abort-checks.ts';
import type { SeenRequest } from '../support/fault-proxy.ts';
import { createBucket, createUpload, startMotoWithTable, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let s3: S3Client;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  ({ moto, s3, doc } = await startMotoWithTable());
  await createBucket(s3, 'entry-rules');
});

afterAll(async () => {
  await moto?.stop();
});

const isS3 = (r: SeenRequest) => r.method !== 'POST' || !r.headers['x-amz-target'];
const isDynamoDbWrite = (r: SeenRequest) =>
  /DynamoDB_20120810\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)/.test(String(r.headers['x-amz-target']));
const GOOD = { bucket: 'entry-rules', key: 'k', uploadId: 'VXBsb2FkIElE' };

describe('abort-upload input rules', () => {
  it.each([
    ['a request without uploadId', { request: { bucket: 'entry-rules', key: 'k' }, trigger: 'api' }, /request\.uploadId: is required/],
    ['an uploadId with "/"', { request: { ...GOOD, uploadId: 'U/a' }, trigger: 'event' }, /request\.uploadId: must be printable ASCII without "\/"/],
    ['an uploadId with a control character', { request: { ...GOOD, uploadId: 'U\u0000a' }, trigger: 'event' }, /request\.uploadId/],
    ['an uploadId of 1,025 characters', { request: { ...GOOD, uploadId: 'u'.repeat(1025) }, trigger: 'event' }, /request\.uploadId: must be at most 1,024/],
    ['a key of 2,000 bytes', { request: { ...GOOD, key: 'k'.repeat(2000) }, trigger: 'event' }, /request\.key: must be 1 to 1,024 bytes/],
    [
      'a bucket with a reserved prefix',
      { request: { ...GOOD, bucket: 'xn--entry' }, trigger: 'event' },
      /request\.bucket: must not start with the reserved prefix xn--/,
    ],
    ['a bucket that is no bucket name', { request: { ...GOOD, bucket: 'Entry_Rules' }, trigger: 'event' }, /request\.bucket/],
    ['a requestPayer other than requester', { request: { ...GOOD, requestPayer: 'owner' }, trigger: 'api' }, /request\.requestPayer/],
    [
      'ifMatchInitiatedTime on a general purpose bucket',
      { request: { ...GOOD, ifMatchInitiatedTime: '2026-11-20T10:00:00Z' }, trigger: 'api' },
      /request\.ifMatchInitiatedTime: is only for directory buckets/,
    ],
    ['a spoofed trigger', { request: GOOD, trigger: 'admin' }, /trigger: must be one of/],
    ['a sweepId without trigger "sweep"', { request: GOOD, trigger: 'event', sweepId: 'sweep-1' }, /sweepId: is set by sweeps only/],
    ['trigger "sweep" without sweepId', { request: GOOD, trigger: 'sweep' }, /sweepId: is required/],
    ['an unknown envelope field', { request: GOOD, trigger: 'api', status: 'ABORTED' }, /status: is not a known field/],
    ['a bare request without the envelope', GOOD, /bucket: is not a known field/],
    ['recheck that is no boolean', { request: GOOD, trigger: 'api', recheck: 'yes' }, /recheck: must be true or false/],
    ['an array', [GOOD], /input: must be a JSON object/],
  ])('fails %s in "Prepare run" with InvalidRequest, before any S3 call and without a record', async (_, input, problem) => {
    // Act
    const { execution, record, requests } = await runThroughProxy(moto.endpoint, [], { upload: GOOD, input });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidRequest');
    expect(errorMessageOf(execution)).toMatch(problem);
    expect(enteredStates(execution.history)).toEqual(['Prepare run']);
    expect(execution.requests).toEqual({ 'lambda:invoke': 1 }); // InvalidRequest is not retried
    expect(requests.filter(isS3)).toEqual([]);
    expect(requests.filter(isDynamoDbWrite)).toEqual([]);
    expect(record).toBeUndefined();
    await deliverStatusChange(doc, execution); // the interrupted-runs rule sees the failed execution, as on AWS
    expect(await recordsOfExecution(doc, execution.executionArn)).toEqual([]);
  });

  it('refuses a bucket outside the allowlist in "Prepare run", before any S3 call and without a record', async () => {
    // Arrange
    const upload = await createUpload(s3, 'entry-rules', 'outside/allowlist', [10]);

    // Act
    const { execution, record, requests } = await runThroughProxy(moto.endpoint, [], { upload, trigger: 'event', allowedBuckets: 'logs-*,backups' });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidRequest');
    expect(errorMessageOf(execution)).toMatch(/"entry-rules" is not in this deployment's allowlist/);
    expect(requests.filter(isS3)).toEqual([]);
    expect(requests.filter(isDynamoDbWrite)).toEqual([]);
    expect(record).toBeUndefined();
    await deliverStatusChange(doc, execution);
    expect(await recordsOfExecution(doc, execution.executionArn)).toEqual([]);
    expect((await uploadsIn(s3, 'entry-rules')).map((u) => u.UploadId)).toContain(upload.uploadId);
  });

  it('refuses trigger "sweep" with a sweepId that names no running sweep, and writes nothing', async () => {
    // Arrange: the id of an upload record, not of a sweep
    const upload = await createUpload(s3, 'entry-rules', 'spoofed/sweep', [10]);
    const other = await putRecord(doc, { ...upload, uploadId: 'another-upload' }, { status: 'ABORTED' });

    // Act
    const { execution, record, requests } = await runThroughProxy(moto.endpoint, [], { upload, input: runInput(upload, 'sweep', { sweepId: other.id }) });

    // Assert
    expect(execution.error).toBe('InvalidRequest');
    expect(errorMessageOf(execution)).toMatch(/names no running sweep/);
    expect(requests.filter(isS3)).toEqual([]);
    expect(requests.filter(isDynamoDbWrite)).toEqual([]);
    expect(record).toBeUndefined();
  });
});

describe('abort-upload record ownership', () => {
  it('leaves a record RUNNING under another execution alone: "Another run owns this upload", nothing changed', async () => {
    // Arrange
    const upload = await createUpload(s3, 'entry-rules', 'busy', [10, 20]);
    const before = await putRecord(doc, upload, { status: 'RUNNING' });

    // Act
    const { execution, record, requests } = await runThroughProxy(moto.endpoint, [], { upload, trigger: 'event' });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(enteredStates(execution.history)).toEqual(['Prepare run', 'What next?', 'Another run owns this upload']);
    expect(record).toEqual(before);
    expect(requests.filter(isS3)).toEqual([]);
    expect(await isGone(s3, upload)).toBe(false);
  });

  it('keeps a finished record when the same event is delivered twice: "Already recorded", ABORTED stays ABORTED with its parts and bytes', async () => {
    // Arrange: the first delivery aborts the upload
    const upload = await createUpload(s3, 'entry-rules', 'delivered/twice', [100, 100, 100]);
    const first = await runThroughProxy(moto.endpoint, [], { upload, trigger: 'event', executionName: 'event-delivery-1' });
    expect(first.record).toMatchObject({ status: 'ABORTED', partsFound: 3, bytesFound: 300 });

    // Act: EventBridge delivers the same event again (a new execution, with a name of its own)
    const second = await runThroughProxy(moto.endpoint, [], { upload, trigger: 'event', executionName: 'event-delivery-2' });

    // Assert
    expect(second.execution.status).toBe('SUCCEEDED');
    expect(enteredStates(second.execution.history)).toEqual(['Prepare run', 'What next?', 'Already recorded']);
    expect(second.record).toEqual(first.record);
    expect(second.requests.filter(isS3)).toEqual([]);
  });

  // A second execution with the same name (the CLI and the demo name runs abort-<id> without reading the record first; a
  // name is free again once Step Functions forgets the first execution) must not overwrite a finished record.
  it('keeps a finished record when a later run reuses the execution name: "Already recorded"', async () => {
    // Arrange: the first run aborts the upload under the ordinary name abort-<id>
    const upload = await createUpload(s3, 'entry-rules', 'same/name', [100, 100, 100]);
    const first = await runThroughProxy(moto.endpoint, [], { upload, trigger: 'cli' });
    expect(first.record).toMatchObject({ status: 'ABORTED', partsFound: 3, bytesFound: 300 });

    // Act: the same name again, on a runtime that no longer knows the first execution
    const second = await runThroughProxy(moto.endpoint, [], { upload, trigger: 'cli' });

    // Assert
    expect(second.execution.executionArn).toBe(first.execution.executionArn);
    expect(enteredStates(second.execution.history)).toEqual(['Prepare run', 'What next?', 'Already recorded']);
    expect(second.record).toEqual(first.record);
  });

  it('lets a recheck take a finished record over: PARTS_REMAIN, then a recheck that aborts it records ABORTED', async () => {
    // Arrange: a first run whose aborts are all lost ends PARTS_REMAIN
    const upload = await createUpload(s3, 'entry-rules', 'rechecked', [10, 20]);
    const lost = await runWithFaults(moto.endpoint, [{ call: 'AbortMultipartUpload', fault: 'abort answered 204, not forwarded', times: Infinity }], {
      upload,
      settings: { MaxAbortAttempts: 2 },
    });
    expect(lost.record).toMatchObject({ status: 'PARTS_REMAIN', attempts: 2 });
    const name = recheckExecutionName(recordId(upload.bucket, upload.key, upload.uploadId));

    // Act
    const { execution, record } = await runThroughProxy(moto.endpoint, [], { upload, input: runInput(upload, 'api', { recheck: true }), executionName: name });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(record).toMatchObject({ status: 'ABORTED', attempts: 1, partsFound: 2, bytesFound: 30, trigger: 'api', executionArn: execution.executionArn });
    expect(record?.cause).toBeUndefined();
    expect(await isGone(s3, upload)).toBe(true);
  });

  it('does not let a recheck take over a record that another run holds RUNNING', async () => {
    // Arrange
    const upload = await createUpload(s3, 'entry-rules', 'recheck/busy', [10]);
    const before = await putRecord(doc, upload, { status: 'RUNNING' });

    // Act
    const { execution, record } = await runThroughProxy(moto.endpoint, [], {
      upload,
      input: runInput(upload, 'api', { recheck: true }),
      executionName: 'recheck-busy',
    });

    // Assert
    expect(enteredStates(execution.history)).toEqual(['Prepare run', 'What next?', 'Another run owns this upload']);
    expect(record).toEqual(before);
    expect(await isGone(s3, upload)).toBe(false);
  });

  it('does not overwrite a record that another run took over while this one worked: Superseded, the record left alone', async () => {
    // Arrange: while the run checks for parts, another execution owns the record (as a recheck would)
    const upload = await createUpload(s3, 'entry-rules', 'taken/over', [10]);
    const takeOver = afterCall('check ListParts', () =>
      putRecord(doc, upload, { status: 'RUNNING', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-abort-upload:newer-run' }),
    );

    // Act
    const { execution, record } = await runThroughProxy(moto.endpoint, [takeOver], { upload });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Superseded');
    expect(execution.requests['lambda:invoke']).toBe(2); // Prepare run, Record outcome once: Superseded is not retried
    expect(record).toMatchObject({ status: 'RUNNING', executionArn: expect.stringMatching(/:newer-run$/) });
    expect(await isGone(s3, upload)).toBe(true);
  });

  it('measures a dry run and aborts nothing: WOULD_ABORT', async () => {
    // Arrange
    const upload = await createUpload(s3, 'entry-rules', 'dry/run', [10, 20, 30]);

    // Act
    const { execution, record, requests } = await runThroughProxy(moto.endpoint, [], { upload, input: runInput(upload, 'cli', { dryRun: true }) });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(record).toMatchObject({ status: 'WOULD_ABORT', attempts: 0, partsFound: 3, bytesFound: 60, trigger: 'cli' });
    expect(requestsOf(requests, 'AbortMultipartUpload')).toEqual([]);
    expect(await isGone(s3, upload)).toBe(false);
  });

  it('runs for a running sweep and keeps its sweepId on the record', async () => {
    // Arrange
    const upload = await createUpload(s3, 'entry-rules', 'swept', [10]);
    const sweep = await putRecord(
      doc,
      { bucket: 'entry-rules', key: '', uploadId: 'sweep' },
      { recordType: 'sweep' as never, status: 'RUNNING', id: 'sweep-entry-rules' },
    );

    // Act
    const { record } = await runThroughProxy(moto.endpoint, [], { upload, input: runInput(upload, 'sweep', { sweepId: sweep.id }) });

    // Assert
    expect(record).toMatchObject({ status: 'ABORTED', trigger: 'sweep', sweepId: 'sweep-entry-rules' });
    expect(await isGone(s3, upload)).toBe(true);
  });
});
