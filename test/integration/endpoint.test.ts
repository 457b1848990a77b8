/**
 * The local stack's one endpoint: S3 and DynamoDB forwarded to moto_server, Step Functions served by the local
 * runtime in the AWS JSON 1.0 protocol; driven with the AWS SDK v3 and the real AWS CLI.
 */
import { delimiter } from 'node:path';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { deployLocal } from '../../lib/deploy-local.ts';
import { getRecord } from '../../lib/records.ts';
import { abortExecutionName, recordId } from '../../lib/record-id.ts';
import { ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';
import { STATE_MACHINES, STATEMACHINES_DIR } from '../../lib/settings.ts';
import { awsClients } from '../support/workflow.ts';
import { MOTO_PYTHON_PATH, motoEnv } from '../../emulator/moto.ts';
import { motoPid } from '../bench/measure.ts';

const run = promisify(execFile);

let stack: LocalStack;
let s3: S3Client;
let sfn: SFNClient;
let doc: DynamoDBDocumentClient;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  // no try/catch: without moto_server this fails with startMoto's install hint
  stack = await startLocalStack({ awsPort: 0, tableName: 'endpoint-records', waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 10 } });
  ({ s3, sfn, dynamodb, doc } = awsClients(stack.endpoint));
});

afterAll(async () => {
  s3?.destroy();
  sfn?.destroy();
  dynamodb?.destroy();
  await stack?.stop();
});

const waitForStatus = (executionArn: string, done: (status: ExecutionStatus | undefined) => boolean, timeoutMs = 20_000) =>
  vi.waitFor(
    async () => {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (!done(execution.status)) throw new Error(`${executionArn} still ${execution.status} after ${timeoutMs} ms`);
      return execution;
    },
    { timeout: timeoutMs, interval: 50 },
  );

/** a raw AWS JSON 1.0 call, to see the wire format the SDK hides */
async function rawSfn(action: string, body: object) {
  const response = await fetch(stack.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${action}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

const LONG_WAIT_DEFINITION = JSON.stringify({
  StartAt: 'Hold',
  States: { Hold: { Type: 'Wait', Seconds: 600, Next: 'Done' }, Done: { Type: 'Succeed' } },
});

describe('local endpoint: S3 and DynamoDB through moto_server, Step Functions through the local runtime', () => {
  it('aborts an upload of 2 parts through the SDK: execution SUCCEEDED, AWS-shaped history, record ABORTED, upload gone', async () => {
    // Arrange
    await s3.send(new CreateBucketCommand({ Bucket: 'endpoint-bucket' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'endpoint-bucket', Key: 'dir/two parts.bin' }));
    for (const PartNumber of [1, 2]) {
      await s3.send(
        new UploadPartCommand({ Bucket: 'endpoint-bucket', Key: 'dir/two parts.bin', UploadId, PartNumber, Body: Buffer.alloc(1_000 * PartNumber, 3) }),
      );
    }
    const upload = { bucket: 'endpoint-bucket', key: 'dir/two parts.bin', uploadId: UploadId! };
    const id = recordId(upload.bucket, upload.key, upload.uploadId);

    // Act
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.stateMachineArns.abortUpload,
        name: abortExecutionName(id),
        input: JSON.stringify({ request: upload, trigger: 'direct' }),
      }),
    );
    const execution = await waitForStatus(executionArn!, (s) => s !== 'RUNNING');
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));

    // Assert
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe('SUCCEEDED');
    expect(execution.startDate).toBeInstanceOf(Date);
    expect(Math.abs(execution.startDate!.getTime() - Date.now())).toBeLessThan(60_000); // seconds on the wire, not ms
    expect(execution.stopDate!.getTime()).toBeGreaterThanOrEqual(execution.startDate!.getTime());
    expect(JSON.parse(execution.output!)).toMatchObject({ status: 'ABORTED', partsFound: 2, bytesFound: 3_000 });
    expect(events![0].type).toBe('ExecutionStarted');
    expect(events!.at(-1)!.type).toBe('ExecutionSucceeded');
    const entered = events!.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails?.name);
    expect(entered).toEqual(
      expect.arrayContaining([ABORT_UPLOAD_STATES.abortUpload, ABORT_UPLOAD_STATES.checkForRemainingParts, ABORT_UPLOAD_STATES.recordOutcome]),
    );
    expect(events!.every((e, i) => e.id === i + 1 && e.timestamp instanceof Date)).toBe(true);
    expect(await getRecord(doc, stack.tableName, id)).toMatchObject({ status: 'ABORTED', attempts: 1, partsFound: 2, bytesFound: 3_000, executionArn });
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'endpoint-bucket' }))).Uploads ?? []).toHaveLength(0);
  });

  it('keeps StartExecution idempotent while the execution runs, stops it as ABORTED, then refuses the name with ExecutionAlreadyExists', async () => {
    // Arrange: a machine whose only state waits 10 minutes (the stack's wait override names another state)
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'long-wait',
        definition: LONG_WAIT_DEFINITION,
        roleArn: 'arn:aws:iam::123456789012:role/long-wait',
      }),
    );
    const start = new StartExecutionCommand({ stateMachineArn, name: 'hold-1', input: '{"n":1}' });
    const first = await sfn.send(start);

    // Act
    const again = await sfn.send(start);
    const whileRunning = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Test.Stop', cause: 'stopped by the test' }));
    const stopped = await waitForStatus(first.executionArn!, (s) => s !== 'RUNNING');
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: first.executionArn, reverseOrder: true, maxResults: 1 }));
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'ABORTED' }));

    // Assert
    expect(again.executionArn).toBe(first.executionArn);
    expect(whileRunning.status).toBe('RUNNING');
    expect(stopped.status).toBe('ABORTED');
    expect(events![0].type).toBe('ExecutionAborted');
    expect(listed.executions?.map((e) => e.executionArn)).toEqual([first.executionArn]);
    await expect(sfn.send(start)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(sfn.send(start)).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', $metadata: { httpStatusCode: 400 } });
  });

  it('answers an unknown execution with ExecutionDoesNotExist and an unknown state machine with StateMachineDoesNotExist', async () => {
    // Arrange
    const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-abort-upload:no-such-run';

    // Act
    const describe = sfn.send(new DescribeExecutionCommand({ executionArn }));
    const machine = sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:nope' }));

    // Assert
    await expect(describe).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(describe).rejects.toMatchObject({ name: 'ExecutionDoesNotExist', message: expect.stringContaining('no-such-run') });
    await expect(machine).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });

  it('speaks AWS JSON 1.0 on the wire: epoch-second numbers, namespaced __type errors, UnknownOperationException', async () => {
    // Arrange
    const arn = stack.stateMachineArns.abortUpload;

    // Act
    const described = await rawSfn('DescribeStateMachine', { stateMachineArn: arn });
    const missing = await rawSfn('DescribeExecution', { executionArn: `${arn.replace(':stateMachine:', ':execution:')}:nope` });
    const unknown = await rawSfn('ListActivities', {});
    const invalid = await rawSfn('StartExecution', {});

    // Assert
    expect(described.status).toBe(200);
    expect(described.contentType).toBe('application/x-amz-json-1.0');
    expect(typeof described.body.creationDate).toBe('number');
    expect(Math.abs((described.body.creationDate as number) - Date.now() / 1000)).toBeLessThan(600);
    expect(missing).toMatchObject({ status: 400, body: { __type: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist' } });
    expect(unknown.status).toBe(400);
    expect(String(unknown.body.__type)).toMatch(/#UnknownOperationException$/);
    expect(invalid).toMatchObject({ status: 400, body: { __type: expect.stringMatching(/#ValidationException$/) } });
  });

  it('redeploys onto the running endpoint: deployLocal is idempotent and returns the same ARNs', async () => {
    // Arrange
    const endpoint = stack.endpoint;

    // Act
    const arns = await deployLocal({ endpoint, tableName: stack.tableName, settings: { FirstWaitSeconds: 2 } });
    const { definition } = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arns.abortUpload }));

    // Assert: the deployed expression is the ASL file's, its placeholder replaced by the setting given
    const firstWait = (asl: string): string => JSON.parse(asl).States[ABORT_UPLOAD_STATES.prepareRun].Parameters.Payload.settings['firstWaitSeconds.$'];
    const inFile = firstWait(readFileSync(STATEMACHINES_DIR + STATE_MACHINES.abortUpload.file, 'utf8'));
    expect(arns).toEqual(stack.stateMachineArns);
    expect(inFile).toContain('${FirstWaitSeconds}');
    expect(firstWait(definition!)).toBe(inFile.replace('${FirstWaitSeconds}', '2'));
  });

  it("runs moto_server with glibc malloc held to 2 arenas and the stack's sitecustomize.py", () => {
    // Act
    const environ = readFileSync(`/proc/${motoPid(stack.moto.port)}/environ`, 'utf8').split('\0');

    // Assert
    expect(environ).toContain(`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2'}`);
    expect(environ).toContain(`PYTHONPATH=${MOTO_PYTHON_PATH}${process.env.PYTHONPATH ? `${delimiter}${process.env.PYTHONPATH}` : ''}`);
    expect(motoEnv({ MALLOC_ARENA_MAX: '4', PATH: '/bin' })).toEqual({ MALLOC_ARENA_MAX: '4', PATH: '/bin', PYTHONPATH: MOTO_PYTHON_PATH });
  });

  it('serves the real AWS CLI: s3api list-multipart-uploads and stepfunctions list-state-machines', async () => {
    // Arrange: the CLI must be installed; a missing CLI is a failure, not a skip
    const { AWS_PROFILE: _profile, ...inherited } = process.env;
    const env = {
      ...inherited,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    };
    const aws = async (...args: string[]) => {
      try {
        const { stdout } = await run('aws', ['--endpoint-url', stack.endpoint, '--output', 'json', ...args], { env, timeout: 30_000 });
        return JSON.parse(stdout) as Record<string, unknown>;
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === 'ENOENT')
          throw new Error('the AWS CLI (`aws`) is not on PATH: install it (pip install awscli, or apt-get install awscli) to run this test');
        throw new Error(`aws ${args.join(' ')} failed: ${e.stderr || e.message}`);
      }
    };
    await s3.send(new CreateBucketCommand({ Bucket: 'cli-bucket' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'cli-bucket', Key: 'left/behind.bin' }));

    // Act
    const uploads = await aws('s3api', 'list-multipart-uploads', '--bucket', 'cli-bucket');
    const machines = await aws('stepfunctions', 'list-state-machines');

    // Assert
    expect(uploads.Uploads).toEqual([expect.objectContaining({ Key: 'left/behind.bin', UploadId })]);
    expect(machines.stateMachines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'mpu-reaper-abort-upload', stateMachineArn: stack.stateMachineArns.abortUpload, creationDate: expect.any(Number) }),
      ]),
    );
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'cli-bucket', Key: 'left/behind.bin', UploadId }));
  });
});

describe('local stack with the chaos proxy between the runtime and moto_server', () => {
  it('routes Task calls through the chaos proxy: a lost first abort makes the run abort twice', async () => {
    // Arrange
    const faulty = await startLocalStack({
      awsPort: 0,
      tableName: 'proxied-records',
      waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 10 },
      chaos: { faults: [{ service: 's3', operation: 'AbortMultipartUpload', drop: true, times: 1 }] },
    });
    const client = awsClients(faulty.endpoint);
    try {
      await client.s3.send(new CreateBucketCommand({ Bucket: 'proxied' }));
      const { UploadId } = await client.s3.send(new CreateMultipartUploadCommand({ Bucket: 'proxied', Key: 'k' }));
      await client.s3.send(new UploadPartCommand({ Bucket: 'proxied', Key: 'k', UploadId, PartNumber: 1, Body: Buffer.alloc(10) }));

      // Act
      const { executionArn } = await client.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: faulty.stateMachineArns.abortUpload,
          input: JSON.stringify({ request: { bucket: 'proxied', key: 'k', uploadId: UploadId } }),
        }),
      );
      await faulty.runtime.waitForExecution(executionArn!);
      const execution = await client.sfn.send(new DescribeExecutionCommand({ executionArn }));

      // Assert
      expect(faulty.chaos.faults().map((rule) => rule.injected)).toEqual([1]);
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output!)).toMatchObject({ status: 'ABORTED', attempts: 2 });
    } finally {
      client.s3.destroy();
      client.sfn.destroy();
      await faulty.stop();
    }
  });
});
