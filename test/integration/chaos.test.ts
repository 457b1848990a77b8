/**
 * The Chaos API on the local stack (LocalStack's /_localstack/chaos/faults and /effects, plus this project's
 * extensions): faults reach SDK clients, the API's handlers and the workflow's own Tasks alike, and Step Functions'
 * status changes reach the local EventBridge and its rules.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateStateMachineCommand, DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import type { LocalEvent } from '../../emulator/event-input.ts';
import type { FaultRule } from '../../emulator/fault-rules.ts';
import { getRecord } from '../../lib/records.ts';
import { abortExecutionName, recordId } from '../../lib/record-id.ts';
import { runInput } from '../../lib/validation.ts';
import { ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';
import { awsClients } from '../support/workflow.ts';
import { until } from '../support/sweep-stack.ts';

let stack: LocalStack;
let s3: S3Client;
let direct: S3Client;
let sfn: SFNClient;
let dynamodb: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startLocalStack({ apiPort: 0, tableName: 'chaos-records', waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 60_000 } });
  // one attempt per call: each call the test makes is one request the rules see
  ({ s3, sfn, dynamodb, doc } = awsClients(stack.endpoint, { maxAttempts: 1 }));
  direct = awsClients(stack.moto.endpoint, { maxAttempts: 1 }).s3; // moto itself, past every rule
  await s3.send(new CreateBucketCommand({ Bucket: 'chaos-bucket' }));
});

afterEach(async () => {
  await chaosApi('POST', 'faults', []);
  await chaosApi('POST', 'effects', {});
  await chaosApi('POST', 'config', { seed: null });
});

afterAll(async () => {
  for (const client of [s3, direct, sfn, dynamodb]) client?.destroy();
  await stack?.stop();
});

/** the Chaos API over HTTP, as curl or LocalStack's SDK would call it */
async function chaosApi(method: string, resource: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${stack.endpoint}/_localstack/chaos/${resource}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': contentType } }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

const faults = (rules: FaultRule[]) => chaosApi('POST', 'faults', rules);

async function newUpload(key: string) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'chaos-bucket', Key: key }));
  await s3.send(new UploadPartCommand({ Bucket: 'chaos-bucket', Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(16, 1) }));
  return { Bucket: 'chaos-bucket', Key: key, UploadId: UploadId! };
}

const uploadsInMoto = async () => ((await direct.send(new ListMultipartUploadsCommand({ Bucket: 'chaos-bucket' }))).Uploads ?? []).map((u) => u.UploadId);

describe('fault rules on the endpoint', () => {
  it("fails an SDK ListParts with the rule's code and status, leaves other operations alone, and counts the injection", async () => {
    // Arrange
    const upload = await newUpload('list-parts');
    const set = await faults([{ service: 's3', operation: 'ListParts', probability: 1, error: { statusCode: 503, code: 'SlowDown' } }]);

    // Act
    const listed = s3.send(new ListPartsCommand(upload));
    await expect(listed).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    const other = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'chaos-bucket' }));
    const shown = await chaosApi('GET', 'faults');
    const counts = await chaosApi('GET', 'counts');

    // Assert
    expect(set).toMatchObject({ status: 200, body: [{ service: 's3', operation: 'ListParts', injected: 0 }] });
    expect(other.Uploads?.map((u) => u.UploadId)).toContain(upload.UploadId);
    expect(shown.body).toEqual([{ service: 's3', operation: 'ListParts', probability: 1, error: { statusCode: 503, code: 'SlowDown' }, injected: 1 }]);
    expect(counts.body).toMatchObject({ injected: 1, operations: { 's3:ListParts': 1 } });
  });

  it("answers a DynamoDB fault in DynamoDB's JSON format, so the SDK raises the modeled exception", async () => {
    // Arrange
    await faults([{ service: 'dynamodb', operation: 'GetItem', error: { statusCode: 400, code: 'ProvisionedThroughputExceededException' } }]);

    // Act
    const read = dynamodb.send(new GetItemCommand({ TableName: 'chaos-records', Key: { id: { S: 'x' } } }));

    // Assert
    await expect(read).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
  });

  it('after: true lets moto apply the abort, then answers the error: the answer is lost, the upload is gone', async () => {
    // Arrange
    const upload = await newUpload('after');
    await faults([{ service: 's3', operation: 'AbortMultipartUpload', after: true, error: { statusCode: 500, code: 'InternalError' } }]);

    // Act
    const abort = s3.send(new AbortMultipartUploadCommand(upload));

    // Assert
    await expect(abort).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    expect(await uploadsInMoto()).not.toContain(upload.UploadId);
  });

  it('after + reset: the abort is applied and the connection is reset instead of answered', async () => {
    // Arrange
    const upload = await newUpload('after-reset');
    await faults([{ service: 's3', operation: 'AbortMultipartUpload', after: true, reset: true }]);

    // Act
    const abort = s3.send(new AbortMultipartUploadCommand(upload));

    // Assert
    await expect(abort).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await uploadsInMoto()).not.toContain(upload.UploadId);
  });

  it('drop: answers 204 without forwarding: the upload still exists', async () => {
    // Arrange
    const upload = await newUpload('drop');
    await faults([{ service: 's3', operation: 'AbortMultipartUpload', drop: true }]);

    // Act
    const abort = await s3.send(new AbortMultipartUploadCommand(upload));

    // Assert
    expect(abort.$metadata.httpStatusCode).toBe(204);
    expect(await uploadsInMoto()).toContain(upload.UploadId);
    expect((await s3.send(new ListPartsCommand(upload))).Parts).toHaveLength(1);
  });

  it('reset: the client sees a connection reset', async () => {
    // Arrange
    const upload = await newUpload('reset');
    await faults([{ service: 's3', operation: 'ListParts', reset: true }]);

    // Act / Assert
    await expect(s3.send(new ListPartsCommand(upload))).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('the latency effect adds at least the given milliseconds to every call', async () => {
    // Arrange
    const set = await chaosApi('POST', 'effects', { latency: 300 });

    // Act
    const started = performance.now();
    await s3.send(new ListBucketsCommand({}));
    const elapsed = performance.now() - started;

    // Assert
    expect(set.body).toEqual({ latency: 300 });
    expect((await chaosApi('GET', 'effects')).body).toEqual({ latency: 300 });
    expect(elapsed).toBeGreaterThanOrEqual(300);
  });

  it('the same seed injects the same pattern twice; counts add up', async () => {
    // Arrange
    await chaosApi('POST', 'config', { seed: 'repeatable' });
    await faults([{ service: 's3', operation: 'HeadBucket', probability: 0.5 }]);
    const run = async () => {
      const pattern: boolean[] = [];
      for (let i = 0; i < 24; i++)
        pattern.push(
          await s3.send(new HeadBucketCommand({ Bucket: 'chaos-bucket' })).then(
            () => false,
            () => true,
          ),
        );
      return pattern;
    };

    // Act
    const first = await run();
    await chaosApi('POST', 'config', { seed: 'repeatable' }); // restarts every rule's random stream
    const second = await run();
    const counts = await chaosApi('GET', 'counts');

    // Assert
    expect(second).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
    const hits = first.filter(Boolean).length;
    expect(counts.body).toMatchObject({ injected: 2 * hits, operations: { 's3:HeadBucket': 2 * hits } });
  });

  it('PATCH adds rules and DELETE removes the matching ones', async () => {
    // Arrange
    await faults([{ service: 's3' }]);

    // Act
    const added = await chaosApi('PATCH', 'faults', [{ service: 'dynamodb', operation: 'PutItem' }]);
    const removed = await chaosApi('DELETE', 'faults', [{ service: 's3' }]);

    // Assert
    expect(added.body).toEqual([
      { service: 's3', injected: 0 },
      { service: 'dynamodb', operation: 'PutItem', injected: 0 },
    ]);
    expect(removed.body).toEqual([{ service: 'dynamodb', operation: 'PutItem', injected: 0 }]);
  });

  it('refuses a text/plain body (415), an invalid rule (400) and an unknown method (405)', async () => {
    // Act
    const plain = await chaosApi('POST', 'faults', [{ service: 's3' }], 'text/plain');
    const invalid = await chaosApi('POST', 'faults', [{ service: 's3', probability: 3 }]);
    const method = await chaosApi('PUT', 'faults', []);

    // Assert
    expect(plain.status).toBe(415);
    expect(invalid).toMatchObject({ status: 400, body: { message: expect.stringContaining('probability') } });
    expect(method.status).toBe(405);
    expect((await chaosApi('GET', 'faults')).body).toEqual([]);
  });
});

describe("fault rules on the workflow's own calls", () => {
  const LIST_PARTS_MACHINE = JSON.stringify({
    StartAt: 'List parts',
    States: {
      'List parts': {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:s3:listParts',
        End: true,
        Parameters: { 'Bucket.$': '$.Bucket', 'Key.$': '$.Key', 'UploadId.$': '$.UploadId' },
      },
    },
  });

  async function runToEnd(stateMachineArn: string, input: object) {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
    await stack.runtime.waitForExecution(executionArn!);
    return sfn.send(new DescribeExecutionCommand({ executionArn }));
  }

  it("fails a state machine's aws-sdk:s3:listParts Task with the injected error, and its status change reaches EventBridge", async () => {
    // Arrange
    const upload = await newUpload('task');
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'chaos-list-parts',
        definition: LIST_PARTS_MACHINE,
        roleArn: 'arn:aws:iam::123456789012:role/chaos',
      }),
    );
    const events: LocalEvent[] = [];
    const unsubscribe = stack.eventBus.subscribe((event) => events.push(event));

    // Act
    const control = await runToEnd(stateMachineArn!, upload);
    await faults([{ service: 's3', operation: 'ListParts', error: { statusCode: 404, code: 'NoSuchUpload', message: 'injected into the Task' } }]);
    const faulted = await runToEnd(stateMachineArn!, upload);
    await new Promise((resolve) => setImmediate(resolve));
    unsubscribe();

    // Assert
    expect(control.status).toBe('SUCCEEDED');
    expect(faulted).toMatchObject({ status: 'FAILED', error: 'S3.NoSuchUploadException', cause: expect.stringContaining('injected into the Task') });
    expect((await chaosApi('GET', 'counts')).body).toMatchObject({ operations: { 's3:ListParts': 1 } });
    const change = events.find((e) => e.detail.executionArn === faulted.executionArn && e.detail.status === 'FAILED');
    expect(change).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      resources: [faulted.executionArn],
      detail: {
        stateMachineArn,
        name: faulted.name,
        input: JSON.stringify(upload),
        output: null,
        error: 'S3.NoSuchUploadException',
        startDate: faulted.startDate!.getTime(),
        stopDate: faulted.stopDate!.getTime(),
      },
    });
    expect(events.filter((e) => e.detail.executionArn === faulted.executionArn).map((e) => e.detail.status)).toEqual(['RUNNING', 'FAILED']);
  });

  it("reaches the API's handlers too: a failed StartExecution makes POST /aborts answer 500 and leave no record", async () => {
    // Arrange
    const upload = await newUpload('api');
    await faults([{ service: 'stepfunctions', operation: 'StartExecution', error: { statusCode: 500, code: 'ServiceException' } }]);

    // Act
    const body = JSON.stringify({ bucket: upload.Bucket, key: upload.Key, uploadId: upload.UploadId });
    const response = await fetch(`${stack.apiUrl}/aborts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const counts = await chaosApi('GET', 'counts');

    // Assert
    expect(response.status).toBe(500);
    expect((counts.body as { operations: Record<string, number> }).operations['stepfunctions:StartExecution']).toBeGreaterThanOrEqual(1);
    await faults([]);
    expect(await getRecord(doc, stack.tableName, recordId(upload.Bucket, upload.Key, upload.UploadId))).toBeUndefined();
  });

  it('a stopped abort-upload run is recorded FAILED by the interrupted-runs rule of serverless.yml (status change → function)', async () => {
    // Arrange: the run claims its record, aborts, then waits a minute ('Wait for in-flight parts')
    const upload = await newUpload('interrupted');
    const id = recordId(upload.Bucket, upload.Key, upload.UploadId);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.stateMachineArns.abortUpload,
        name: abortExecutionName(id),
        input: JSON.stringify(runInput({ bucket: upload.Bucket, key: upload.Key, uploadId: upload.UploadId }, 'direct')),
      }),
    );
    await until(async () => (await getRecord(doc, stack.tableName, id))?.status === 'RUNNING');

    // Act
    await sfn.send(new StopExecutionCommand({ executionArn }));
    const record = await until(async () => {
      const current = await getRecord(doc, stack.tableName, id);
      return current?.status === 'FAILED' ? current : undefined;
    });

    // Assert
    expect(record).toMatchObject({ status: 'FAILED', error: 'States.ExecutionAborted', executionArn, cause: expect.stringContaining('ABORTED') });
    expect(stack.eventBus.failures).toEqual([]);
  });
});
