/**
 * A dry run's record (WOULD_ABORT) is a finding, not an outcome, on the local stack: after `sweep --dry-run`, every
 * real entry (the CLI, POST /aborts, an event, a real sweep) aborts the upload and records ABORTED without dryRun, and
 * the record's history keeps what the dry run found; a recheck never erases an earlier ABORTED's parts and bytes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { LocalStack } from '../../emulator/stack.ts';
import { recordId } from '../../lib/record-id.ts';
import { awsClients, createBucket, createUpload, intoNextSecond, startApiStack } from '../support/workflow.ts';
import { cliProcess } from '../support/cli-process.ts';

const BUCKET = 'mpu-reaper-dry-then-real';
let stack: LocalStack;
let s3: S3Client;

beforeAll(async () => {
  stack = await startApiStack();
  ({ s3 } = awsClients(stack.endpoint));
});

afterAll(async () => {
  await stack?.stop();
});

/** `npx mpu-reaper …` against the local stack: its exit code and output */
const cli = (args: string[]) => cliProcess(stack.endpoint, args);
const api = async (method: string, path: string, body?: unknown) => {
  const init = body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  const response = await fetch(`${stack.apiUrl}${path}`, { method, ...init });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const finishedRecord = (id: string) =>
  vi.waitFor(
    async () => {
      const { status, body } = await api('GET', `/aborts/${id}`);
      if (status === 200 && body.status !== undefined && body.status !== 'RUNNING') return body;
      throw new Error(`record ${id} never finished`);
    },
    { timeout: 20_000, interval: 50 },
  );
const listed = async () => ((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).map((u) => u.Key);
const flagsOf = (u: { bucket: string; key: string; uploadId: string }) => ['--bucket', u.bucket, '--key', u.key, '--upload-id', u.uploadId];

describe('after sweep --dry-run, a real run owns the upload', () => {
  it('abort --wait, POST /aborts, an event and a real sweep each abort an upload the dry run found; history keeps WOULD_ABORT', async () => {
    // Arrange: four uploads, all found by a dry-run sweep
    await createBucket(s3, BUCKET);
    const [byCli, byApi, byEvent, bySweep] = await Promise.all(['cli', 'api', 'event', 'sweep'].map((k) => createUpload(s3, BUCKET, k, [10, 20])));
    // the endpoint reports each upload's real Initiated: old enough for "0s" from the next second on (--force: below the minimum age)
    await intoNextSecond();
    const dry = await cli(['sweep', '--bucket', BUCKET, '--older-than', '0s', '--force', '--dry-run', '--wait', '--json']);
    expect(JSON.parse(dry.stdout)).toMatchObject({ status: 'COMPLETED', wouldAbort: 4, aborted: 0 });
    const dryRunId = JSON.parse(dry.stdout).id as string;

    // Act
    const aborted = await cli(['abort', ...flagsOf(byCli), '--wait', '--json']);
    const posted = await api('POST', '/aborts', byApi);
    await new EventBridgeClient({ endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }).send(
      new PutEventsCommand({ Entries: [{ Source: 'mpu-reaper', DetailType: 'Abort Multipart Upload Requested', Detail: JSON.stringify(byEvent) }] }),
    );
    const records = {
      api: await finishedRecord(recordId(byApi.bucket, byApi.key, byApi.uploadId)),
      event: await finishedRecord(recordId(byEvent.bucket, byEvent.key, byEvent.uploadId)),
    };
    const real = await cli(['sweep', '--bucket', BUCKET, '--older-than', '0s', '--force', '--wait', '--json']);
    const swept = await finishedRecord(recordId(bySweep.bucket, bySweep.key, bySweep.uploadId));

    // Assert: every upload really aborted, every record ABORTED by its real run, without dryRun, the finding in history
    const finding = { status: 'WOULD_ABORT', dryRun: true, sweepId: dryRunId, partsFound: 2, bytesFound: 30, attempts: 0 };
    expect(aborted.code).toBe(0);
    const cliRecord = JSON.parse(aborted.stdout);
    expect(cliRecord).toMatchObject({ status: 'ABORTED', trigger: 'cli', partsFound: 2, bytesFound: 30, history: [finding] });
    expect(posted.status).toBe(202);
    expect(records.api).toMatchObject({ status: 'ABORTED', trigger: 'api', partsFound: 2, history: [finding] });
    expect(records.event).toMatchObject({ status: 'ABORTED', trigger: 'event', partsFound: 2, history: [finding] });
    expect(JSON.parse(real.stdout)).toMatchObject({ status: 'COMPLETED', aborted: 1 });
    expect(swept).toMatchObject({ status: 'ABORTED', trigger: 'sweep', sweepId: JSON.parse(real.stdout).id, history: [finding] });
    for (const record of [cliRecord, records.api, records.event, swept]) expect(record).not.toHaveProperty('dryRun');
    expect(await listed()).toEqual([]);
  });

  it('a recheck of an ABORTED upload records NOT_FOUND and keeps the ABORTED run, its parts and bytes, in history', async () => {
    // Arrange
    const upload = await createUpload(s3, BUCKET, 'recheck', [5, 6, 7]);
    const first = await cli(['abort', ...flagsOf(upload), '--wait', '--json']);

    // Act
    const recheck = await cli(['abort', ...flagsOf(upload), '--recheck', '--wait', '--json']);

    // Assert
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'ABORTED', partsFound: 3, bytesFound: 18 });
    expect(recheck.code).toBe(0);
    expect(JSON.parse(recheck.stdout)).toMatchObject({
      status: 'NOT_FOUND',
      history: [{ status: 'ABORTED', partsFound: 3, bytesFound: 18, trigger: 'cli', executionArn: JSON.parse(first.stdout).executionArn }],
    });
  });
});
