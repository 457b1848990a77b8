/**
 * The ledger on the local stack (lib/ledger.ts): a sweep and an API abort add what they aborted by bucket and month,
 * once, however often a step is retried or a request repeated; the ledger outlives the records; the report's totals are
 * the ledger's months plus the records' (lib/report/join.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordOutcome, type LoopState } from '../../lib/abort-run.ts';
import { ledgerId, ledgerMonth, ledgerUpdate, transact } from '../../lib/ledger.ts';
import type { LocalStack } from '../../emulator/stack.ts';
import { recordId } from '../../lib/record-id.ts';
import { getRecord, type AbortRecord } from '../../lib/records.ts';
import { recordPage, type RecordPageEvent } from '../../lib/sweep/record.ts';
import { DEFAULT_RUN_SETTINGS, emptyTotals, type TargetState } from '../../lib/sweep/state.ts';
import { awsClients, createBucket, createUpload, intoNextSecond, startApiStack } from '../support/workflow.ts';
import { cliProcess } from '../support/cli-process.ts';

const BUCKET = 'mpu-reaper-ledger';
let stack: LocalStack;
let s3: S3Client;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  stack = await startApiStack();
  ({ s3, doc } = awsClients(stack.endpoint));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const ledgerItem = async (month: string) =>
  (await doc.send(new GetCommand({ TableName: stack.tableName, Key: { id: ledgerId(BUCKET, month) }, ConsistentRead: true }))).Item ?? {};
const report = async (...flags: string[]) => {
  const { code, stdout, stderr } = await cliProcess(stack.endpoint, ['report', '--bucket', BUCKET, '--json', ...flags]);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as { totals: Record<string, number>; ledgerMonths?: string[] };
};

/** a page of a sweep of BUCKET that aborted these uploads, as "Record the page" receives it */
function pageEvent(sweepId: string, uploads: Array<{ k: string; u: string; p: number; b: number }>): RecordPageEvent {
  const state = {
    sweep: {
      id: sweepId,
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:sweep-uploads:${sweepId}`,
      startedAt: new Date().toISOString(),
      dryRun: false,
      measure: true,
      settings: { ...DEFAULT_RUN_SETTINGS, retentionSeconds: 3600 },
    },
    target: { index: 0, bucket: BUCKET, prefix: '', olderThan: '0s', olderThanSeconds: 0, cutoff: new Date().toISOString(), maxUploads: 100 },
    cursor: { keyMarker: '', uploadIdMarker: '' },
    done: false,
    truncated: false,
    totals: emptyTotals(),
    seq: 4,
    slice: { execution: 'target-exec', run: 'run-1', events: 10, full: false },
    handovers: [],
    recoveries: 0,
  } as unknown as TargetState;
  const n = uploads.length;
  return {
    action: 'page',
    state,
    parent: 'target-exec',
    page: {
      listedAt: new Date().toISOString(),
      waitSeconds: 1,
      uploads,
      decided: [],
      listed: n,
      busy: 0,
      cursor: { keyMarker: 'z', uploadIdMarker: 'z' },
      last: true,
      truncated: false,
    },
    answers: { aborted: uploads.map(() => 'sent'), verified: { answers: uploads.map(() => 'gone'), kinds: ['gone'] } },
    runStartedAt: new Date().toISOString(),
  } as unknown as RecordPageEvent;
}

describe('the ledger on the local stack', () => {
  const month = ledgerMonth(new Date().toISOString());
  let sweepReport: Record<string, number>;

  it('a sweep adds what it aborted by class, zero-part uploads apart, which its records show with partsFound 0', async () => {
    // Arrange
    await createBucket(s3, BUCKET);
    await Promise.all([
      createUpload(s3, BUCKET, 'std/0', [100, 200]),
      createUpload(s3, BUCKET, 'ia/0', [400], 'STANDARD_IA'),
      createUpload(s3, BUCKET, 'empty/0', []),
    ]);
    await intoNextSecond();

    // Act
    const { body } = await api('POST', '/sweeps', { targets: [{ bucket: BUCKET, olderThan: '0s' }], force: true });
    await vi.waitUntil(async () => (await api('GET', `/sweeps/${body.id}`)).body.status === 'COMPLETED', { timeout: 60_000, interval: 200 });

    // Assert
    expect(await ledgerItem(month)).toMatchObject({
      uploads: 2,
      bytesFreed: 700,
      zeroPartUploads: 1,
      'c#us-east-1#STANDARD#bytes': 300,
      'c#us-east-1#STANDARD_IA#uploads': 1,
      statusKey: 'LEDGER',
    });
    const { Items = [] } = await doc.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': 'key' },
        ExpressionAttributeValues: { ':k': 'empty/0' },
      }),
    );
    expect(Items).toEqual([expect.objectContaining({ status: 'ABORTED', partsFound: 0, bytesFound: 0 })]);
  }, 90_000);

  it('a page recorded twice (a retried Lambda, a duplicate page execution) is added once', async () => {
    // Arrange
    const before = await ledgerItem(month);
    const event = pageEvent('sweep-twice', [
      { k: 'twice/0', u: 'U0', p: 2, b: 1000 },
      { k: 'twice/1', u: 'U1', p: 1, b: 24 },
    ]);
    const deps = { s3, doc, tableName: stack.tableName };

    // Act
    const first = await recordPage(deps, event);
    const again = await Promise.all([recordPage(deps, event), recordPage(deps, event)]);

    // Assert: the sweep's totals count the page each time (the same page), the ledger once
    expect(first.state.totals.aborted).toBe(2);
    expect(again.map((r) => r.state.totals.aborted)).toEqual([2, 2]);
    const after = await ledgerItem(month);
    expect(Number(after.uploads) - Number(before.uploads ?? 0)).toBe(2);
    expect(Number(after.bytesFreed) - Number(before.bytesFreed ?? 0)).toBe(1024);
  });

  it('an API abort is added once: a repeated request and a retried record write add nothing', async () => {
    // Arrange
    const upload = await createUpload(s3, BUCKET, 'api/0', [2048]);
    const before = await ledgerItem(month);
    const id = recordId(BUCKET, upload.key, upload.uploadId);

    // Act: the abort, the same request again once it is recorded, and its record write retried
    await api('POST', '/aborts', upload);
    await vi.waitUntil(async () => (await getRecord(doc, stack.tableName, id))?.status === 'ABORTED', { timeout: 30_000, interval: 200 });
    await api('POST', '/aborts', upload);
    const record = (await getRecord(doc, stack.tableName, id)) as AbortRecord;
    const state = {
      run: { id, bucket: BUCKET, key: upload.key, uploadId: upload.uploadId, trigger: 'api', executionArn: record.executionArn, startedAt: record.startedAt },
      s3: { Bucket: BUCKET, Key: upload.key, UploadId: upload.uploadId },
      variant: 'plain',
      next: 'abort',
      measure: { parts: 1, bytes: 2048 },
      loop: { attempt: 0, waitSeconds: 1 },
      waits: [1],
      lastAttempt: 0,
      abortAnswer: {},
      checkAnswer: { Error: 'S3.NoSuchUploadException', Cause: 'The specified upload does not exist.' },
    } as unknown as LoopState;
    await recordOutcome({ doc, tableName: stack.tableName }, state);

    // Assert
    const after = await ledgerItem(month);
    expect(Number(after.uploads) - Number(before.uploads ?? 0)).toBe(1);
    expect(Number(after.bytesFreed) - Number(before.bytesFreed ?? 0)).toBe(2048);
    expect((await getRecord(doc, stack.tableName, id))?.countedIn).toBe(ledgerId(BUCKET, month));
    sweepReport = (await report('--since', '1h', '--retention', '0s')).totals;
    expect(sweepReport).toMatchObject({ uploads: 5, bytesFreed: 700 + 1024 + 2048, zeroPartUploads: 1 });
  }, 60_000);

  it("the report's totals are the ledger's months plus the records'", async () => {
    // Arrange: an older month the records no longer hold, in the ledger alone
    const old = ledgerMonth(new Date(Date.now() - 60 * 86_400_000).toISOString());
    const delta = {
      bucket: BUCKET,
      month: old,
      uploads: 7,
      bytesFreed: 7000,
      zeroPartUploads: 2,
      classes: { 'us-east-1#STANDARD': { uploads: 7, bytes: 7000 } },
    };
    expect(await transact(doc, [ledgerUpdate(stack.tableName, delta)])).toBeUndefined();

    // Act: 40 days of retention: that month from the ledger, this one from the records
    const joined = await report('--since', '100d', '--retention', '40d');

    // Assert
    expect(joined.ledgerMonths).toContain(old);
    expect(joined.ledgerMonths).not.toContain(month);
    expect(joined.totals).toMatchObject({ uploads: sweepReport.uploads + 7, bytesFreed: sweepReport.bytesFreed + 7000, zeroPartUploads: 3 });
  }, 60_000);

  it('outlives the records: with every upload record gone, a report from the ledger gives the same totals', async () => {
    // Arrange: the TTL's work, done at once
    const { Items = [] } = await doc.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: '#b = :b AND #t = :t',
        ExpressionAttributeNames: { '#b': 'bucket', '#t': 'recordType' },
        ExpressionAttributeValues: { ':b': BUCKET, ':t': 'upload' },
      }),
    );
    expect(Items.length).toBeGreaterThanOrEqual(6);
    await Promise.all(Items.map((item) => doc.send(new DeleteCommand({ TableName: stack.tableName, Key: { id: item.id } }))));

    // Act: a retention of an hour puts this month past it: read from the ledger
    const fromRecords = await report('--since', '1h', '--retention', '0s');
    const fromLedger = await report('--since', '1h', '--retention', '1h');

    // Assert
    expect(fromRecords.totals.uploads).toBe(0);
    expect(fromLedger.ledgerMonths).toEqual([month]);
    expect(fromLedger.totals).toEqual(sweepReport);
  }, 60_000);
});
