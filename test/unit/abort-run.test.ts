/**
 * lib/abort-run.ts with mocked S3 and DynamoDB clients: prepareRun (validate, allowlist, claim, measure),
 * measureUpload (exact totals over pages), decideOutcome (what the loop saw → the outcome), recordOutcome (one write).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { HeadObjectCommand, ListPartsCommand, NoSuchUpload, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GONE_BEFORE_MEASURE, InvalidRequest, prepareRun, waitSchedule, type PrepareRunEvent, type RunDeps } from '../../lib/abort-run.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { recordId } from '../../lib/record-id.ts';
import { runInput, type AbortRequest } from '../../lib/validation.ts';

const s3Mock = mockClient(S3Client);
const docMock = mockClient(DynamoDBDocumentClient);
const deps = (allowed = '*'): RunDeps => ({
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  s3: new S3Client({ region: 'us-east-1' }),
  tableName: 'records',
  allowlist: parseAllowlist(allowed),
});

const ARN = 'arn:aws:states:us-east-1:111122223333:execution:mpu-reaper-abort-upload:abort-1';
const UPLOAD: AbortRequest = { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'VXBsb2FkIElE' };
const SETTINGS = { firstWaitSeconds: 5, maxWaitSeconds: 60, maxAbortAttempts: 6, retentionSeconds: 90 * 86_400 };
const event = (input: unknown): PrepareRunEvent => ({ input, executionArn: ARN, startTime: '2026-11-20T10:00:00.123Z', settings: SETTINGS });
const s3Error = (name: string, status: number, message = name) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
const parts = (sizes: number[], first = 1) => sizes.map((Size, i) => ({ PartNumber: first + i, Size }));

beforeEach(() => {
  s3Mock.reset();
  docMock.reset();
  docMock.on(UpdateCommand).resolves({});
  docMock.on(GetCommand).resolves({});
  s3Mock.on(ListPartsCommand).resolves({ Parts: parts([5, 7]), IsTruncated: false });
});

describe('prepareRun', () => {
  it('claims the record for this execution, measures the upload and hands the loop its parameters', async () => {
    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'event')));

    // Assert
    const id = recordId(UPLOAD.bucket, UPLOAD.key, UPLOAD.uploadId);
    expect(prepared).toEqual({
      run: { id, ...UPLOAD, trigger: 'event', executionArn: ARN, startedAt: '2026-11-20T10:00:00.123Z' },
      s3: { Bucket: 'data-lake', Key: 'a/b.bin', UploadId: 'VXBsb2FkIElE', ExpectedBucketOwner: '111122223333' },
      variant: 'plain',
      next: 'abort',
      measure: { parts: 2, bytes: 12 },
      loop: { attempt: 0, waitSeconds: 5 },
      waits: [5, 10, 20, 40, 60, 60],
      lastAttempt: 5,
    });
    const claim = docMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(claim).toMatchObject({
      TableName: 'records',
      Key: { id },
      ConditionExpression: 'attribute_not_exists(#status) OR (#executionArn = :executionArn AND #status = :status)',
    });
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
    expect(claim.ExpressionAttributeValues).toMatchObject({
      ':status': 'RUNNING',
      ':attempts': 0,
      ':recordType': 'upload',
      ':executionArn': ARN,
      ':trigger': 'event',
      ':expiresAt': Math.floor(Date.parse('2026-11-20T10:00:00.123Z') / 1000) + 90 * 86_400,
    });
    expect(claim.UpdateExpression).toMatch(
      / REMOVE #finishedAt, #error, #cause, #partsFound, #bytesFound, #lastPartAt, #verified, #storageClass, #region, #dryRun, #sweepId$/,
    );
    expect(s3Mock).toHaveReceivedCommandWith(ListPartsCommand, {
      Bucket: 'data-lake',
      Key: 'a/b.bin',
      UploadId: 'VXBsb2FkIElE',
      ExpectedBucketOwner: '111122223333',
      MaxParts: 1000,
    });
  });

  it('writes no expiresAt, and removes an earlier one, when the stack keeps records (retention 0)', async () => {
    // Act
    await prepareRun(deps(), { ...event(runInput(UPLOAD, 'event')), settings: { ...SETTINGS, retentionSeconds: 0 } });

    // Assert
    const claim = docMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(claim.ExpressionAttributeValues).not.toHaveProperty([':expiresAt']);
    expect(claim.UpdateExpression).toMatch(
      / REMOVE #finishedAt, #error, #cause, #partsFound, #bytesFound, #lastPartAt, #verified, #storageClass, #region, #dryRun, #sweepId, #expiresAt$/,
    );
  });

  const FINISHED = {
    status: 'ABORTED',
    executionArn: 'arn:earlier',
    trigger: 'api',
    attempts: 1,
    partsFound: 3,
    bytesFound: 300,
    finishedAt: '2026-11-19T10:00:00.000Z',
    error: '',
    history: [{ status: 'WOULD_ABORT', partsFound: 3, bytesFound: 300, dryRun: true }],
  };

  it('lets a recheck take over a finished record, on condition it is still what was read, keeping its outcome in history', async () => {
    // Arrange: the claim without a read is refused (the record exists), the claim after the read succeeds
    docMock
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))
      .resolves({});
    docMock.on(GetCommand).resolves({ Item: FINISHED });

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'api', { recheck: true })));

    // Assert
    expect(prepared.next).toBe('abort');
    const claim = docMock.commandCalls(UpdateCommand)[1].args[0].input;
    expect(claim.ConditionExpression).toBe('#executionArn = :readArn AND #status = :readStatus');
    expect(claim.ExpressionAttributeValues).toMatchObject({ ':readArn': 'arn:earlier', ':readStatus': 'ABORTED' });
    expect(claim.ExpressionAttributeValues?.[':history']).toEqual([
      { status: 'WOULD_ABORT', partsFound: 3, bytesFound: 300, dryRun: true },
      { status: 'ABORTED', partsFound: 3, bytesFound: 300, attempts: 1, finishedAt: '2026-11-19T10:00:00.000Z', executionArn: 'arn:earlier', trigger: 'api' },
    ]);
  });

  it.each(['event', 'cli', 'api', 'deadline'] as const)("lets any real run (%s) take over a dry run's WOULD_ABORT and drops dryRun", async (trigger) => {
    // Arrange
    const dryRun = {
      status: 'WOULD_ABORT',
      executionArn: 'arn:sweep',
      trigger: 'sweep',
      sweepId: 's1',
      dryRun: true,
      attempts: 0,
      partsFound: 2,
      bytesFound: 9,
    };
    docMock
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))
      .resolves({});
    docMock.on(GetCommand).resolves({ Item: dryRun });

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, trigger)));

    // Assert
    expect(prepared.next).toBe('abort');
    const claim = docMock.commandCalls(UpdateCommand)[1].args[0].input;
    expect(claim.UpdateExpression).toMatch(/REMOVE .*#dryRun/);
    expect(claim.ExpressionAttributeValues?.[':history']).toEqual([
      { status: 'WOULD_ABORT', executionArn: 'arn:sweep', trigger: 'sweep', sweepId: 's1', dryRun: true, attempts: 0, partsFound: 2, bytesFound: 9 },
    ]);
  });

  it('leaves a WOULD_ABORT to another dry run: it is recorded, not taken over', async () => {
    // Arrange
    docMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    docMock.on(GetCommand).resolves({ Item: { status: 'WOULD_ABORT', executionArn: 'arn:sweep' } });

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'cli', { dryRun: true })));

    // Assert
    expect(prepared).toMatchObject({ next: 'recorded', owner: { status: 'WOULD_ABORT', executionArn: 'arn:sweep' } });
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('reads again when the record changed between its read and the claim, and then respects the new owner', async () => {
    // Arrange: a WOULD_ABORT, then another run's ABORTED written before this claim
    docMock
      .on(GetCommand)
      .resolvesOnce({ Item: { status: 'WOULD_ABORT', executionArn: 'arn:sweep' } })
      .resolves({ Item: { status: 'ABORTED', executionArn: 'arn:other' } });
    docMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'event')));

    // Assert
    expect(prepared).toMatchObject({ next: 'recorded', owner: { status: 'ABORTED', executionArn: 'arn:other' } });
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it.each([
    ['an invalid request', runInput({ ...UPLOAD, uploadId: 'U/a' }, 'event'), '*', /request\.uploadId/],
    ['no envelope', UPLOAD, '*', /bucket: is not a known field/],
    ['a bucket outside the allowlist', runInput(UPLOAD, 'event'), 'logs-*', /not in this deployment's allowlist/],
  ])('throws InvalidRequest for %s before touching DynamoDB or S3', async (_, input, allowed, message) => {
    // Act
    const prepared = prepareRun(deps(allowed), event(input));

    // Assert
    await expect(prepared).rejects.toThrow(InvalidRequest);
    await expect(prepared).rejects.toMatchObject({ name: 'InvalidRequest', message: expect.stringMatching(message) });
    expect(docMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it.each([
    ['no record', undefined],
    ['an upload record', { recordType: 'upload', status: 'RUNNING' }],
    ['a finished sweep', { recordType: 'sweep', status: 'COMPLETED' }],
  ])('refuses a sweepId naming %s: InvalidRequest, nothing written', async (_, item) => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: item });

    // Act
    const prepared = prepareRun(deps(), event(runInput(UPLOAD, 'sweep', { sweepId: 'sweep-1' })));

    // Assert
    await expect(prepared).rejects.toThrow(/sweepId: "sweep-1" names no running sweep/);
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it.each([
    ['RUNNING', 'busy'],
    ['ABORTED', 'recorded'],
    ['NOT_FOUND', 'recorded'],
  ])('reports the owner of a record it cannot claim (%s → %s) and measures nothing', async (status, next) => {
    // Arrange
    docMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    docMock.on(GetCommand).resolves({ Item: { status, executionArn: 'arn:other' } });

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'event')));

    // Assert
    expect(prepared).toMatchObject({ next, owner: { status, executionArn: 'arn:other' } });
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('records NOT_FOUND without an abort when ListParts answers NoSuchUpload', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'The specified upload does not exist.', $metadata: { httpStatusCode: 404 } }));

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'event')));

    // Assert
    expect(prepared).toMatchObject({ next: 'record', outcome: { status: 'NOT_FOUND', cause: GONE_BEFORE_MEASURE }, measure: { parts: 0, bytes: 0 } });
    expect(GONE_BEFORE_MEASURE).toMatch(/before any abort of this run/);
    expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);
  });

  const INITIATED = '2026-11-20T04:00:00Z';
  it.each([
    [
      'an object written after the upload began',
      { LastModified: new Date('2026-11-20T09:00:00Z') },
      INITIATED,
      'COMPLETED_BEFORE_DEADLINE',
      /at or after the upload was initiated/,
    ],
    [
      'an object written in the second the upload began',
      { LastModified: new Date('2026-11-20T04:00:00Z') },
      '2026-11-20T04:00:00.700Z',
      'COMPLETED_BEFORE_DEADLINE',
      /at or after/,
    ],
    [
      'an object older than the upload',
      { LastModified: new Date('2026-11-19T09:00:00Z') },
      INITIATED,
      'NOT_FOUND',
      /before the upload was initiated .*not the upload's/,
    ],
    [
      'an object, but no initiation time given',
      { LastModified: new Date('2026-11-20T09:00:00Z') },
      undefined,
      'NOT_FOUND',
      /without the upload's initiation time/,
    ],
    ['no object (404)', new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } }), INITIATED, 'NOT_FOUND', /No object is at the key/],
  ])('tells a deadline run with no upload apart by HeadObject: %s → %s', async (_, head, initiated, status, cause) => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    if (head instanceof Error) s3Mock.on(HeadObjectCommand).rejects(head);
    else s3Mock.on(HeadObjectCommand).resolves(head);

    // Act
    const prepared = await prepareRun(deps(), event({ ...runInput(UPLOAD, 'deadline'), ...(initiated ? { initiated } : {}) }));

    // Assert
    expect(prepared.outcome).toEqual({ status, cause: expect.stringMatching(cause) });
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'data-lake', Key: 'a/b.bin', ExpectedBucketOwner: '111122223333' });
  });

  it('refuses an initiation time that is no ISO-8601 time: InvalidRequest naming initiated', async () => {
    await expect(prepareRun(deps(), event({ ...runInput(UPLOAD, 'deadline'), initiated: 'yesterday' }))).rejects.toThrow(/initiated: must be an ISO-8601 time/);
  });

  it('never sends an IfMatchInitiatedTime abort for an upload the measure did not find: NOT_FOUND (S3 would answer 204 to it)', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    const directory = { bucket: 'data--use1-az4--x-s3', key: 'k', uploadId: 'u', ifMatchInitiatedTime: '2026-11-20T10:00:00Z' };

    // Act
    const prepared = await prepareRun(deps(), event(runInput(directory, 'api')));

    // Assert
    expect(prepared).toMatchObject({ variant: 'ifInitiated', next: 'record', outcome: { status: 'NOT_FOUND', cause: GONE_BEFORE_MEASURE } });
  });

  it('measures a dry run and aborts nothing: WOULD_ABORT', async () => {
    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'cli', { dryRun: true })));

    // Assert
    expect(prepared).toMatchObject({ next: 'record', outcome: { status: 'WOULD_ABORT' }, measure: { parts: 2, bytes: 12 } });
  });

  it("records FAILED with S3's code when S3 refuses the measure (404 NoSuchBucket): retrying cannot help", async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'));

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'api')));

    // Assert
    expect(prepared).toMatchObject({
      next: 'record',
      outcome: { status: 'FAILED', error: 'NoSuchBucket', cause: expect.stringMatching(/^The specified bucket does not exist .*404/) },
    });
  });

  it('aborts an upload whose ListParts S3 refuses (403, e.g. SSE-KMS without kms:Decrypt), saying what to grant', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'api')));

    // Assert: no outcome yet, the loop aborts it; the reason names kms:Decrypt through S3
    expect(prepared.next).toBe('abort');
    expect(prepared.outcome).toBeUndefined();
    expect(prepared.unreadable).toMatch(/AccessDenied.*kms:Decrypt.*kms:ViaService = s3\.[a-z0-9-]+\.amazonaws\.com/);
  });

  it('with idleFor, skips an upload whose ListParts S3 refuses (SKIPPED_UNREADABLE): the guard cannot see its parts', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));

    // Act
    const prepared = await prepareRun(deps(), event(runInput({ ...UPLOAD, idleFor: '15m' }, 'api')));

    // Assert
    expect(prepared).toMatchObject({
      next: 'record',
      outcome: { status: 'SKIPPED_UNREADABLE', error: 'AccessDenied', cause: expect.stringMatching(/kms:Decrypt/) },
    });
  });

  it('with idleFor, skips an upload whose newest part (over every ListParts page) is within the window, and aborts an idle one', async () => {
    // Arrange: two pages of parts; the newest part is on the second page, 5 minutes old
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
    s3Mock
      .on(ListPartsCommand, { PartNumberMarker: undefined })
      .resolves({ Parts: [{ PartNumber: 1, Size: 5, LastModified: at(60) }], IsTruncated: true, NextPartNumberMarker: '1' })
      .on(ListPartsCommand, { PartNumberMarker: '1' })
      .resolves({ Parts: [{ PartNumber: 2, Size: 7, LastModified: at(5) }], IsTruncated: false });

    // Act
    const active = await prepareRun(deps(), event(runInput({ ...UPLOAD, idleFor: '15m' }, 'api')));
    const idle = await prepareRun(deps(), event(runInput({ ...UPLOAD, idleFor: '4m' }, 'api')));
    const unguarded = await prepareRun(deps(), event(runInput(UPLOAD, 'api')));

    // Assert
    const lastPartAt = at(5).toISOString();
    expect(active).toMatchObject({ next: 'record', lastPartAt, measure: { parts: 2, bytes: 12 }, outcome: { status: 'SKIPPED_ACTIVE' } });
    expect(active.outcome?.cause).toContain(lastPartAt);
    expect(idle).toMatchObject({ next: 'abort', lastPartAt });
    expect(unguarded).toMatchObject({ next: 'abort', lastPartAt });
  });

  it.each([
    ['503 SlowDown', s3Error('SlowDown', 503)],
    ['500 InternalError', s3Error('InternalError', 500)],
    ['a reset connection (no HTTP status)', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 3 } })],
    ['throttling on a 4xx', s3Error('SlowDown', 400)],
  ])('throws a transient measure error (%s) so that Step Functions retries the state', async (_, error) => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(error);

    // Act / Assert
    await expect(prepareRun(deps(), event(runInput(UPLOAD, 'api')))).rejects.toBe(error);
  });

  it.each([
    [
      { ...UPLOAD, requestPayer: 'requester' as const, expectedBucketOwner: '444455556666' },
      'requesterPays',
      { RequestPayer: 'requester', ExpectedBucketOwner: '444455556666' },
    ],
    [
      { ...UPLOAD, bucket: 'data--use1-az4--x-s3', ifMatchInitiatedTime: '2026-11-20T10:00:00Z' },
      'ifInitiated',
      { IfMatchInitiatedTime: '2026-11-20T10:00:00Z' },
    ],
  ])('picks the abort variant that sends the optional parameters: %j → %s', async (request, variant, parameters) => {
    // Act
    const prepared = await prepareRun(deps(), event(runInput(request, 'api')));

    // Assert
    expect(prepared.variant).toBe(variant);
    expect(prepared.s3).toMatchObject(parameters);
    expect(s3Mock.commandCalls(ListPartsCommand)[0].args[0].input).not.toHaveProperty('IfMatchInitiatedTime');
  });
});

describe('waitSchedule', () => {
  it.each([
    [{ firstWaitSeconds: 5, maxWaitSeconds: 60, maxAbortAttempts: 6 }, [5, 10, 20, 40, 60, 60]],
    [{ firstWaitSeconds: 2, maxWaitSeconds: 10, maxAbortAttempts: 5 }, [2, 4, 8, 10, 10]],
    [{ firstWaitSeconds: 0, maxWaitSeconds: 60, maxAbortAttempts: 3 }, [0, 0, 0]],
    [{ firstWaitSeconds: 7, maxWaitSeconds: 5, maxAbortAttempts: 2 }, [5, 5]],
    [{ firstWaitSeconds: 1, maxWaitSeconds: 60, maxAbortAttempts: 1 }, [1]],
  ])('doubles from the first wait up to the cap, one wait per allowed abort: %j', (settings, waits) => {
    expect(waitSchedule(settings)).toEqual(waits);
  });
});

describe('prepareRun: an upload a running sweep covers', () => {
  const SWEEP = { id: 'sweep-1', executionArn: 'arn:aws:states:us-east-1:111122223333:execution:mpu-reaper-sweep-uploads:sweep-1' };

  it('is busy, owned by the sweep, for an event or CLI run: nothing claimed, nothing measured', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [{ ...SWEEP, targets: JSON.stringify([{ bucket: 'data-lake', prefix: 'a/' }]) }] });

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'event')));

    // Assert
    expect(prepared).toMatchObject({ next: 'busy', owner: { status: 'RUNNING', executionArn: SWEEP.executionArn } });
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
    expect(s3Mock).not.toHaveReceivedCommand(ListPartsCommand);
  });

  it('is claimed as usual when the sweep covers another prefix', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [{ ...SWEEP, targets: JSON.stringify([{ bucket: 'data-lake', prefix: 'logs/' }]) }] });
    docMock.on(UpdateCommand).resolves({});
    s3Mock.on(ListPartsCommand).resolves({ Parts: parts([5]) });

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'event')));

    // Assert
    expect(prepared.next).toBe('abort');
    expect(docMock).toHaveReceivedCommand(UpdateCommand);
  });
});
