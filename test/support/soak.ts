/**
 * The soak: uploads aborted through the local API while the Chaos API faults a share of every S3 and DynamoDB call (the
 * workflow's own Tasks, its functions' clients and the API's), then every upload's record checked against S3 itself.
 * Used by test/integration/soak.test.ts (small, seeded) and `npm run soak` (1,000 uploads).
 */
import { CreateBucketCommand, CreateMultipartUploadCommand, ListPartsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FaultRule } from '../../emulator/fault-rules.ts';
import { startLocalStack } from '../../emulator/stack.ts';
import { recordId } from '../../lib/record-id.ts';
import { getRecord, TERMINAL_STATUSES } from '../../lib/records.ts';
import { ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';
import { fastRetries, intoNextSecond } from './workflow.ts';

/** one in `rate` of every S3 and DynamoDB request fails, in the ways requests fail on AWS (shares of the rate) */
export function mixedFaults(rate: number): FaultRule[] {
  const share = (part: number) => Math.round(rate * part * 10_000) / 10_000;
  return [
    { service: 's3', operation: 'AbortMultipartUpload', probability: share(0.2), drop: true }, // 204, nothing aborted
    { service: 's3', probability: share(0.25), error: { statusCode: 503, code: 'SlowDown' } },
    { service: 's3', probability: share(0.15), error: { statusCode: 500, code: 'InternalError' } },
    { service: 's3', probability: share(0.2), reset: true },
    { service: 's3', probability: share(0.2), after: true, error: { statusCode: 500, code: 'InternalError' } }, // applied, answer lost
    { service: 'dynamodb', probability: share(0.3), error: { statusCode: 400, code: 'ProvisionedThroughputExceededException' } },
    { service: 'dynamodb', probability: share(0.2), error: { statusCode: 500, code: 'InternalServerError' } },
    { service: 'dynamodb', probability: share(0.25), reset: true },
    { service: 'dynamodb', probability: share(0.25), after: true, error: { statusCode: 500, code: 'InternalServerError' } },
  ];
}

export interface SoakResult {
  uploads: number;
  /** terminal records by status */
  statuses: Record<string, number>;
  /** uploads with no record, or with a record still RUNNING */
  missing: number;
  running: number;
  /** ABORTED while S3 still lists the upload */
  falseAborted: number;
  /** NOT_FOUND although every upload existed when it was requested (nothing else aborts them) */
  falseNotFound: number;
  /** the upload is still there and its record does not say so (PARTS_REMAIN or FAILED would) */
  unexplainedUploads: number;
  executionsStillRunning: number;
  injected: number;
  postRetries: number;
  seconds: number;
}

const pool = async <T>(items: T[], size: number, work: (item: T) => Promise<void>) => {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
};

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runSoak(options: {
  uploads: number;
  seed: number;
  faultRate: number;
  concurrency?: number;
  log?: (line: string) => void;
}): Promise<SoakResult> {
  const started = Date.now();
  const stack = await startLocalStack({
    apiPort: 0,
    tableName: 'soak-records',
    chaos: { seed: options.seed },
    waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 10 },
    retryIntervalOverrides: fastRetries(),
  });
  const config = { endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'soak', secretAccessKey: 'soak' }, maxAttempts: 1 };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const bucket = 'mpu-reaper-soak';
  const concurrency = options.concurrency ?? 16;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const uploads: Array<{ bucket: string; key: string; uploadId: string }> = [];
    await pool(
      Array.from({ length: options.uploads }, (_, i) => i),
      concurrency,
      async (i) => {
        const key = `soak/${String(i).padStart(5, '0')}.bin`;
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        for (let part = 1; part <= 1 + (i % 3); part++) {
          await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: part, Body: Buffer.alloc(512, part) }));
        }
        uploads.push({ bucket, key, uploadId: UploadId! });
      },
    );
    options.log?.(`${uploads.length} uploads created; faulting ${options.faultRate * 100}% of S3 and DynamoDB calls (seed ${options.seed})`);

    stack.chaos.setFaults(mixedFaults(options.faultRate));
    let postRetries = 0;
    await pool(uploads, concurrency, async (upload) => {
      // a client that retries what failed with 5xx or a lost connection, as SDKs do; POST /aborts is idempotent
      for (let attempt = 0; ; attempt += 1) {
        const answer = await fetch(`${stack.apiUrl}/aborts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(upload),
        }).then(
          (r) => r.status,
          () => 599,
        );
        if (answer < 500) return;
        if (attempt >= 20) throw new Error(`POST /aborts kept failing (${answer}) for ${upload.key}`);
        postRetries += 1;
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    });
    const runningExecutions = () =>
      stack.runtime.listExecutions({ stateMachineArn: stack.stateMachineArns.abortUpload, statusFilter: 'RUNNING', maxResults: 1000 }).executions.length;
    await until(async () => runningExecutions() === 0, 240_000);
    const executionsStillRunning = runningExecutions();
    const injected = stack.chaos.counts().injected;
    stack.chaos.setFaults([]);
    // a run interrupted before it recorded its outcome is marked FAILED by the status-change rule's function
    const recordsOf = () =>
      Promise.all(uploads.map(async (u) => ({ upload: u, record: await getRecord(doc, stack.tableName, recordId(u.bucket, u.key, u.uploadId)) })));
    await until(async () => (await recordsOf()).every(({ record }) => record && record.status !== 'RUNNING'), 10_000);

    const result: SoakResult = {
      uploads: uploads.length,
      statuses: {},
      missing: 0,
      running: 0,
      falseAborted: 0,
      falseNotFound: 0,
      unexplainedUploads: 0,
      executionsStillRunning,
      injected,
      postRetries,
      seconds: 0,
    };
    for (const { upload, record } of await recordsOf()) {
      const stillThere = await s3.send(new ListPartsCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId, MaxParts: 1 })).then(
        () => true,
        (error: Error) => (error.name === 'NoSuchUpload' ? false : Promise.reject(error)),
      );
      if (!record) result.missing += 1;
      else if (record.status === 'RUNNING') result.running += 1;
      else result.statuses[record.status] = (result.statuses[record.status] ?? 0) + 1;
      if (record?.status === 'ABORTED' && stillThere) result.falseAborted += 1;
      if (record?.status === 'NOT_FOUND') result.falseNotFound += 1;
      if (stillThere && !(record && ['PARTS_REMAIN', 'FAILED'].includes(record.status))) result.unexplainedUploads += 1;
      if (record && record.status !== 'RUNNING' && !TERMINAL_STATUSES.includes(record.status)) throw new Error(`unknown status ${record.status}`);
    }
    result.seconds = Math.round((Date.now() - started) / 100) / 10;
    return result;
  } finally {
    s3.destroy();
    doc.destroy();
    await stack.stop();
  }
}

export interface SweepSoakResult {
  executionStatus: string;
  summary: Record<string, unknown>;
  /** records by status */
  statuses: Record<string, number>;
  missing: number;
  falseAborted: number;
  injected: number;
  /** lanes the target was swept in (its result in the summary) */
  lanes: number;
  /** what the FAILED and PARTS_REMAIN records say (error and cause), for the test's output */
  unsettled: Array<{ key: string; status: string; attempts?: number; error?: string; cause?: string }>;
}

/**
 * A sweep of `uploads` old uploads (two on every key) while the same mixed faults hit every S3 and DynamoDB call, the
 * target split into lanes of `laneUploads` (the walk under the faults too); each upload checked after.
 */
export async function runSweepSoak(options: { uploads: number; seed: number; faultRate: number; laneUploads?: number }): Promise<SweepSoakResult> {
  const stack = await startLocalStack({
    tableName: 'sweep-soak-records',
    chaos: { seed: options.seed },
    // the uploads are created just before the sweep: the activity guard's default window off
    settings: { SweepLaneUploads: options.laneUploads ?? 40, SweepPageSize: 20, SweepActiveWithin: 0 },
    waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 10, [`${ABORT_UPLOAD_STATES.waitForInFlightParts} again`]: 10 },
    retryIntervalOverrides: fastRetries(),
  });
  const config = { endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'soak', secretAccessKey: 'soak' } };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const bucket = 'mpu-reaper-sweep-soak';
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const uploads: Array<{ key: string; uploadId: string }> = [];
    await pool(
      Array.from({ length: options.uploads }, (_, i) => i),
      16,
      async (i) => {
        const key = `sweep/${String(Math.floor(i / 2)).padStart(5, '0')}`;
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(3) }));
        uploads.push({ key, uploadId: UploadId! });
      },
    );
    await intoNextSecond(); // uploads are listed with their real Initiated: old enough for "0s" from the next second on
    stack.chaos.setFaults(mixedFaults(options.faultRate));
    const name = `sweep-soak-${options.seed}`;
    const { executionArn } = stack.runtime.startExecution({
      stateMachineArn: stack.stateMachineArns.sweepUploads,
      name,
      input: JSON.stringify({ targets: [{ bucket, olderThan: '0s' }], force: true }),
    });
    const execution = await stack.runtime.waitForExecution(executionArn);
    const injected = stack.chaos.counts().injected;
    stack.chaos.setFaults([]);
    const summary = (await getRecord(doc, stack.tableName, name)) as unknown as Record<string, unknown>;
    const [targetResult] = JSON.parse(String(summary?.targetResults ?? '[{}]')) as Array<{ lanes?: number }>;
    const result: SweepSoakResult = {
      executionStatus: execution.status,
      summary,
      statuses: {},
      missing: 0,
      falseAborted: 0,
      injected,
      lanes: targetResult.lanes ?? 0,
      unsettled: [],
    };
    for (const upload of uploads) {
      const record = await getRecord(doc, stack.tableName, recordId(bucket, upload.key, upload.uploadId));
      const stillThere = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId, MaxParts: 1 })).then(
        () => true,
        (error: Error) => (error.name === 'NoSuchUpload' ? false : Promise.reject(error)),
      );
      if (!record) result.missing += 1;
      else result.statuses[record.status] = (result.statuses[record.status] ?? 0) + 1;
      if (record?.status === 'ABORTED' && stillThere) result.falseAborted += 1;
      if (record && ['FAILED', 'PARTS_REMAIN'].includes(record.status)) {
        const { status, attempts, error, cause } = record;
        result.unsettled.push({ key: upload.key, status, attempts, error, cause });
      }
    }
    return result;
  } finally {
    s3.destroy();
    doc.destroy();
    await stack.stop();
  }
}
