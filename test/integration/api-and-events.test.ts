/**
 * The triggers on the local stack: the HTTP API (the functions/ handlers behind the local adapter) and EventBridge
 * PutEvents (the rule pattern from serverless.yml), both starting the real abort state machine against moto_server.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { LocalStack } from '../../emulator/stack.ts';
import { recordId } from '../../lib/record-id.ts';
import { awsClients, createBucket, createUpload, intoNextSecond, startApiStack } from '../support/workflow.ts';
import { cliProcess } from '../support/cli-process.ts';

const run = promisify(execFile);
let stack: LocalStack;
let s3: S3Client;
let sfn: SFNClient;

beforeAll(async () => {
  stack = await startApiStack();
  ({ s3, sfn } = awsClients(stack.endpoint));
});

afterAll(async () => {
  await stack?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const init = body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  const response = await fetch(`${stack.apiUrl}${path}`, { method, ...init });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const pollRecord = (id: string, until: (status: unknown) => boolean) =>
  vi.waitFor(
    async () => {
      const { status, body } = await api('GET', `/aborts/${id}`);
      // moto writes an UpdateItem's attributes one by one: a read can see the new item with its key only
      if (status === 200 && body.status !== undefined && until(body.status)) return body;
      throw new Error(`record ${id} never reached the expected status`);
    },
    { timeout: 10_000, interval: 50 },
  );

async function executionsOf(name: string) {
  const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.stateMachineArns.abortUpload, maxResults: 1000 }));
  return (executions ?? []).filter((e) => e.name === name || name === '*');
}

describe('POST /aborts and GET /aborts/{id}', () => {
  it('answers 202, runs the workflow, and GET shows ABORTED', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-api');
    const upload = await createUpload(s3, 'mpu-reaper-api', 'k/one', [100, 200]);

    // Act
    const created = await api('POST', '/aborts', upload);
    const record = await pollRecord(created.body.id as string, (s) => s !== 'RUNNING');

    // Assert
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      id: recordId(upload.bucket, upload.key, upload.uploadId),
      status: 'RUNNING',
      links: { self: `/aborts/${created.body.id}` },
    });
    expect(record).toMatchObject({ status: 'ABORTED', partsFound: 2, bytesFound: 300, trigger: 'api', executionArn: created.body.executionArn });
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-reaper-api' }))).Uploads ?? []).toHaveLength(0);
  });

  it('starts one execution for the same POST sent ten times at once', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-idempotent');
    const upload = await createUpload(s3, 'mpu-reaper-idempotent', 'k', [10]);

    // Act
    const answers = await Promise.all(Array.from({ length: 10 }, () => api('POST', '/aborts', upload)));
    const id = answers[0].body.id as string;
    await pollRecord(id, (s) => s === 'ABORTED');

    // Assert
    // one claim started the run; the others saw its record: 202 while RUNNING, 200 once it told the outcome
    for (const answer of answers) expect(answer.status).toBe(answer.body.status === 'RUNNING' ? 202 : 200);
    expect(new Set(answers.map((a) => a.body.id))).toEqual(new Set([id]));
    expect(await executionsOf(`abort-${id}`)).toHaveLength(1);
    const again = await api('POST', '/aborts', upload);
    expect(again).toMatchObject({ status: 200, body: { id, status: 'ABORTED' } });
  });

  it('starts a fresh verification run on purpose with recheck: true', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-recheck');
    const upload = await createUpload(s3, 'mpu-reaper-recheck', 'k', [10]);
    const first = await api('POST', '/aborts', upload);
    await pollRecord(first.body.id as string, (s) => s === 'ABORTED');

    // Act
    const recheck = await api('POST', '/aborts', { ...upload, recheck: true });
    const record = await pollRecord(first.body.id as string, (s) => s !== 'RUNNING');

    // Assert
    expect(recheck.status).toBe(202);
    expect(recheck.body.executionArn).not.toBe(first.body.executionArn);
    expect(record).toMatchObject({ status: 'NOT_FOUND', executionArn: recheck.body.executionArn });
  });

  it('refuses a bucket outside the allowlist with 403 and starts nothing', async () => {
    // Arrange
    const before = (await executionsOf('*')).length;

    // Act
    const answer = await api('POST', '/aborts', { bucket: 'someone-elses-bucket', key: 'k', uploadId: 'u' });

    // Assert
    expect(answer).toMatchObject({ status: 403, body: { error: 'BucketNotAllowed', field: 'bucket' } });
    expect((await executionsOf('*')).length).toBe(before);
  });

  it('answers 404 with a JSON error for an unknown id, and lists records newest first', async () => {
    // Act
    const missing = await api('GET', `/aborts/${'0'.repeat(64)}`);
    const list = await api('GET', '/aborts?limit=2');
    const next = await api('GET', `/aborts?limit=2&cursor=${list.body.cursor as string}`);
    const aborted = await api('GET', '/aborts?status=ABORTED&bucket=mpu-reaper-api');

    // Assert
    expect(missing).toMatchObject({ status: 404, body: { error: 'NotFound' } });
    const items = list.body.items as Array<{ startedAt: string; id: string }>;
    expect(items).toHaveLength(2);
    expect(items[0].startedAt >= items[1].startedAt).toBe(true);
    expect((next.body.items as Array<{ id: string }>).map((r) => r.id)).not.toContain(items[0].id);
    expect(aborted.body.items).toEqual([expect.objectContaining({ bucket: 'mpu-reaper-api', status: 'ABORTED' })]);
  });
});

describe('EventBridge PutEvents on the local endpoint', () => {
  const putEvents = (entries: object[]) =>
    run('aws', ['--endpoint-url', stack.endpoint, '--output', 'json', 'events', 'put-events', '--entries', JSON.stringify(entries)], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1' },
    });

  it('starts an execution and writes a record for a matching event sent with the AWS CLI', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-events');
    const upload = await createUpload(s3, 'mpu-reaper-events', 'from/event', [7, 8]);

    // Act
    const { stdout } = await putEvents([{ Source: 'mpu-reaper', DetailType: 'Abort Multipart Upload Requested', Detail: JSON.stringify(upload) }]);
    const record = await pollRecord(recordId(upload.bucket, upload.key, upload.uploadId), (s) => s !== 'RUNNING');

    // Assert
    expect(JSON.parse(stdout)).toMatchObject({ FailedEntryCount: 0 });
    expect(record).toMatchObject({ status: 'ABORTED', partsFound: 2, bytesFound: 15, trigger: 'event' });
  });

  it('starts nothing for an event that does not match the rule', async () => {
    // Arrange
    const before = (await executionsOf('*')).length;
    const startedByEvents = stack.eventBus.started.length;

    // Act
    await putEvents([
      {
        Source: 'someone-else',
        DetailType: 'Abort Multipart Upload Requested',
        Detail: JSON.stringify({ bucket: 'mpu-reaper-events', key: 'k', uploadId: 'u' }),
      },
      { Source: 'mpu-reaper', DetailType: 'Abort Multipart Upload Requested', Detail: JSON.stringify({ bucket: 'mpu-reaper-events', key: 'k' }) },
    ]);

    // Assert
    expect((await executionsOf('*')).length).toBe(before);
    expect(stack.eventBus.started.length).toBe(startedByEvents);
  });
});

describe('sweeps through the API and EventBridge', () => {
  it('POST /sweeps starts a sweep; GET /sweeps/{id} follows it to COMPLETED; GET /sweeps lists it', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-sweep-api');
    await Promise.all(Array.from({ length: 6 }, (_, i) => createUpload(s3, 'mpu-reaper-sweep-api', `old/${i}`, [3])));
    await intoNextSecond(); // the endpoint reports each upload's real Initiated: old enough for "0s" from the next second on

    // Act
    // below the minimum age: force says the operator means it
    const started = await api('POST', '/sweeps', { targets: [{ bucket: 'mpu-reaper-sweep-api', olderThan: '0s' }], force: true });
    const sweep = await vi.waitFor(
      async () => {
        const { body } = await api('GET', `/sweeps/${started.body.id as string}`);
        if (body.status !== 'COMPLETED') throw new Error(`sweep ${started.body.id as string} is ${String(body.status)}`);
        return body;
      },
      { timeout: 30_000, interval: 100 },
    );
    const listed = await api('GET', '/sweeps?limit=5');

    // Assert
    expect(started.status).toBe(202);
    expect(sweep).toMatchObject({
      status: 'COMPLETED',
      trigger: 'api',
      found: 6,
      aborted: 6,
      bytesFound: 18,
      targets: [expect.objectContaining({ bucket: 'mpu-reaper-sweep-api' })],
    });
    expect((listed.body.items as Array<{ id: string }>).map((s) => s.id)).toContain(started.body.id);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-reaper-sweep-api' }))).Uploads ?? []).toHaveLength(0);
  });

  it('POST /sweeps refuses a bucket outside the allowlist with 403', async () => {
    const answer = await api('POST', '/sweeps', { targets: [{ bucket: 'not-allowed-bucket', olderThan: '1d' }] });
    expect(answer).toMatchObject({ status: 403, body: { field: 'targets[0].bucket' } });
  });

  it('a "Sweep Requested" event starts a sweep recorded as the event\'s, whatever trigger its detail names (rule from serverless.yml)', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-sweep-event');
    await Promise.all(Array.from({ length: 3 }, (_, i) => createUpload(s3, 'mpu-reaper-sweep-event', `e/${i}`, [1])));
    await intoNextSecond();
    const before = stack.eventBus.started.length;

    // Act
    await run(
      'aws',
      [
        '--endpoint-url',
        stack.endpoint,
        'events',
        'put-events',
        '--entries',
        JSON.stringify([
          {
            Source: 'mpu-reaper',
            DetailType: 'Sweep Requested',
            Detail: JSON.stringify({ targets: [{ bucket: 'mpu-reaper-sweep-event', olderThan: '0s' }], force: true, trigger: 'api' }),
          },
        ]),
      ],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' } },
    );
    const [executionArn] = stack.eventBus.started.slice(before);
    const execution = await stack.runtime.waitForExecution(executionArn);

    // Assert
    expect(executionArn).toContain(':execution:mpu-reaper-sweep-uploads:');
    expect(JSON.parse(execution.output!)).toMatchObject({ status: 'COMPLETED', found: 3, aborted: 3 });
    expect((await api('GET', `/sweeps/${executionArn.split(':').pop()}`)).body).toMatchObject({ trigger: 'event', status: 'COMPLETED' });
  });
});

describe('npx mpu-reaper against the local stack (AWS_ENDPOINT_URL)', () => {
  const cli = (args: string[]) => cliProcess(stack.endpoint, args);

  it('abort --wait prints the ABORTED record and exits 0; status finds it by upload', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-cli');
    const upload = await createUpload(s3, 'mpu-reaper-cli', 'cli/key', [11, 22, 33]);
    const flags = ['--bucket', upload.bucket, '--key', upload.key, '--upload-id', upload.uploadId];

    // Act
    const aborted = await cli(['abort', ...flags, '--wait', '--json']);
    const status = await cli(['status', ...flags]);

    // Assert
    expect([aborted.code, status.code]).toEqual([0, 0]);
    expect(JSON.parse(aborted.stdout)).toMatchObject({ status: 'ABORTED', partsFound: 3, bytesFound: 66, trigger: 'cli', execution: { status: 'SUCCEEDED' } });
    expect(status.stdout).toMatch(/status:\s+ABORTED/);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-reaper-cli' }))).Uploads ?? []).toHaveLength(0);
  });

  it('exits 1 with the FAILED record for a bucket that does not exist', async () => {
    // Act
    const failure = await cli(['abort', '--bucket', 'mpu-reaper-missing', '--key', 'k', '--upload-id', 'u', '--wait', '--json']);

    // Assert
    expect(failure.code).toBe(1);
    expect(JSON.parse(failure.stdout)).toMatchObject({ status: 'FAILED', error: 'NoSuchBucket' });
  });

  it('sweep --dry-run --wait measures without aborting and exits 0; sweeps lists it', async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-cli-sweep');
    await Promise.all(Array.from({ length: 4 }, (_, i) => createUpload(s3, 'mpu-reaper-cli-sweep', `d/${i}`, [2, 3])));
    await intoNextSecond();

    // Act: the endpoint reports each upload's real Initiated, so uploads just created are younger than an hour
    const young = await cli(['sweep', '--bucket', 'mpu-reaper-cli-sweep', '--older-than', '1h', '--dry-run', '--wait', '--json']);
    const swept = await cli(['sweep', '--bucket', 'mpu-reaper-cli-sweep', '--older-than', '0s', '--force', '--dry-run', '--wait', '--json']);
    const listed = await cli(['sweeps', '--json']);

    // Assert
    expect([young.code, swept.code, listed.code]).toEqual([0, 0, 0]);
    expect(JSON.parse(young.stdout)).toMatchObject({ status: 'COMPLETED', found: 0, wouldAbort: 0 });
    const sweep = JSON.parse(swept.stdout);
    expect(sweep).toMatchObject({ status: 'COMPLETED', dryRun: true, found: 4, wouldAbort: 4, aborted: 0, bytesFound: 20, trigger: 'cli' });
    expect(JSON.parse(listed.stdout).map((s: { id: string }) => s.id)).toContain(sweep.id);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-reaper-cli-sweep' }))).Uploads).toHaveLength(4);
  });

  it('local deploy deploys into the endpoint again without harm', async () => {
    // Act
    const { code, stdout } = await cli(['local', 'deploy', '--json']);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ endpoint: stack.endpoint, tableName: 'mpu-reaper-records', stateMachineArns: stack.stateMachineArns });
  });
});
