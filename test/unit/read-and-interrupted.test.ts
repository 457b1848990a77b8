import middy from '@middy/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { listAborts, readAbort } from '../../lib/api/aborts.ts';
import { recordInterruptedRun } from '../../lib/interrupted-runs.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { recordId } from '../../lib/record-id.ts';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const docMock = mockClient(DynamoDBDocumentClient);
const deps = { doc, tableName: 'records' };

beforeEach(() => {
  docMock.reset();
});

describe('GET /aborts/{id}', () => {
  it('answers 400 for an id that is not a record id, without reading DynamoDB', async () => {
    // Act / Assert
    await expect(readAbort(deps, 'not-an-id')).rejects.toMatchObject({ statusCode: 400, body: { field: 'id' } });
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('answers 404 for an unknown id', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({});

    // Act / Assert
    await expect(readAbort(deps, 'a'.repeat(64))).rejects.toMatchObject({ statusCode: 404, body: { error: 'NotFound' } });
  });
});

describe('GET /aborts', () => {
  it('queries the newest-first index, never scans, and hands back an opaque cursor', async () => {
    // Arrange
    const lastKey = { id: 'x'.repeat(64), recordType: 'upload', startedAt: '2026-11-22T00:00:00Z' };
    docMock.on(QueryCommand).resolves({ Items: [{ id: 'x'.repeat(64), status: 'ABORTED', error: '' }], LastEvaluatedKey: lastKey });

    // Act
    const first = await listAborts(deps, { limit: '1' });
    await listAborts(deps, { cursor: first.body.cursor as string, bucket: 'b' });

    // Assert
    expect(first.body.items).toEqual([{ id: 'x'.repeat(64), status: 'ABORTED', links: { self: `/aborts/${'x'.repeat(64)}` } }]);
    expect(docMock).toHaveReceivedNthCommandWith(QueryCommand, 1, { IndexName: 'byStartedAt', ScanIndexForward: false, Limit: 1, ExpressionAttributeValues: { ':pk': 'upload' } });
    expect(docMock).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: lastKey, FilterExpression: '#f0 = :f0', ExpressionAttributeNames: { '#pk': 'recordType', '#f0': 'bucket' }, ExpressionAttributeValues: { ':pk': 'upload', ':f0': 'b' },
    });
  });

  it('uses the status index for ?status=, keeping sweep records out', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    await listAborts(deps, { status: 'FAILED' });

    // Assert
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byStatus', FilterExpression: '#f0 = :f0', ExpressionAttributeNames: { '#pk': 'status', '#f0': 'recordType' }, ExpressionAttributeValues: { ':pk': 'FAILED', ':f0': 'upload' },
    });
  });

  it.each([
    [{ status: 'DONE' }, 'status'], [{ limit: '0' }, 'limit'], [{ limit: '101' }, 'limit'], [{ limit: 'ten' }, 'limit'],
    [{ cursor: 'garbage' }, 'cursor'], [{ order: 'asc' }, 'order'],
  ])('answers 400 for %j naming %s', async (query, field) => {
    // Act / Assert
    await expect(listAborts(deps, query)).rejects.toMatchObject({ statusCode: 400, body: { field } });
    expect(docMock).not.toHaveReceivedCommand(QueryCommand);
  });
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
      ExpressionAttributeValues: expect.objectContaining({ ':failed': 'FAILED', ':error': 'States.Timeout', ':executionArn': 'arn:x', ':finishedAt': '2023-11-14T22:13:20.000Z' }),
    });
  });

  it('records the error of a run that FAILED before it could record its outcome', async () => {
    // Arrange
    docMock.on(UpdateCommand).resolves({});

    // Act
    await recordInterruptedRun(deps, { executionArn: 'arn:x', status: 'FAILED', input, error: 'DynamoDB.ProvisionedThroughputExceededException', cause: 'throttled' });

    // Assert
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':error': 'ProvisionedThroughputExceeded', ':cause': expect.stringContaining('FAILED (throttled)') }),
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
        ':bucket': 'b-1', ':key': 'k', ':uploadId': 'u', ':trigger': 'api', ':recordType': 'upload', ':startedAt': '2023-11-14T22:13:20.000Z', ':error': 'ServiceUnavailable',
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

  it('marks a stopped sweep FAILED by its execution name', async () => {
    // Arrange
    docMock.on(UpdateCommand).resolves({});

    // Act
    const outcome = await recordInterruptedRun(deps, { executionArn: 'arn:aws:states:us-east-1:1:execution:s3-mpu-reaper-dev-sweep-uploads:sweep-20261122T101010Z-abc123', status: 'ABORTED', input: '{"targets":[{"bucket":"b-1","olderThan":"1d"}]}' });

    // Assert
    expect(outcome).toBe('recorded');
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, { Key: { id: 'sweep-20261122T101010Z-abc123' }, ExpressionAttributeValues: expect.objectContaining({ ':error': 'States.ExecutionAborted' }) });
  });

  it('ignores an execution whose input names no upload', async () => {
    // Act / Assert
    expect(await recordInterruptedRun(deps, { executionArn: 'arn:x', status: 'ABORTED', input: '{"request":{"bucket":1}}' })).toBe('no-upload');
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('parseAllowlist', () => {
  it('matches exact names and prefix patterns', () => {
    // Arrange
    const allowlist = parseAllowlist(' data-* , logs-bucket ');

    // Assert
    expect(allowlist.patterns).toEqual(['data-*', 'logs-bucket']);
    expect(['data-x', 'logs-bucket'].map(allowlist.allows)).toEqual([true, true]);
    expect(['logs-bucket2', 'other', 'xdata-'].map(allowlist.allows)).toEqual([false, false, false]);
  });

  it('refuses a pattern with * anywhere but the end', () => {
    expect(() => parseAllowlist('da*ta')).toThrow(/prefix pattern ending in \*/);
  });

  it('allows nothing when empty', () => {
    expect(parseAllowlist('').allows('any')).toBe(false);
  });
});

describe('requestLogging', () => {
  it('logs each request with its status and the SigV4 caller API Gateway authorised', async () => {
    // Arrange
    const { requestLogging } = await import('../../lib/http/middlewares.ts');
    const logged: Array<Record<string, unknown>> = [];
    const logger = { info: (message: string, fields: Record<string, unknown> = {}) => logged.push({ message, ...fields }), error: () => undefined };
    const handler = middy().use(requestLogging({ logger })).handler(async () => ({ statusCode: 202, body: '{}' }));
    const event = { httpMethod: 'POST', path: '/aborts', requestContext: { identity: { userArn: 'arn:aws:iam::111122223333:user/ops', sourceIp: '203.0.113.9' } } };

    // Act
    await handler(event as never, {} as never);

    // Assert
    expect(logged).toEqual([expect.objectContaining({
      message: 'request', method: 'POST', path: '/aborts', statusCode: 202, caller: 'arn:aws:iam::111122223333:user/ops', sourceIp: '203.0.113.9',
    })]);
  });
});
