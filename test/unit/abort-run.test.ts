/**
 * lib/abort-run.ts with mocked S3 and DynamoDB clients: how prepareRun validates the request, checks the allowlist and
 * claims the record (take-overs, dry runs, owners, a covering sweep), and waitSchedule. The measure and the outcome it
 * decides: abort-run-measure.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidRequest, prepareRun, waitSchedule } from '../../lib/abort-run.ts';
import { recordId } from '../../lib/record-id.ts';
import { runInput } from '../../lib/validation.ts';
import { ARN, UPLOAD, SETTINGS, deps, docMock, event, parts, resetMocks, s3Mock } from '../support/abort-run-mocks.ts';

beforeEach(resetMocks);

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
