/**
 * POST /aborts through the real middy handler (functions/create-abort.ts) with mocked AWS clients.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { recordId } from '../../lib/record-id.ts';
import { ABORT_SETTINGS_DEFAULTS } from '../../lib/settings.ts';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:mpu-reaper-abort-upload';
/** the deployed retention in the function's environment: one day, not lib/settings.json's 90 */
const RETENTION_SECONDS = 86_400;
const sfnMock = mockClient(SFNClient);
const docMock = mockClient(DynamoDBDocumentClient);
let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  Object.assign(process.env, {
    RECORDS_TABLE: 'records',
    ABORT_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
    ALLOWED_BUCKETS: 'data-*,logs-bucket,data--use1-az4--x-s3',
    AWS_REGION: 'us-east-1',
    RECORD_RETENTION_SECONDS: String(RETENTION_SECONDS),
  });
  ({ handler } = await import('../../functions/create-abort.ts'));
});

beforeEach(() => {
  sfnMock.reset();
  docMock.reset();
  docMock.on(GetCommand).resolves({});
  docMock.on(PutCommand).resolves({});
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
});

const post = (body: string | null) =>
  handler(
    { httpMethod: 'POST', path: '/aborts', body, isBase64Encoded: false, headers: {} } as unknown as APIGatewayProxyEvent,
    { awsRequestId: 'r1' } as Context,
  );
const VALID = { bucket: 'data-lake', key: 'videos/a.mp4', uploadId: 'VXBsb2FkIElE' };
const json = (value: unknown) => JSON.stringify(value);

describe('POST /aborts validation: 400 naming the field and the rule, nothing started or written', () => {
  const longKey = 'é'.repeat(513); // 1,026 bytes
  const cases: Array<[string, string | null, string, RegExp]> = [
    ['no body', null, 'body', /JSON object/],
    ['an empty body', '', 'body', /JSON object/],
    ['malformed JSON', '{"bucket": ', 'body', /valid JSON/],
    ['a JSON array', '[]', 'body', /JSON object/],
    ['a JSON string', '"text"', 'body', /JSON object/],
    ['JSON null', 'null', 'body', /JSON object/],
    ['a number', '42', 'body', /JSON object/],
    ['no bucket', json({ key: 'k', uploadId: 'u' }), 'bucket', /required/],
    ['no key', json({ bucket: 'data-x', uploadId: 'u' }), 'key', /required/],
    ['no uploadId', json({ bucket: 'data-x', key: 'k' }), 'uploadId', /required/],
    ['a numeric bucket', json({ ...VALID, bucket: 123 }), 'bucket', /string, got number/],
    ['a null bucket', json({ ...VALID, bucket: null }), 'bucket', /string, got null/],
    ['an array key', json({ ...VALID, key: ['k'] }), 'key', /string, got an array/],
    ['an object uploadId', json({ ...VALID, uploadId: {} }), 'uploadId', /string, got object/],
    ['a boolean key', json({ ...VALID, key: true }), 'key', /string, got boolean/],
    ['a 2-character bucket', json({ ...VALID, bucket: 'ab' }), 'bucket', /3 to 63/],
    ['a 64-character bucket', json({ ...VALID, bucket: `data-${'a'.repeat(59)}` }), 'bucket', /3 to 63/],
    ['an upper-case bucket', json({ ...VALID, bucket: 'Data-Lake' }), 'bucket', /lowercase/],
    ['a bucket with an underscore', json({ ...VALID, bucket: 'data_lake' }), 'bucket', /lowercase/],
    ['a bucket starting with a hyphen', json({ ...VALID, bucket: '-data' }), 'bucket', /starting and ending/],
    ['a bucket ending with a dot', json({ ...VALID, bucket: 'data.' }), 'bucket', /starting and ending/],
    ['a bucket with two adjacent dots', json({ ...VALID, bucket: 'data..lake' }), 'bucket', /adjacent dots/],
    ['a bucket shaped like an IP address', json({ ...VALID, bucket: '192.168.1.1' }), 'bucket', /IP address/],
    ['a bucket with a space', json({ ...VALID, bucket: 'data lake' }), 'bucket', /lowercase/],
    ['an empty key', json({ ...VALID, key: '' }), 'key', /1 to 1,024 bytes/],
    ['a key of 1,026 UTF-8 bytes', json({ ...VALID, key: longKey }), 'key', /got 1026/],
    ['a key with a lone surrogate', '{"bucket":"data-lake","key":"a\\ud800b","uploadId":"u"}', 'key', /valid UTF-8/],
    ['an empty uploadId', json({ ...VALID, uploadId: '' }), 'uploadId', /empty/],
    ['a blank uploadId', json({ ...VALID, uploadId: '   ' }), 'uploadId', /empty/],
    ['requestPayer "owner"', json({ ...VALID, requestPayer: 'owner' }), 'requestPayer', /"requester"/],
    ['requestPayer "Requester"', json({ ...VALID, requestPayer: 'Requester' }), 'requestPayer', /"requester"/],
    ['a numeric requestPayer', json({ ...VALID, requestPayer: 1 }), 'requestPayer', /string/],
    ['an 11-digit owner', json({ ...VALID, expectedBucketOwner: '12345678901' }), 'expectedBucketOwner', /12-digit/],
    ['a 13-digit owner', json({ ...VALID, expectedBucketOwner: '1234567890123' }), 'expectedBucketOwner', /12-digit/],
    ['an owner with letters', json({ ...VALID, expectedBucketOwner: '12345678901a' }), 'expectedBucketOwner', /12-digit/],
    ['a numeric owner', json({ ...VALID, expectedBucketOwner: 123456789012 }), 'expectedBucketOwner', /string, got number/],
    ['a date-only initiated time', json({ ...VALID, bucket: 'data--use1-az4--x-s3', ifMatchInitiatedTime: '2026-11-20' }), 'ifMatchInitiatedTime', /ISO-8601/],
    [
      'an initiated time that is no time',
      json({ ...VALID, bucket: 'data--use1-az4--x-s3', ifMatchInitiatedTime: 'yesterday' }),
      'ifMatchInitiatedTime',
      /ISO-8601/,
    ],
    [
      'an impossible initiated time',
      json({ ...VALID, bucket: 'data--use1-az4--x-s3', ifMatchInitiatedTime: '2026-13-45T99:00:00Z' }),
      'ifMatchInitiatedTime',
      /ISO-8601/,
    ],
    [
      'an initiated time on a general purpose bucket',
      json({ ...VALID, ifMatchInitiatedTime: '2026-11-20T10:00:00Z' }),
      'ifMatchInitiatedTime',
      /directory buckets/,
    ],
    [
      'requester pays on a directory bucket',
      json({ ...VALID, bucket: 'data--use1-az4--x-s3', requestPayer: 'requester' }),
      'requestPayer',
      /directory buckets/,
    ],
    ['an unknown field', json({ ...VALID, force: true }), 'force', /not a known field/],
    ['a misspelt field', json({ ...VALID, uploadID: 'x' }), 'uploadID', /not a known field/],
    ['a string recheck', json({ ...VALID, recheck: 'yes' }), 'recheck', /true or false/],
  ];

  it('covers at least 40 bad inputs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s → 400 on %s', async (_, body, field, rule) => {
    // Act
    const response = await post(body);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json' });
    const answer = JSON.parse(response.body);
    expect(answer).toMatchObject({ error: 'ValidationError', field });
    expect(answer.rule).toMatch(rule);
    expect(answer.message).toBe(`${field}: ${answer.rule}`);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(docMock).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 413 for a body over 16 KiB and starts nothing', async () => {
    // Act
    const response = await post(json({ ...VALID, key: 'k'.repeat(17 * 1024) }));

    // Assert
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'PayloadTooLarge' });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('POST /aborts allowlist', () => {
  it.each(['other-bucket', 'logs-bucket-2', 'xdata-lake'])('refuses %s with 403 and starts nothing', async (bucket) => {
    // Act
    const response = await post(json({ ...VALID, bucket }));

    // Assert
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'BucketNotAllowed', field: 'bucket' });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(docMock).not.toHaveReceivedCommand(PutCommand);
  });

  it.each(['data-lake', 'logs-bucket', 'data--use1-az4--x-s3'])('accepts %s', async (bucket) => {
    // Act
    const response = await post(json({ ...VALID, bucket }));

    // Assert
    expect(response.statusCode).toBe(202);
  });
});

describe('POST /aborts starting the workflow', () => {
  const id = recordId(VALID.bucket, VALID.key, VALID.uploadId);

  it('claims the record, starts the execution with the deterministic name and only the given fields, answers 202', async () => {
    // Act
    const response = await post(json({ ...VALID, expectedBucketOwner: '111122223333' }));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({
      id,
      status: 'RUNNING',
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:mpu-reaper-abort-upload:abort-${id}`,
      links: { self: `/aborts/${id}` },
    });
    expect(response.headers).toMatchObject({ location: `/aborts/${id}` });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: `abort-${id}`,
      input: JSON.stringify({
        request: { bucket: VALID.bucket, key: VALID.key, uploadId: VALID.uploadId, expectedBucketOwner: '111122223333' },
        trigger: 'api',
      }),
    });
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      ConditionExpression: 'attribute_not_exists(id)',
      Item: expect.objectContaining({ id, status: 'RUNNING', trigger: 'api', recordType: 'upload' }),
    });
  });

  it("claims the record with the expiresAt of the environment's RECORD_RETENTION_SECONDS, not the default", async () => {
    // Arrange
    const before = Math.floor(Date.now() / 1000);

    // Act
    await post(json(VALID));

    // Assert
    const item = docMock.commandCalls(PutCommand)[0].args[0].input.Item as { startedAt: string; expiresAt: number };
    expect(RETENTION_SECONDS).not.toBe(ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds);
    expect(item.expiresAt).toBe(Math.floor(Date.parse(item.startedAt) / 1000) + RETENTION_SECONDS);
    expect(item.expiresAt - before).toBeLessThan(RETENTION_SECONDS + 60);
  });

  it('answers 200 with the existing record and starts no second execution', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: { id, status: 'ABORTED', bucket: VALID.bucket, error: '' } });

    // Act
    const response = await post(json(VALID));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ id, status: 'ABORTED', bucket: VALID.bucket, links: { self: `/aborts/${id}` } });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 202 with the RUNNING record when a concurrent request claimed it first', async () => {
    // Arrange
    const claimed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    docMock.on(PutCommand).rejects(claimed);
    docMock
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: { id, status: 'RUNNING' } });

    // Act
    const response = await post(json(VALID));

    // Assert: a RUNNING record is not a finished run's outcome: never 200
    expect(response.statusCode).toBe(202);
    expect(response.headers).toMatchObject({ location: `/aborts/${id}` });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts the run again when a RUNNING record it claimed has no execution behind it (an earlier answer was lost)', async () => {
    // Arrange: an earlier POST claimed the record, then its StartExecution failed or its answer was lost
    const executionArn = `arn:aws:states:us-east-1:111122223333:execution:mpu-reaper-abort-upload:abort-${id}`;
    docMock.on(GetCommand).resolves({ Item: { id, status: 'RUNNING', trigger: 'api', executionArn } });

    // Act
    const response = await post(json(VALID));

    // Assert: the same name and input as the first request, which Step Functions answers idempotently
    expect(response.statusCode).toBe(202);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: `abort-${id}`,
      input: JSON.stringify({ request: { bucket: VALID.bucket, key: VALID.key, uploadId: VALID.uploadId }, trigger: 'api' }),
    });
    expect(docMock).not.toHaveReceivedCommand(PutCommand);
  });

  it('leaves a RUNNING record of another trigger, and a run that already ended, as they are', async () => {
    // Arrange: a CLI run owns one record; the API's own run ended (ExecutionAlreadyExists) for the other
    docMock
      .on(GetCommand)
      .resolvesOnce({ Item: { id, status: 'RUNNING', trigger: 'cli', executionArn: `arn:aws:states:us-east-1:1:execution:x:abort-${id}` } })
      .resolves({
        Item: { id, status: 'RUNNING', trigger: 'api', executionArn: `arn:aws:states:us-east-1:111122223333:execution:mpu-reaper-abort-upload:abort-${id}` },
      });
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const first = await post(json(VALID));
    const second = await post(json(VALID));

    // Assert
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('removes its claim when StartExecution fails, so no record stays RUNNING without a run', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    docMock.on(DeleteCommand).resolves({});

    // Act
    const response = await post(json(VALID));

    // Assert
    expect(response.statusCode).toBe(409);
    expect(docMock).toHaveReceivedCommandWith(DeleteCommand, { Key: { id }, ConditionExpression: 'executionArn = :arn' });
  });

  it('starts a recheck under a fresh name unless a run is RUNNING, keeping the earlier outcome in history', async () => {
    // Arrange
    const earlier = { id, status: 'ABORTED', executionArn: 'arn:earlier', trigger: 'cli', attempts: 1, partsFound: 2, bytesFound: 20 };
    docMock.on(GetCommand).resolves({ Item: earlier });

    // Act
    const response = await post(json({ ...VALID, recheck: true }));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      ConditionExpression: '#executionArn = :readArn AND #status = :readStatus',
      ExpressionAttributeValues: { ':readArn': 'arn:earlier', ':readStatus': 'ABORTED' },
      Item: expect.objectContaining({
        status: 'RUNNING',
        history: [{ status: 'ABORTED', executionArn: 'arn:earlier', trigger: 'cli', attempts: 1, partsFound: 2, bytesFound: 20 }],
      }),
    });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { name: expect.stringMatching(new RegExp(`^recheck-${id.slice(0, 48)}-`)) });
  });

  it("never answers a dry run's WOULD_ABORT as an outcome: it starts a real run under a fresh name", async () => {
    // Arrange
    const finding = {
      id,
      status: 'WOULD_ABORT',
      executionArn: 'arn:dry-sweep',
      trigger: 'sweep',
      sweepId: 's1',
      dryRun: true,
      attempts: 0,
      partsFound: 2,
      bytesFound: 20,
    };
    docMock.on(GetCommand).resolves({ Item: finding });

    // Act
    const response = await post(json(VALID));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ id, status: 'RUNNING' });
    const put = docMock.commandCalls(PutCommand)[0].args[0].input;
    expect(put.Item).toMatchObject({ status: 'RUNNING', trigger: 'api', history: [{ status: 'WOULD_ABORT', dryRun: true, executionArn: 'arn:dry-sweep' }] });
    expect(put.Item).not.toHaveProperty('dryRun');
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: expect.stringMatching(/^recheck-/),
      input: JSON.stringify({ request: { bucket: VALID.bucket, key: VALID.key, uploadId: VALID.uploadId }, trigger: 'api', recheck: true }),
    });
  });

  it('puts the earlier record back when StartExecution fails after a take-over', async () => {
    // Arrange
    const finding = { id, status: 'WOULD_ABORT', executionArn: 'arn:dry-sweep' };
    docMock.on(GetCommand).resolves({ Item: finding });
    sfnMock.on(StartExecutionCommand).rejects(new Error('throttled'));

    // Act
    const response = await post(json(VALID));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(docMock).toHaveReceivedCommandWith(PutCommand, { Item: finding, ConditionExpression: 'executionArn = :arn' });
    expect(docMock).not.toHaveReceivedCommand(DeleteCommand);
  });
});
