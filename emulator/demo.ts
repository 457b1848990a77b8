/**
 * The `npm start` demo, and its pieces: a part uploader that keeps going while its upload is aborted, and progress
 * rows fed by GetExecutionHistory (shown with the CLI's progress display and table, lib/cli/progress.ts and
 * lib/cli/format.ts). Everything goes through the local endpoint with ordinary AWS SDK clients, as any other client
 * of the stack would.
 */
import { CreateBucketCommand, CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { formatTable } from 's3-mpu-reaper/lib/cli/format.ts';
import { createProgressDisplay, type Output } from 's3-mpu-reaper/lib/cli/progress.ts';
import { abortExecutionName, recordId } from 's3-mpu-reaper/lib/record-id.ts';
import { getRecord, type AbortRecord } from 's3-mpu-reaper/lib/records.ts';
import { isAbortState } from 's3-mpu-reaper/lib/state-names.ts';
import { runInput } from 's3-mpu-reaper/lib/validation.ts';

export const DEMO_BUCKET = 'mpu-reaper-demo';

export interface UploadRef {
  bucket: string;
  key: string;
  uploadId: string;
}

// ---------------------------------------------------------------------------------------------------------------
// A client that keeps uploading parts
// ---------------------------------------------------------------------------------------------------------------

export interface PartUploader {
  /** parts uploaded so far */
  readonly uploaded: number;
  /** why the loop ended, when UploadPart failed */
  readonly stoppedBy: string | undefined;
  /** settles when the loop has ended (UploadPart failed, stop() was called, or part 10,000 was sent) */
  readonly done: Promise<void>;
  /** ends the loop and resolves with the number of parts uploaded */
  stop(): Promise<number>;
}

/** Uploads a part every `intervalMs` until UploadPart fails (the upload was aborted) or stop() is called. */
export function keepUploadingParts(
  s3: S3Client,
  upload: UploadRef,
  options: { firstPartNumber?: number; intervalMs?: number; partSize?: number } = {},
): PartUploader {
  const intervalMs = options.intervalMs ?? 100;
  const body = Buffer.alloc(options.partSize ?? 64 * 1024, 0x2a);
  let running = true;
  let uploaded = 0;
  let stoppedBy: string | undefined;
  let wake: (() => void) | undefined;
  const done = (async () => {
    for (let part = options.firstPartNumber ?? 1; running && part <= 10_000; part++) {
      try {
        await s3.send(new UploadPartCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId, PartNumber: part, Body: body }));
        uploaded += 1;
      } catch (error) {
        const e = error as Error & { $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        stoppedBy = `UploadPart #${part} refused${status ? ` (HTTP ${status}${e.name && e.name !== 'Error' ? ` ${e.name}` : ''})` : `: ${e.name}`}`;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    get uploaded() {
      return uploaded;
    },
    get stoppedBy() {
      return stoppedBy;
    },
    done,
    async stop() {
      running = false;
      wake?.();
      await done;
      return uploaded;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Progress from an execution's history
// ---------------------------------------------------------------------------------------------------------------

interface HistoryLike {
  type?: string;
  stateEnteredEventDetails?: { name?: string };
}

/** The state an execution is in (its latest …StateEntered event) and how many aborts it has sent. */
export function progressFromHistory(events: readonly HistoryLike[]): { state: string | undefined; attempts: number } {
  let state: string | undefined;
  let attempts = 0;
  for (const event of events) {
    if (!event.type?.endsWith('StateEntered')) continue;
    const name = event.stateEnteredEventDetails?.name;
    state = name;
    if (event.type === 'TaskStateEntered' && isAbortState(name)) attempts += 1;
  }
  return { state, attempts };
}

export interface ProgressRow {
  label: string;
  status: string;
  state?: string;
  attempts: number;
  note?: string;
}

const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));

export function formatProgressLine(row: ProgressRow): string {
  const parts = [fit(row.label, 26), fit(row.status, 9), fit(row.state ?? '', 28), `aborts ${row.attempts}`];
  if (row.note) parts.push(` ${row.note}`);
  return `  ${parts.join(' ')}`.trimEnd();
}

// ---------------------------------------------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------------------------------------------

export interface DemoOptions {
  endpoint: string;
  stateMachineArn: string;
  tableName: string;
  out?: Output;
  bucket?: string;
  /** how often the progress display polls GetExecutionHistory */
  pollMs?: number;
}

export interface DemoResult {
  executions: Array<{ upload: UploadRef; executionArn: string; status: string; record: AbortRecord | undefined }>;
  /** parts the "keeps uploading" client got in before the abort stopped it, and how it was stopped */
  liveUploader: { uploaded: number; stoppedBy: string | undefined };
}

const STILL_UPLOADING_KEY = 'live/camera-feed.ts';
const DEMO_UPLOADS: Array<{ key: string; partSizes: number[] }> = [
  { key: 'videos/holiday.mp4', partSizes: [1_048_576, 1_048_576, 524_288] },
  { key: 'backups/db-2025-11-22.dump', partSizes: [1_048_576, 262_144] },
  { key: 'logs/app.log.tar', partSizes: [65_536, 65_536, 65_536, 4_096] },
];

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const out: Output = options.out ?? process.stdout;
  const bucket = options.bucket ?? DEMO_BUCKET;
  const config = {
    endpoint: options.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    forcePathStyle: true,
    maxAttempts: 1,
  };
  const s3 = new S3Client(config);
  const sfn = new SFNClient(config);
  const dynamodb = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(dynamodb);
  let uploader: PartUploader | undefined;
  try {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((error as Error).name)) throw error;
    }
    const uploads: UploadRef[] = [];
    for (const { key, partSizes } of DEMO_UPLOADS) {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const upload = { bucket, key, uploadId: UploadId! };
      for (const [i, size] of partSizes.entries()) {
        await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: UploadId, PartNumber: i + 1, Body: Buffer.alloc(size, 1) }));
      }
      uploads.push(upload);
      out.write(`created s3://${bucket}/${key} with ${partSizes.length} parts (${partSizes.reduce((a, b) => a + b, 0)} bytes), left incomplete\n`);
    }
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: STILL_UPLOADING_KEY }));
    const live = { bucket, key: STILL_UPLOADING_KEY, uploadId: UploadId! };
    uploads.push(live);
    uploader = keepUploadingParts(s3, live, { intervalMs: 100 });
    out.write(`created s3://${bucket}/${STILL_UPLOADING_KEY}: a client keeps uploading a part every 100 ms while it is aborted\n`);
    await new Promise((r) => setTimeout(r, 500));

    out.write(`\nstarting ${uploads.length} abort executions (FirstWaitSeconds and MaxWaitSeconds come from the stack's settings)\n\n`);
    const started = [];
    for (const upload of uploads) {
      const id = recordId(upload.bucket, upload.key, upload.uploadId);
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: options.stateMachineArn,
          name: abortExecutionName(id),
          input: JSON.stringify(runInput(upload, 'direct')),
        }),
      );
      started.push({ upload, id, executionArn: executionArn! });
    }

    const display = createProgressDisplay(out);
    const statuses = new Map<string, string>();
    for (;;) {
      const rows: ProgressRow[] = [];
      for (const { upload, executionArn } of started) {
        const [{ status }, { events }] = await Promise.all([
          sfn.send(new DescribeExecutionCommand({ executionArn })),
          sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: false })),
        ]);
        statuses.set(executionArn, status!);
        const { state, attempts } = progressFromHistory((events ?? []) as HistoryEvent[]);
        const note =
          upload === live ? `client sent ${uploader.uploaded} parts${uploader.stoppedBy ? `, then ${uploader.stoppedBy}` : ', still sending'}` : undefined;
        rows.push({ label: upload.key, status: status!, state, attempts, note });
      }
      display.update(rows.map(formatProgressLine));
      if ([...statuses.values()].every((s) => s !== 'RUNNING')) break;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
    }
    // the abort ended the live client's loop already (UploadPart failed); stop() only makes sure
    await uploader.stop();

    const executions = [];
    for (const { upload, id, executionArn } of started) {
      executions.push({ upload, executionArn, status: statuses.get(executionArn)!, record: await getRecord(doc, options.tableName, id) });
    }
    out.write(`\nrecords in DynamoDB table ${options.tableName} (GetItem through the endpoint):\n\n`);
    out.write(
      `${formatTable(
        ['key', 'status', 'attempts', 'partsFound', 'bytesFound', 'trigger', 'startedAt', 'finishedAt'],
        executions.map(({ upload, record }) => [
          upload.key,
          record?.status ?? '(no record)',
          record?.attempts,
          record?.partsFound,
          record?.bytesFound,
          record?.trigger,
          record?.startedAt,
          record?.finishedAt,
        ]),
      )}\n`,
    );
    return { executions, liveUploader: { uploaded: uploader.uploaded, stoppedBy: uploader.stoppedBy } };
  } finally {
    await uploader?.stop();
    s3.destroy();
    sfn.destroy();
    dynamodb.destroy();
  }
}
