/**
 * POST/GET /sweeps through the real middy handlers with mocked AWS clients.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
const SWEEP_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:s3-mpu-reaper-dev-sweep-uploads';
const sfnMock = mockClient(SFNClient);
const docMock = mockClient(DynamoDBDocumentClient);
let createSweep: Handler;
let getSweep: Handler;
let listSweeps: Handler;

beforeAll(async () => {
  Object.assign(process.env, {
    RECORDS_TABLE: 'records',
    SWEEP_STATE_MACHINE_ARN: SWEEP_ARN,
    ALLOWED_BUCKETS: 'data-*',
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'ERROR',
  });
  ({ handler: createSweep } = await import('../../functions/create-sweep.ts'));
  ({ handler: getSweep } = await import('../../functions/get-sweep.ts'));
  ({ handler: listSweeps } = await import('../../functions/list-sweeps.ts'));
});

beforeEach(() => {
  sfnMock.reset();
  docMock.reset();
  docMock.on(QueryCommand).resolves({ Items: [] }); // no sweep is running
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution', startDate: new Date() });
});

const event = (fields: Partial<APIGatewayProxyEvent>) =>
  ({ httpMethod: 'GET', path: '/sweeps', body: null, isBase64Encoded: false, headers: {}, ...fields }) as APIGatewayProxyEvent;
const context = { awsRequestId: 'r' } as Context;
const post = (body: unknown) => createSweep(event({ httpMethod: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }), context);

describe('POST /sweeps', () => {
  it.each([
    ['malformed JSON', '{', 'body'],
    ['no targets', {}, 'targets'],
    ['an empty target list', { targets: [] }, 'targets'],
    ['a target without olderThan', { targets: [{ bucket: 'data-a' }] }, 'targets[0].olderThan'],
    ['an age that is no duration', { targets: [{ bucket: 'data-a', olderThan: '1 day' }] }, 'targets[0].olderThan'],
    ['a bad bucket name', { targets: [{ bucket: 'Data_A', olderThan: '1d' }] }, 'targets[0].bucket'],
    ['a string dryRun', { targets: [{ bucket: 'data-a', olderThan: '1d' }], dryRun: 'no' }, 'dryRun'],
    ['an unknown field', { targets: [{ bucket: 'data-a', olderThan: '1d' }], trigger: 'me' }, 'trigger'],
    ['an age below SweepMinimumAge', { targets: [{ bucket: 'data-a', olderThan: '30m' }] }, 'targets[0].olderThan'],
    ['an age of 0s', { targets: [{ bucket: 'data-a', olderThan: '0s' }], force: false }, 'targets[0].olderThan'],
    ['a string force', { targets: [{ bucket: 'data-a', olderThan: '0s' }], force: 'yes' }, 'force'],
  ])('answers 400 for %s naming %s, and starts nothing', async (_, body, field) => {
    // Act
    const response = await post(body);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'ValidationError', field });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('says in its 400 for a young age what the minimum is and how to force it', async () => {
    // Act
    const response = await post({ targets: [{ bucket: 'data-a', olderThan: '59m' }] });

    // Assert
    expect(JSON.parse(response.body).message).toMatch(/targets\[0\]\.olderThan: is 59m, below the minimum age of 1h .*"force": true/);
  });

  it('starts a young sweep with force: true, passing force on to the sweep (its plan step checks the deployed minimum again)', async () => {
    // Act
    const response = await post({ targets: [{ bucket: 'data-a', olderThan: '0s' }], force: true });

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toMatchObject({ force: true, trigger: 'api' });
  });

  it('answers 403 naming the target outside the allowlist, and starts nothing', async () => {
    // Act
    const response = await post({
      targets: [
        { bucket: 'data-a', olderThan: '1d' },
        { bucket: 'other', olderThan: '1d' },
      ],
    });

    // Assert
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'BucketNotAllowed', field: 'targets[1].bucket' });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts the sweep under a readable, unique name and answers 202 with its link', async () => {
    // Act
    const response = await post({ targets: [{ bucket: 'data-a', olderThan: '7d', prefix: 'tmp/' }], dryRun: true });

    // Assert
    expect(response.statusCode).toBe(202);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ id: expect.stringMatching(/^sweep-\d{8}T\d{6}Z-[0-9a-f]{6}$/), status: 'RUNNING', links: { self: `/sweeps/${body.id}` } });
    expect(response.headers).toMatchObject({ location: `/sweeps/${body.id}` });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: SWEEP_ARN,
      name: body.id,
      input: JSON.stringify({ targets: [{ bucket: 'data-a', olderThan: '7d', prefix: 'tmp/' }], dryRun: true, trigger: 'api' }),
    });
  });
});

describe('POST /sweeps over a running sweep', () => {
  it('answers 409 naming the running sweep whose target overlaps (same bucket, one prefix within the other), and starts nothing', async () => {
    // Arrange
    docMock
      .on(QueryCommand, { IndexName: 'byStatusShard', ExpressionAttributeValues: { ':running': 'RUNNING#sweep' } })
      .resolves({ Items: [{ id: 'sweep-running', targets: JSON.stringify([{ bucket: 'data-a', prefix: 'tmp/' }]) }] });

    // Act
    const response = await post({
      targets: [
        { bucket: 'data-b', olderThan: '7d' },
        { bucket: 'data-a', olderThan: '7d', prefix: 'tmp/2026/' },
      ],
    });

    // Assert
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'Conflict', field: 'targets[1]', runningSweep: 'sweep-running' });
    expect(JSON.parse(response.body).message).toContain('sweep-running');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts a sweep of another prefix of the same bucket', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [{ id: 'sweep-running', targets: JSON.stringify([{ bucket: 'data-a', prefix: 'tmp/' }]) }] });

    // Act
    const response = await post({ targets: [{ bucket: 'data-a', olderThan: '7d', prefix: 'logs/' }] });

    // Assert
    expect(response.statusCode).toBe(202);
  });
});

describe('GET /sweeps/{id} and GET /sweeps', () => {
  it('shows a sweep with its stored JSON parsed', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({
      Item: {
        id: 'sweep-1',
        recordType: 'sweep',
        status: 'COMPLETED',
        targets: '[{"bucket":"data-a"}]',
        targetResults: '[{"bucket":"data-a","status":"SWEPT"}]',
        found: 2,
      },
    });

    // Act
    const response = await getSweep(event({ pathParameters: { id: 'sweep-1' } }), context);

    // Assert
    expect(JSON.parse(response.body)).toEqual({
      id: 'sweep-1',
      recordType: 'sweep',
      status: 'COMPLETED',
      targets: [{ bucket: 'data-a' }],
      targetResults: [{ bucket: 'data-a', status: 'SWEPT' }],
      found: 2,
      links: { self: '/sweeps/sweep-1' },
    });
  });

  it('answers 404 for an upload record id, which is no sweep', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: { id: 'a'.repeat(64), recordType: 'upload' } });

    // Act
    const response = await getSweep(event({ pathParameters: { id: 'a'.repeat(64) } }), context);

    // Assert
    expect(response.statusCode).toBe(404);
  });

  it('lists sweeps newest first from the index, filtered by status', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    const response = await listSweeps(event({ queryStringParameters: { status: 'COMPLETED', limit: '5' } }), context);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byShardStartedAt',
      ScanIndexForward: false,
      Limit: 5,
      FilterExpression: '#f0 = :f0',
      ExpressionAttributeValues: { ':pk': 'sweep', ':f0': 'COMPLETED' },
    });
  });

  it('answers 400 for an unknown status', async () => {
    expect((await listSweeps(event({ queryStringParameters: { status: 'DONE' } }), context)).statusCode).toBe(400);
  });
});
