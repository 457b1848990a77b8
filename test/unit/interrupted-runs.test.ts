/** recordInterruptedRun (lib/interrupted-runs.ts): the record of a run stopped from outside, from its status-change event. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { recordInterruptedRun } from '../../lib/interrupted-runs.ts';
import { recordId } from '../../lib/record-id.ts';
import { deps as docDeps, docMock } from '../support/doc-mock.ts';

/** the deployed retention (RECORD_RETENTION_SECONDS), not lib/settings.json's 90 days */
const RETENTION_SECONDS = 3600;
const deps = { ...docDeps, retentionSeconds: RETENTION_SECONDS };

beforeEach(() => {
  docMock.reset();
});

describe('recordInterruptedRun', () => {
  const input = JSON.stringify({ request: { bucket: 'b-1', key: 'k', uploadId: 'u' }, trigger: 'api' });

  it('marks the run FAILED only while that execution still owns a RUNNING record', async () => {
    // Arrange
    docMock.on(UpdateCommand).resolves({});

    // Act
    const outcome = await recordInterruptedRun(deps, { executionArn: 'arn:x', status: 'TIMED_OUT', input, stopDate: 1_700_000_000_000 });

    // Assert
    expect(outcome).toBe('recorded');
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: recordId('b-1', 'k', 'u') },
      // its own RUNNING record, or none at all (the claim never landed): an upload a run was started for always gets one
      ConditionExpression: '(#executionArn = :executionArn AND #status = :running) OR attribute_not_exists(id)',
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': 'FAILED',
        ':error': 'States.Timeout',
        ':executionArn': 'arn:x',
        ':finishedAt': '2023-11-14T22:13:20.000Z',
      }),
    });
  });

  it('records the error of a run that FAILED before it could record its outcome', async () => {
    // Arrange
    docMock.on(UpdateCommand).resolves({});

    // Act
    await recordInterruptedRun(deps, {
      executionArn: 'arn:x',
      status: 'FAILED',
      input,
      error: 'DynamoDB.ProvisionedThroughputExceededException',
      cause: 'throttled',
    });

    // Assert
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({
        ':error': 'ProvisionedThroughputExceeded',
        ':cause': expect.stringContaining('FAILED (throttled)'),
      }),
    });
  });

  it('creates the FAILED record of a run whose claim never landed, with what the input names, but none for a refused input', async () => {
    // Arrange
    docMock.on(UpdateCommand).resolves({});

    // Act
    await recordInterruptedRun(deps, { executionArn: 'arn:x', status: 'FAILED', input, error: 'ServiceUnavailable', startDate: 1_700_000_000_000 });
    const refused = await recordInterruptedRun(deps, { executionArn: 'arn:y', status: 'FAILED', input, error: 'InvalidRequest' });

    // Assert
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: expect.stringContaining('#bucket = if_not_exists(#bucket, :bucket)'),
      ExpressionAttributeValues: expect.objectContaining({
        ':bucket': 'b-1',
        ':key': 'k',
        ':uploadId': 'u',
        ':trigger': 'api',
        ':recordType': 'upload',
        ':startedAt': '2023-11-14T22:13:20.000Z',
        ':error': 'ServiceUnavailable',
        // it expires after the deployed retention its deps carry (functions/record-interrupted-run.ts: the environment's)
        ':expiresAt': 1_700_000_000 + RETENTION_SECONDS,
      }),
    });
    expect(refused).toBe('no-upload');
  });

  it('leaves a record alone that another run already finished', async () => {
    // Arrange
    docMock.on(UpdateCommand).rejects(Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' }));

    // Act / Assert
    expect(await recordInterruptedRun(deps, { executionArn: 'arn:x', status: 'ABORTED', input })).toBe('not-running');
  });

  it('marks a sweep stopped from outside STOPPED by its execution name (not FAILED)', async () => {
    // Arrange
    const executionArn = 'arn:aws:states:us-east-1:1:execution:s3-mpu-reaper-dev-sweep-uploads:sweep-20261122T101010Z-abc123';
    docMock.on(GetCommand).resolves({ Item: { id: 'sweep-20261122T101010Z-abc123', recordType: 'sweep', status: 'RUNNING', executionArn } });
    docMock.on(UpdateCommand).resolves({});

    // Act
    const outcome = await recordInterruptedRun(deps, { executionArn, status: 'ABORTED', input: '{"targets":[{"bucket":"b-1","olderThan":"1d"}]}' });

    // Assert
    expect(outcome).toBe('recorded');
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'sweep-20261122T101010Z-abc123' },
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'STOPPED', ':error': 'States.ExecutionAborted' }),
    });
  });

  it('ignores an execution whose input names no upload', async () => {
    // Act / Assert
    expect(await recordInterruptedRun(deps, { executionArn: 'arn:x', status: 'ABORTED', input: '{"request":{"bucket":1}}' })).toBe('no-upload');
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
  });
});
