/** Test harness: moto_server + the local runtime running the real abort-upload definition. */
import { S3Client, CreateBucketCommand, CreateMultipartUploadCommand, UploadPartCommand, type StorageClass } from '@aws-sdk/client-s3';
import { DynamoDBClient, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startMoto, type MotoServer } from '../../emulator/moto.ts';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';
import type { LocalExecution } from '../../emulator/execution.ts';
import { LocalStepFunctions, taskStatesOf } from '../../emulator/runtime.ts';
import { readFileSync } from 'node:fs';
import { localSubstitutions, loadDefinition, STATE_MACHINES, STATEMACHINES_DIR, type Settings } from '../../lib/settings.ts';
import { recordsTableDefinition, getRecord, type AbortRecord } from '../../lib/records.ts';
import { recordId, abortExecutionName } from '../../lib/record-id.ts';
import { localLambdaHandlers } from '../../emulator/lambdas.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { runInput, type AbortRequest } from '../../lib/validation.ts';
import { ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';

export const TABLE = 'records-under-test';

/**
 * Retry fields keep their real intervals (1 s, doubling, up to 20 s) in the definitions; tests wait 10 ms between
 * retries of every Task state of every state machine, nested ones included.
 */
export function fastRetries(): Record<string, number> {
  const names = Object.values(STATE_MACHINES).flatMap((m) =>
    taskStatesOf(JSON.parse(readFileSync(STATEMACHINES_DIR + m.file, 'utf8')).States).map(([name]) => name),
  );
  return Object.fromEntries(names.map((name) => [name, 10]));
}

/** the whole local stack with its HTTP API, for the buckets mpu-reaper-*, its waits and retries shortened */
export async function startApiStack(): Promise<LocalStack> {
  return startLocalStack({
    apiPort: 0,
    allowedBuckets: 'mpu-reaper-*',
    // the sweeps of these tests sweep uploads just created: the activity guard's default window off (activity-guard.test.ts tests it)
    settings: { SweepActiveWithin: 0 },
    waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 20 },
    retryIntervalOverrides: fastRetries(),
  });
}

/** SDK clients of a test endpoint (moto_server, the local stack, a test proxy), with its dummy credentials */
export function awsClients(endpoint: string, options: { maxAttempts?: number } = {}) {
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, forcePathStyle: true, ...options };
  const dynamodb = new DynamoDBClient(config);
  return { s3: new S3Client(config), sfn: new SFNClient(config), dynamodb, doc: DynamoDBDocumentClient.from(dynamodb) };
}

export async function createTable(dynamodb: DynamoDBClient) {
  await dynamodb.send(new CreateTableCommand(recordsTableDefinition(TABLE)));
}

export type Upload = { bucket: string; key: string; uploadId: string };

export async function createUpload(s3: S3Client, bucket: string, key: string, partSizes: number[], storageClass?: StorageClass): Promise<Upload> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, StorageClass: storageClass }));
  for (let i = 0; i < partSizes.length; i += 20) {
    await Promise.all(
      partSizes.slice(i, i + 20).map((size, j) =>
        s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: i + j + 1,
            Body: Buffer.alloc(size, 7),
          }),
        ),
      ),
    );
  }
  return { bucket, key, uploadId: UploadId! };
}

export async function createBucket(s3: S3Client, bucket: string) {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** runs one abort through the real definition; settings go in as DefinitionSubstitutions, waits are shortened by the runtime */
export async function runAbort(options: {
  dispatcherEndpoint: string;
  doc: DynamoDBDocumentClient;
  /** the upload and its request options; the execution input is runInput(upload, trigger) unless input is given */
  upload: AbortRequest;
  trigger?: Parameters<typeof runInput>[1];
  /** a raw execution input, for the input rules */
  input?: unknown;
  settings?: Partial<Settings>;
  waitMs?: number;
  /** the endpoint the Lambda functions' S3 client uses (default: dispatcherEndpoint) */
  lambdaEndpoint?: string;
  allowedBuckets?: string;
  /** the execution's name (default: abortExecutionName of the upload's record id, as the API and the CLI name it) */
  executionName?: string;
  /** per action, error codes the dispatcher names as the generic S3.S3Exception (DispatcherOptions.genericErrors) */
  genericErrors?: Record<string, string[]>;
}): Promise<{ execution: LocalExecution; record: AbortRecord | undefined; output: Record<string, unknown> | undefined }> {
  const dispatcher = new TaskDispatcher({ endpoint: options.dispatcherEndpoint, genericErrors: options.genericErrors });
  const { s3 } = awsClients(options.lambdaEndpoint ?? options.dispatcherEndpoint);
  const definition = loadDefinition(STATE_MACHINES.abortUpload.file, localSubstitutions(TABLE, options.settings));
  const runtime = new LocalStepFunctions({
    dispatcher,
    waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: options.waitMs ?? 20 },
    retryIntervalOverrides: fastRetries(),
    lambdaHandlers: localLambdaHandlers({ doc: options.doc, s3, tableName: TABLE, allowlist: parseAllowlist(options.allowedBuckets ?? '*') }),
  });
  try {
    const { stateMachineArn } = runtime.createStateMachine({ name: STATE_MACHINES.abortUpload.name, definition });
    const id = recordId(String(options.upload.bucket), String(options.upload.key), String(options.upload.uploadId));
    const input = options.input ?? runInput(options.upload, options.trigger ?? 'direct');
    const { executionArn } = runtime.startExecution({ stateMachineArn, name: options.executionName ?? abortExecutionName(id), input: JSON.stringify(input) });
    const execution = await runtime.waitForExecution(executionArn);
    const record = await getRecord(options.doc, TABLE, id);
    return { execution, record, output: execution.output ? JSON.parse(execution.output) : undefined };
  } finally {
    await dispatcher.destroy();
    s3.destroy();
  }
}

export { startMoto, type MotoServer };

/** moto_server with the records table: the setup of every file that runs the definition through the runtime */
export async function startMotoWithTable(): Promise<{ moto: MotoServer; s3: S3Client; doc: DynamoDBDocumentClient }> {
  const moto = await startMoto();
  const clients = awsClients(moto.endpoint);
  await createTable(clients.dynamodb);
  return { moto, s3: clients.s3, doc: clients.doc };
}

/**
 * Waits into the next whole second: S3 (and the local endpoint) report Initiated in whole seconds and a sweep's cutoff
 * is its start's second minus olderThan, so an upload created before this call is older than "0s" for a sweep after it.
 */
export async function intoNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));
}
