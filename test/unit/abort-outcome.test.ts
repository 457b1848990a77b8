/**
 * lib/abort-run.ts after and around the loop, with mocked clients: measureUpload (exact parts and bytes over every
 * ListParts page), decideOutcome (what the loop saw → the status), recordOutcome (the one conditional write).
 * Error names are given both as the local runtime names them and as AWS does (`S3.S3Exception`, Java-format cause).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { ListPartsCommand, NoSuchUpload, S3Client } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decideOutcome, IF_INITIATED_204, recordOutcome, Superseded, type LoopState } from '../../lib/abort-run.ts';
import { measureUpload } from '../../lib/measure.ts';
import { statusKey } from '../../lib/records.ts';

const s3Mock = mockClient(S3Client);
const docMock = mockClient(DynamoDBDocumentClient);
const s3 = new S3Client({ region: 'us-east-1' });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const PARAMETERS = { Bucket: 'data-lake', Key: 'k', UploadId: 'u', ExpectedBucketOwner: '111122223333' };
const GiB = 1024 ** 3;

beforeEach(() => {
  s3Mock.reset();
  docMock.reset();
});

/** ListParts pages as S3 answers them: at most 1,000 parts each, NextPartNumberMarker a number in the SDK's model */
function pagesOf(sizes: number[]) {
  for (let start = 0; start < Math.max(sizes.length, 1); start += 1000) {
    const page = sizes.slice(start, start + 1000).map((Size, i) => ({ PartNumber: start + i + 1, Size }));
    const truncated = start + 1000 < sizes.length;
    const marker = start === 0 ? undefined : String(start);
    s3Mock
      .on(ListPartsCommand, marker ? { PartNumberMarker: marker } : {})
      .resolves({ Parts: page, IsTruncated: truncated, ...(truncated ? { NextPartNumberMarker: String(start + 1000) } : {}) });
  }
}

describe('measureUpload', () => {
  it('sums 10,000 parts of 5 GiB over 10 pages exactly (53,687,091,200,000 bytes, far past 2^32)', async () => {
    // Arrange
    pagesOf(Array.from({ length: 10_000 }, () => 5 * GiB));

    // Act
    const measured = await measureUpload(s3, PARAMETERS);

    // Assert
    expect(measured).toEqual({ exists: true, parts: 10_000, bytes: 53_687_091_200_000 });
    const markers = s3Mock.commandCalls(ListPartsCommand).map((c) => c.args[0].input.PartNumberMarker);
    expect(markers).toEqual([undefined, '1000', '2000', '3000', '4000', '5000', '6000', '7000', '8000', '9000']);
    expect(s3Mock).toHaveReceivedCommandWith(ListPartsCommand, { ...PARAMETERS, MaxParts: 1000 });
  });

  it('adds sizes that differ per part exactly, across a page boundary', async () => {
    // Arrange
    const sizes = Array.from({ length: 1_250 }, (_, i) => 2 ** 31 + i);
    pagesOf(sizes);

    // Act
    const measured = await measureUpload(s3, PARAMETERS);

    // Assert
    expect(measured).toEqual({ exists: true, parts: 1_250, bytes: 1_250 * 2 ** 31 + (1_249 * 1_250) / 2 });
  });

  it('counts an upload without parts as existing and empty', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).resolves({ IsTruncated: false });

    // Act / Assert
    expect(await measureUpload(s3, PARAMETERS)).toEqual({ exists: true, parts: 0, bytes: 0 });
  });

  it('sends RequestPayer to ListParts but never IfMatchInitiatedTime (an abort-only parameter)', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, Size: 3 }], IsTruncated: false });

    // Act
    await measureUpload(s3, { ...PARAMETERS, RequestPayer: 'requester', IfMatchInitiatedTime: '2026-11-20T10:00:00Z' });

    // Assert
    const sent = s3Mock.commandCalls(ListPartsCommand)[0].args[0].input;
    expect(sent).toMatchObject({ RequestPayer: 'requester' });
    expect(sent).not.toHaveProperty('IfMatchInitiatedTime');
  });

  it('reports a missing upload (NoSuchUpload) as not existing, and lets every other error through', async () => {
    // Arrange
    s3Mock
      .on(ListPartsCommand)
      .rejectsOnce(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }))
      .rejectsOnce(new Error('AccessDenied'));

    // Act / Assert
    expect(await measureUpload(s3, PARAMETERS)).toEqual({ exists: false, parts: 0, bytes: 0 });
    await expect(measureUpload(s3, PARAMETERS)).rejects.toThrow('AccessDenied');
  });

  it('refuses a total past 2^53 rather than rounding it', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).resolves({
      Parts: [
        { PartNumber: 1, Size: Number.MAX_SAFE_INTEGER },
        { PartNumber: 2, Size: 2 },
      ],
      IsTruncated: false,
    });

    // Act / Assert
    await expect(measureUpload(s3, PARAMETERS)).rejects.toThrow(/9007199254740993 bytes/);
  });
});

const LOOP: LoopState = {
  run: { id: 'id-1', bucket: 'data-lake', key: 'k', uploadId: 'u', trigger: 'api', executionArn: 'arn:run', startedAt: '2026-11-20T10:00:00.000Z' },
  s3: PARAMETERS,
  variant: 'plain',
  next: 'abort',
  measure: { parts: 3, bytes: 600 },
  loop: { attempt: 0, waitSeconds: 5 },
  waits: [5, 10, 20],
  lastAttempt: 2,
};
const state = (fields: Partial<LoopState>, attempt = 0): LoopState => ({ ...LOOP, loop: { attempt, waitSeconds: 5 }, ...fields });
const javaCause = (message: string, status: number) => `${message} (Service: S3, Status Code: ${status}, Request ID: R, Extended Request ID: E)`;
const NO_SUCH_UPLOAD = { Error: 'S3.NoSuchUploadException', Cause: 'The specified upload does not exist. (Service: S3, Status Code: 404, Request ID: R)' };
const LISTED = { Parts: [{ PartNumber: 1, Size: 100 }] };
const THROTTLED = { Error: 'S3.S3Exception', Cause: javaCause('Please reduce your request rate.', 503) };
const LOST_500 = { Error: 'S3.S3Exception', Cause: javaCause('We encountered an internal error. Please try again.', 500) };
const RESET = { Error: 'S3.SdkClientException', Cause: 'Unable to execute HTTP request: Connection reset' };
const PRECONDITION = { Error: 'S3.S3Exception', Cause: javaCause('At least one of the pre-conditions you specified did not hold', 412) };
const NO_SUCH_BUCKET = { Error: 'S3.NoSuchBucketException', Cause: javaCause('The specified bucket does not exist', 404) };

describe('decideOutcome', () => {
  it.each([
    ['the check found the upload gone after the first abort', state({ abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }), { status: 'ABORTED', attempts: 1 }],
    ['the check found it gone after the third abort', state({ abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }, 2), { status: 'ABORTED', attempts: 3 }],
    [
      "the first abort's answer was lost (500) and the check found it gone",
      state({ abortAnswer: LOST_500, checkAnswer: NO_SUCH_UPLOAD }),
      { status: 'ABORTED', attempts: 1 },
    ],
    [
      "the first abort's answer was lost (reset) and the check found it gone",
      state({ abortAnswer: RESET, checkAnswer: NO_SUCH_UPLOAD }),
      { status: 'ABORTED', attempts: 1 },
    ],
    [
      'a second abort answered NoSuchUpload (the first took effect late)',
      state({ abortAnswer: NO_SUCH_UPLOAD, checkAnswer: LISTED }, 1),
      { status: 'ABORTED', attempts: 2 },
    ],
    [
      'the first abort answered NoSuchUpload (gone since the measure)',
      state({ abortAnswer: NO_SUCH_UPLOAD }),
      { status: 'NOT_FOUND', attempts: 1, cause: expect.stringMatching(/gone before its first abort/) },
    ],
    [
      'the check still listed parts after the last abort',
      state({ abortAnswer: {}, checkAnswer: LISTED }, 2),
      { status: 'PARTS_REMAIN', attempts: 3, cause: 'ListParts still listed the upload after 3 aborts' },
    ],
    [
      'the last abort was throttled, parts listed (AWS naming)',
      state({ abortAnswer: THROTTLED, checkAnswer: LISTED }, 2),
      { status: 'FAILED', error: 'SlowDown', attempts: 3 },
    ],
    [
      'the last abort was throttled, parts listed (local naming)',
      state({ abortAnswer: { Error: 'S3.SlowDownException', Cause: 'Please reduce your request rate.' }, checkAnswer: LISTED }, 2),
      { status: 'FAILED', error: 'SlowDown', attempts: 3 },
    ],
    [
      'a directory bucket refused the abort (412)',
      state({ abortAnswer: PRECONDITION, checkAnswer: LISTED }, 2),
      { status: 'FAILED', error: 'PreconditionFailed', attempts: 3 },
    ],
    [
      'a directory bucket refused the first abort (412): the definition records it at once, without a check',
      state({ variant: 'ifInitiated', abortAnswer: PRECONDITION }),
      { status: 'FAILED', error: 'PreconditionFailed', attempts: 1 },
    ],
    [
      'an IfMatchInitiatedTime abort answered 204 and the check found the upload gone: ABORTED, saying the 204 proves nothing',
      state({ variant: 'ifInitiated', abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }),
      { status: 'ABORTED', attempts: 1, cause: IF_INITIATED_204 },
    ],
    ['the check failed past its retries', state({ abortAnswer: {}, failure: THROTTLED }), { status: 'FAILED', error: 'SlowDown', attempts: 1 }],
    ['the abort answered NoSuchBucket', state({ failure: NO_SUCH_BUCKET }), { status: 'FAILED', error: 'NoSuchBucket', attempts: 1 }],
    ['the measure decided already (NOT_FOUND)', state({ next: 'record', outcome: { status: 'NOT_FOUND' } }), { status: 'NOT_FOUND', attempts: 0 }],
    [
      'the measure decided already (FAILED)',
      state({ next: 'record', outcome: { status: 'FAILED', error: 'AccessDenied', cause: 'Access Denied' } }),
      { status: 'FAILED', error: 'AccessDenied', cause: 'Access Denied', attempts: 0 },
    ],
  ])('%s', (_, loopState, outcome) => {
    expect(decideOutcome(loopState)).toEqual(outcome.status === 'FAILED' && !('cause' in outcome) ? { ...outcome, cause: expect.any(String) } : outcome);
  });

  it('never decides ABORTED unless S3 answered NoSuchUpload after an abort of this run', () => {
    // Arrange: every combination of answers without a NoSuchUpload
    const answers = [undefined, {}, THROTTLED, RESET, LOST_500, PRECONDITION];
    const checks = [undefined, LISTED, { Parts: [] }];

    // Act
    const statuses = answers.flatMap((abortAnswer) =>
      checks.flatMap((checkAnswer) => [0, 1, 2].map((attempt) => decideOutcome(state({ abortAnswer, checkAnswer }, attempt)).status)),
    );

    // Assert
    expect(statuses).toHaveLength(54);
    expect(statuses).not.toContain('ABORTED');
    expect(statuses).not.toContain('NOT_FOUND');
  });
});

describe('recordOutcome', () => {
  /** an ABORTED outcome is written in a transaction with its ledger ADD: the record's Update is its first item */
  const abortedWrite = (call = 0) => docMock.commandCalls(TransactWriteCommand)[call].args[0].input.TransactItems!;

  it('writes the outcome only while this execution owns the record and has not counted it, with its ledger ADD, and returns it', async () => {
    // Arrange
    docMock.on(TransactWriteCommand).resolves({});

    // Act
    const recorded = await recordOutcome(
      { doc, tableName: 'records' },
      state({ abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }),
      new Date('2026-11-20T10:01:00Z'),
    );

    // Assert
    expect(recorded).toEqual({ id: 'id-1', status: 'ABORTED', ok: true, attempts: 1, partsFound: 3, bytesFound: 600 });
    const [{ Update: update }, { Update: ledger }] = abortedWrite();
    expect(update).toMatchObject({
      TableName: 'records',
      Key: { id: 'id-1' },
      ConditionExpression: '#executionArn = :executionArn AND attribute_not_exists(#countedIn)',
    });
    expect(update!.ExpressionAttributeValues).toEqual({
      ':status': 'ABORTED',
      // the status index's key moves with the status
      ':statusKey': statusKey('id-1', 'ABORTED'),
      ':attempts': 1,
      ':partsFound': 3,
      ':bytesFound': 600,
      ':finishedAt': '2026-11-20T10:01:00.000Z',
      ':countedIn': 'ledger#data-lake#2026-11',
      ':executionArn': 'arn:run',
    });
    expect(update!.UpdateExpression).not.toMatch(/#error|#cause/);
    expect(ledger).toMatchObject({ Key: { id: 'ledger#data-lake#2026-11' } });
    expect(Object.values(ledger!.ExpressionAttributeValues!)).toEqual(['ledger', 'LEDGER', '2026-11', 'data-lake', 1, 600, 0, 1, 600]);
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it("writes the upload's storage class from the measure and the region the function runs in: the report prices by them", async () => {
    // Arrange
    docMock.on(TransactWriteCommand).resolves({});
    vi.stubEnv('AWS_REGION', 'eu-west-1');

    // Act
    await recordOutcome({ doc, tableName: 'records' }, { ...state({ abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }), storageClass: 'STANDARD_IA' });
    vi.unstubAllEnvs();

    // Assert
    const [{ Update: update }, { Update: ledger }] = abortedWrite();
    expect(update!.ExpressionAttributeValues).toMatchObject({ ':status': 'ABORTED', ':storageClass': 'STANDARD_IA', ':region': 'eu-west-1' });
    expect(Object.values(ledger!.ExpressionAttributeNames!)).toContain('c#eu-west-1#STANDARD_IA#bytes');
  });

  it('a retried write of a counted outcome writes the outcome alone: the record refuses a second ADD', async () => {
    // Arrange: the record's condition refused (countedIn is there), the outcome alone is written
    const cancelled = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
    });
    docMock.on(TransactWriteCommand).rejects(cancelled);
    docMock.on(UpdateCommand).resolves({});

    // Act
    const recorded = await recordOutcome({ doc, tableName: 'records' }, state({ abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }));

    // Assert
    expect(recorded.status).toBe('ABORTED');
    const plain = docMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(plain.ConditionExpression).toBe('#executionArn = :executionArn');
    expect(plain.ExpressionAttributeValues).not.toHaveProperty(':countedIn');
  });

  it("writes S3's code and the cause of a FAILED run, and says it did not succeed", async () => {
    // Arrange
    docMock.on(UpdateCommand).resolves({});
    const failure = { Error: 'S3.S3Exception', Cause: javaCause('Access Denied', 403) };

    // Act
    const recorded = await recordOutcome({ doc, tableName: 'records' }, state({ failure }));

    // Assert
    expect(recorded).toMatchObject({ status: 'FAILED', ok: false, error: 'AccessDenied' });
    expect(docMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues).toMatchObject({ ':error': 'AccessDenied', ':cause': failure.Cause });
  });

  it.each([
    ['PARTS_REMAIN', state({ abortAnswer: {}, checkAnswer: LISTED }, 2)],
    ['NOT_FOUND', state({ abortAnswer: NO_SUCH_UPLOAD })],
  ])('says whether a %s run succeeded', async (status, loopState) => {
    // Arrange
    docMock.on(UpdateCommand).resolves({});

    // Act
    const recorded = await recordOutcome({ doc, tableName: 'records' }, loopState);

    // Assert
    expect(recorded).toMatchObject({ status, ok: status === 'NOT_FOUND' });
  });

  it('throws Superseded when another run owns the record now, and lets other errors through for a retry', async () => {
    // Arrange
    const cancelled = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
    });
    docMock.on(TransactWriteCommand).rejectsOnce(cancelled).rejectsOnce(new Error('ServiceUnavailable'));
    docMock.on(UpdateCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    // Act / Assert
    await expect(recordOutcome({ doc, tableName: 'records' }, state({ abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }))).rejects.toThrow(Superseded);
    await expect(recordOutcome({ doc, tableName: 'records' }, state({ abortAnswer: {}, checkAnswer: NO_SUCH_UPLOAD }))).rejects.toThrow('ServiceUnavailable');
  });
});
