/**
 * The local stack of the sweep-ending tests (cancel, stop, DynamoDB outage): small pages with a 1-second wait, the
 * executions that are running (Express pages included), the records of a sweep, the API and the CLI against it.
 */
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { main } from '../../lib/cli/main.ts';
import { awsClients, createBucket, createUpload } from './workflow.ts';
import { expectCountersEqualRecords } from './sweep-checks.ts';

export let stack: LocalStack;
export let s3: S3Client;
let direct: S3Client;
export let sfn: SFNClient;
export let doc: DynamoDBDocumentClient;
/** executions that have started and not ended, Express pages included (the runtime's own events) */
const running = new Set<string>();

/** starts the stack for the test file (beforeAll / afterAll) */
export function useSweepStack(tableName: string): void {
  beforeAll(async () => {
    stack = await startLocalStack({
      apiPort: 0,
      tableName,
      // small pages, each with a 1-second wait: a sweep of 60 uploads lasts long enough to be cancelled in its middle
      // the activity guard off: these sweeps sweep uploads whose parts were just written (activity-guard.test.ts tests it)
      settings: { SweepPageSize: 5, SweepWaitSeconds: 1, FirstWaitSeconds: 1, MaxWaitSeconds: 1, SweepActiveWithin: 0 },
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
}

/** the probe's first truthy value, asked every 100 ms for up to timeoutMs */
export const until = <T>(probe: () => Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> =>
  vi.waitUntil(probe, { timeout: timeoutMs, interval: 100 }) as Promise<NonNullable<T>>;

/** the CLI's main() with this stack's clients */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const io = {
    env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    clients: () => ({ sfn, doc, cloudformation: undefined as never, s3: undefined as never }),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export async function recordsOf(sweepId: string): Promise<Array<Record<string, unknown>>> {
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

export const sweepRecord = async (id: string) => (await doc.send(new GetCommand({ TableName: stack.tableName, Key: { id }, ConsistentRead: true }))).Item;
export const listed = async (bucket: string) =>
  ((await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.UploadId!);

export const api = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.apiUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });

export async function bucketOf(name: string, count: number) {
  await createBucket(s3, name);
  // created on moto_server itself, past the endpoint: listed with moto's fixed 2010 Initiated, so "1d" selects them
  // (what these tests check is cancel and outage, not ages: the endpoint's real ages are tested in upload-facts)
  return Promise.all(Array.from({ length: count }, (_, i) => createUpload(direct, name, `k-${String(i).padStart(3, '0')}`, [8])));
}

/** once the sweep ended and every execution it started has ended: its record, its records, the uploads left */
export async function settled(id: string, bucket: string, timeoutMs = 30_000) {
  await until(async () => (await sweepRecord(id))?.finishedAt, timeoutMs);
  await until(async () => running.size === 0, timeoutMs);
  return { sweep: (await sweepRecord(id))!, records: await recordsOf(id), left: await listed(bucket) };
}

/** every upload gone from S3 has exactly one record of the sweep; the counters are those records */
export function expectTrueRecords(run: Awaited<ReturnType<typeof settled>>, uploads: Array<{ uploadId: string }>) {
  const gone = uploads.filter((u) => !run.left.includes(u.uploadId)).map((u) => u.uploadId);
  expect(run.records.map((r) => r.uploadId).sort()).toEqual([...gone].sort());
  expect(run.records.every((r) => r.status === 'ABORTED')).toBe(true);
  expectCountersEqualRecords(run.sweep, run.records);
}
