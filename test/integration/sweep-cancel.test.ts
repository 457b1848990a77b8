/**
 * Ending a sweep from outside on the local stack (the real ASL, the HTTP API, the interrupted-runs rule of
 * serverless.yml): DELETE /sweeps/{id} and `mpu-reaper sweep cancel` end it CANCELLED, a StopExecution STOPPED; either
 * way its executions end, and its counters equal the upload records it wrote, every aborted upload among them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../lib/local/stack.ts';
import { awsClients, createBucket, createUpload } from '../support/workflow.ts';
import { expectCountersEqualRecords } from '../support/sweep-harness.ts';
import { main } from '../../lib/cli/main.ts';

let stack: LocalStack;
let s3: S3Client;
let direct: S3Client;
let sfn: SFNClient;
let doc: DynamoDBDocumentClient;
/** executions that have started and not ended, Express pages included (the runtime's own events) */
const running = new Set<string>();

beforeAll(async () => {
  stack = await startLocalStack({
    apiPort: 0,
    tableName: 'cancel-records',
    // small pages, each with a 1-second wait: a sweep of 60 uploads lasts long enough to be cancelled in its middle
    settings: { SweepPageSize: 5, SweepWaitSeconds: 1, FirstWaitSeconds: 1, MaxWaitSeconds: 1 },
    onExecutionEvent: (execution, event) => {
      if (event.type === 'ExecutionStarted') running.add(execution.executionArn);
      else if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(event.type)) running.delete(execution.executionArn);
    },
  });
  ({ s3, sfn, doc } = awsClients(stack.endpoint));
  direct = awsClients(stack.moto.endpoint).s3;
});

afterAll(async () => {
  for (const client of [s3, direct, sfn]) client?.destroy();
  await stack?.stop();
});

async function until<T>(probe: () => Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** the CLI's main() with this stack's clients */
async function runCli(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io = {
    env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    clients: () => ({ sfn, doc, cloudformation: undefined as never }),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

async function recordsOf(sweepId: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: 'sweepId = :id AND recordType = :upload',
        ExpressionAttributeValues: { ':id': sweepId, ':upload': 'upload' },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const sweepRecord = async (id: string) => (await doc.send(new GetCommand({ TableName: stack.tableName, Key: { id }, ConsistentRead: true }))).Item;
const listed = async (bucket: string) => ((await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.UploadId!);

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.apiUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });

async function bucketOf(name: string, count: number) {
  await createBucket(s3, name);
  return Promise.all(Array.from({ length: count }, (_, i) => createUpload(s3, name, `k-${String(i).padStart(3, '0')}`, [8])));
}

/** once the sweep ended and every execution it started has ended: its record, its records, the uploads left */
async function settled(id: string, bucket: string) {
  await until(async () => (await sweepRecord(id))?.finishedAt);
  await until(async () => running.size === 0);
  return { sweep: (await sweepRecord(id))!, records: await recordsOf(id), left: await listed(bucket) };
}

/** every upload gone from S3 has exactly one record of the sweep; the counters are those records */
function expectTrueRecords(run: Awaited<ReturnType<typeof settled>>, uploads: Array<{ uploadId: string }>) {
  const gone = uploads.filter((u) => !run.left.includes(u.uploadId)).map((u) => u.uploadId);
  expect(run.records.map((r) => r.uploadId).sort()).toEqual([...gone].sort());
  expect(run.records.every((r) => r.status === 'ABORTED')).toBe(true);
  expectCountersEqualRecords(run.sweep, run.records);
}

describe('cancelling a sweep', () => {
  it('DELETE /sweeps/{id} ends a running sweep CANCELLED, its counters equal to the records it wrote', async () => {
    // Arrange: a sweep of 60 uploads, cancelled once it has recorded some
    const uploads = await bucketOf('cancel-api', 60);
    const started = await (await api('POST', '/sweeps', { targets: [{ bucket: 'cancel-api', olderThan: '1d' }] })).json();
    const id = (started as { id: string }).id;
    await until(async () => (await recordsOf(id)).length >= 10);

    // Act
    const response = await api('DELETE', `/sweeps/${id}`);
    const body = (await response.json()) as Record<string, unknown>;
    const run = await settled(id, 'cancel-api');

    // Assert
    expect(response.status).toBe(202);
    expect(body).toMatchObject({ id, status: 'CANCELLED', links: { self: `/sweeps/${id}` } });
    expect(run.sweep).toMatchObject({ status: 'CANCELLED', error: 'SweepCancelled', talliedAt: expect.any(String) });
    expect(run.left.length).toBeGreaterThan(0); // it stopped before the end
    expect(Number(run.sweep.aborted)).toBeGreaterThanOrEqual(10);
    expectTrueRecords(run, uploads);
    const again = await api('DELETE', `/sweeps/${id}`);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'Conflict', status: 'CANCELLED' });
  });

  it('refuses what cannot be cancelled: an unknown id 404, a malformed id 400, a method without a route 405', async () => {
    // Act
    const unknown = await api('DELETE', '/sweeps/sweep-nothing-here');
    const malformed = await api('DELETE', `/sweeps/${encodeURIComponent('no such!')}`);
    const put = await api('PUT', '/sweeps/sweep-nothing-here', {});

    // Assert
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ field: 'id' });
    expect(put.status).toBe(405);
  });

  it('mpu-reaper sweep cancel ID cancels it too; a second cancel exits 1 with one line', async () => {
    // Arrange
    const uploads = await bucketOf('cancel-cli', 60);
    const id = 'sweep-cli-cancelled';
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.stateMachineArns.sweepUploads,
        name: id,
        input: JSON.stringify({ targets: [{ bucket: 'cancel-cli', olderThan: '1d' }], trigger: 'cli' }),
      }),
    );
    await until(async () => (await recordsOf(id)).length >= 5);
    const env = { AWS_ENDPOINT_URL: stack.endpoint, AWS_REGION: 'us-east-1', MPU_REAPER_TABLE: stack.tableName };

    // Act
    const first = await runCli(['sweep', 'cancel', id], env);
    const run = await settled(id, 'cancel-cli');
    const second = await runCli(['sweep', 'cancel', id], env);

    // Assert
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`cancelling sweep ${id}`);
    expect(run.sweep.status).toBe('CANCELLED');
    expectTrueRecords(run, uploads);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain('already ended: CANCELLED');
  });
});

describe('a sweep stopped from outside', () => {
  it('StopExecution ends it STOPPED with the counters of the records it wrote, never found 0', async () => {
    // Arrange
    const uploads = await bucketOf('stop-console', 60);
    const id = 'sweep-stopped-in-console';
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.stateMachineArns.sweepUploads,
        name: id,
        input: JSON.stringify({ targets: [{ bucket: 'stop-console', olderThan: '1d' }], trigger: 'api' }),
      }),
    );
    await until(async () => (await recordsOf(id)).length >= 10);

    // Act: what the console's "Stop execution" sends
    await sfn.send(new StopExecutionCommand({ executionArn }));
    const run = await settled(id, 'stop-console');

    // Assert
    expect(run.sweep).toMatchObject({ status: 'STOPPED', error: 'States.ExecutionAborted' });
    expect(Number(run.sweep.found)).toBeGreaterThanOrEqual(10);
    expect(run.left.length).toBeGreaterThan(0);
    expectTrueRecords(run, uploads);
    expect(stack.eventBus.failures).toEqual([]);
  });
});
