/**
 * The activity guard and uploads S3 will not list (SSE-KMS without kms:Decrypt), on the local stack through the HTTP
 * API: the real definitions on moto_server, whose ListParts gives each part its real LastModified (second precision).
 * ListParts is denied with the Chaos API (403 AccessDenied, as S3 answers without kms:Decrypt on the upload's key).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateBucketCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { LOCAL_SETTINGS } from '../../lib/settings.ts';
import { recordId } from '../../lib/record-id.ts';
import { awsClients, createUpload, fastRetries } from '../support/workflow.ts';

let stack: LocalStack;
let s3: S3Client;
let direct: S3Client;

beforeAll(async () => {
  // the local profile's short waits, with the deployed default window (1 h): every test names the window it needs
  stack = await startLocalStack({
    apiPort: 0,
    tableName: 'guard-records',
    settings: { ...LOCAL_SETTINGS, SweepActiveWithin: 3600 },
    retryIntervalOverrides: fastRetries(),
  });
  s3 = awsClients(stack.endpoint, { maxAttempts: 1 }).s3;
  direct = awsClients(stack.moto.endpoint).s3; // moto itself, past the Chaos API's rules
  for (const bucket of ['guard-bucket', 'kms-bucket', 'kms-abort-bucket']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, 120_000);

afterEach(() => {
  stack.chaos.setFaults([]);
});

afterAll(async () => {
  s3?.destroy();
  direct?.destroy();
  await stack?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const init = body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  const response = await fetch(`${stack.apiUrl}${path}`, { method, ...init });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = (path: string, done: (body: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> =>
  vi.waitFor(
    async () => {
      const { status, body } = await api('GET', path);
      if (status === 200 && done(body)) return body;
      throw new Error(`${path} did not finish`);
    },
    { timeout: 60_000, interval: 100 },
  );

async function runSweep(request: object) {
  const started = await api('POST', '/sweeps', request);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return until(`/sweeps/${started.body.id as string}`, (b) => b.status !== 'RUNNING');
}
const record = (bucket: string, key: string, uploadId: string) => until(`/aborts/${recordId(bucket, key, uploadId)}`, (b) => b.status !== 'RUNNING');
const listed = async (bucket: string) => ((await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.UploadId);
const expectInvariant = (s: Record<string, unknown>) => {
  const n = (name: string) => Number(s[name] ?? 0);
  const counted = ['aborted', 'notFound', 'partsRemain', 'failed', 'wouldAbort', 'busy', 'skippedActive', 'skippedUnreadable'].reduce((t, c) => t + n(c), 0);
  expect(n('found')).toBe(counted);
};

const DENY_LIST_PARTS = [{ service: 's3', operation: 'ListParts', error: { statusCode: 403, code: 'AccessDenied', message: 'Access Denied' } }];

describe('the activity guard', () => {
  it('a sweep skips the upload still receiving parts (SKIPPED_ACTIVE, lastPartAt), aborts the idle one; a later sweep aborts it once idle', async () => {
    // Arrange: an idle upload, and one receiving a part every 250 ms
    const idle = await createUpload(direct, 'guard-bucket', 'idle.bin', [5]);
    const active = await createUpload(direct, 'guard-bucket', 'active.bin', [5]);
    let feeding = true;
    const feeder = (async () => {
      for (let part = 2; feeding; part++) {
        await direct.send(
          new UploadPartCommand({ Bucket: 'guard-bucket', Key: 'active.bin', UploadId: active.uploadId, PartNumber: part, Body: Buffer.alloc(5, 1) }),
        );
        await sleep(250);
      }
    })();
    await sleep(3500); // the idle upload's part is older than the window

    // Act
    const first = await runSweep({ targets: [{ bucket: 'guard-bucket', olderThan: '1d' }], activeWithin: '2s' });
    const skipped = await record('guard-bucket', 'active.bin', active.uploadId);
    feeding = false;
    await feeder;
    await sleep(3500);
    const second = await runSweep({ targets: [{ bucket: 'guard-bucket', olderThan: '1d' }], activeWithin: '2s' });

    // Assert
    expect(first).toMatchObject({ status: 'COMPLETED', found: 2, aborted: 1, skippedActive: 1 });
    expectInvariant(first);
    expect(skipped).toMatchObject({ status: 'SKIPPED_ACTIVE', sweepId: first.id, cause: expect.stringContaining('activity guard') });
    expect(Date.parse(String(skipped.lastPartAt))).toBeGreaterThan(Date.parse(String(first.startedAt)) - 3000);
    expect(await record('guard-bucket', 'idle.bin', idle.uploadId)).toMatchObject({ status: 'ABORTED', sweepId: first.id });
    expect(second).toMatchObject({ status: 'COMPLETED', found: 1, aborted: 1, skippedActive: 0 });
    expectInvariant(second);
    expect(await record('guard-bucket', 'active.bin', active.uploadId)).toMatchObject({ status: 'ABORTED', sweepId: second.id });
    expect(await listed('guard-bucket')).toEqual([]);
  }, 120_000);

  it('a single abort with idleFor skips an upload with a recent part; without it, the abort is not guarded', async () => {
    // Arrange
    const upload = await createUpload(direct, 'guard-bucket', 'single.bin', [5]);
    const request = { bucket: 'guard-bucket', key: 'single.bin', uploadId: upload.uploadId };

    // Act
    await api('POST', '/aborts', { ...request, idleFor: '1h' });
    const guarded = await record('guard-bucket', 'single.bin', upload.uploadId);
    await api('POST', '/aborts', { ...request, recheck: true });
    const unguarded = await until(
      `/aborts/${recordId('guard-bucket', 'single.bin', upload.uploadId)}`,
      (b) => b.status !== 'RUNNING' && b.status !== 'SKIPPED_ACTIVE',
    );

    // Assert
    expect(guarded).toMatchObject({ status: 'SKIPPED_ACTIVE', attempts: 0, lastPartAt: expect.any(String) });
    expect(unguarded).toMatchObject({ status: 'ABORTED' });
    expect(await listed('guard-bucket')).not.toContain(upload.uploadId);
  }, 60_000);

  it.each([
    ['activeWithin', { targets: [{ bucket: 'guard-bucket', olderThan: '1d' }], activeWithin: '8d' }, '/sweeps'],
    ['idleFor', { bucket: 'guard-bucket', key: 'k', uploadId: 'U', idleFor: '7d1s' }, '/aborts'],
  ])('refuses %s outside 0s … 7d with 400 naming the field', async (field, body, path) => {
    const answer = await api('POST', path, body);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(field);
  });
});

describe('uploads whose ListParts S3 refuses (SSE-KMS without kms:Decrypt)', () => {
  it('a guarded sweep skips them (SKIPPED_UNREADABLE, what to grant); with --no-activity-guard it aborts them', async () => {
    // Arrange
    const upload = await createUpload(direct, 'kms-bucket', 'encrypted.bin', [5]);
    stack.chaos.setFaults(DENY_LIST_PARTS);

    // Act
    const guarded = await runSweep({ targets: [{ bucket: 'kms-bucket', olderThan: '1d' }] });
    const skipped = await record('kms-bucket', 'encrypted.bin', upload.uploadId);
    const stillThere = await listed('kms-bucket');
    const unguarded = await runSweep({ targets: [{ bucket: 'kms-bucket', olderThan: '1d' }], activityGuard: false });

    // Assert
    expect(guarded).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', found: 1, skippedUnreadable: 1, aborted: 0, failed: 0 });
    expectInvariant(guarded);
    expect(skipped).toMatchObject({
      status: 'SKIPPED_UNREADABLE',
      error: 'AccessDenied',
      cause: expect.stringMatching(/kms:Decrypt.*s3\.us-east-1\.amazonaws\.com/),
    });
    expect(stillThere).toEqual([upload.uploadId]);
    expect(unguarded).toMatchObject({ found: 1, aborted: 1, skippedUnreadable: 0 });
    expectInvariant(unguarded);
    expect(await record('kms-bucket', 'encrypted.bin', upload.uploadId)).toMatchObject({ status: 'ABORTED', sweepId: unguarded.id });
    expect(await listed('kms-bucket')).toEqual([]);
  }, 120_000);

  it('an explicit abort aborts it and records ABORTED, verified false, with the reason and what to grant', async () => {
    // Arrange
    const { UploadId } = await direct.send(new CreateMultipartUploadCommand({ Bucket: 'kms-abort-bucket', Key: 'encrypted.bin' }));
    stack.chaos.setFaults(DENY_LIST_PARTS);

    // Act
    const started = await api('POST', '/aborts', { bucket: 'kms-abort-bucket', key: 'encrypted.bin', uploadId: UploadId });
    const outcome = await record('kms-abort-bucket', 'encrypted.bin', UploadId!);

    // Assert
    expect(started.status).toBe(202);
    expect(outcome).toMatchObject({ status: 'ABORTED', verified: false, attempts: 1, cause: expect.stringMatching(/AccessDenied.*kms:Decrypt/) });
    expect(await listed('kms-abort-bucket')).toEqual([]);
  }, 60_000);
});
