/** mpu-reaper abort (lib/cli/abort.ts): its flags, the execution it starts, --wait and --json, a run that already happened. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { EventEmitter } from 'node:events';
import { StartExecutionCommand, DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { recordId } from '../../../lib/record-id.ts';
import { ARN, cfnMock, cli, DIRECTORY, docMock, ENV, EXECUTION_ARN, ID, RECORD, resetMocks, sfnMock, UPLOAD } from '../../support/cli.ts';

beforeEach(() => {
  resetMocks();
});

describe('mpu-reaper abort: bad arguments → one line naming the flag, exit 2, nothing started', () => {
  it.each([
    [['abort', '--key', 'k', '--upload-id', 'u'], /--bucket: is required/],
    [['abort', '--bucket', 'data-lake', '--key', 'k', '--upload-id', 'u', '--idle-for', '1y'], /--idle-for: must be a duration from 0s to 7d/],
    [['abort', '--bucket', 'data-lake', '--upload-id', 'u'], /--key: is required/],
    [['abort', '--bucket', 'data-lake', '--key', 'k'], /--upload-id: is required/],
    [['abort', ...UPLOAD.slice(0, 4), '--upload-id', ''], /--upload-id: must not be empty/],
    [['abort', '--bucket', 'Bad_Bucket', '--key', 'k', '--upload-id', 'u'], /--bucket: must be lowercase/],
    [['abort', '--bucket', 'ab', '--key', 'k', '--upload-id', 'u'], /--bucket: must be 3 to 63 characters/],
    [['abort', '--bucket', 'data--x-s3', '--key', 'k', '--upload-id', 'u'], /--bucket: ends with --x-s3 but is no directory bucket name/],
    [['abort', '--bucket', 'data-lake', '--key', '', '--upload-id', 'u'], /--key: must be 1 to 1,024 bytes of UTF-8, got 0/],
    [['abort', '--bucket', 'data-lake', '--key', 'é'.repeat(513), '--upload-id', 'u'], /--key: must be 1 to 1,024 bytes of UTF-8, got 1026/],
    [['abort', ...UPLOAD, '--request-payer', 'owner'], /--request-payer: must be "requester"/],
    [
      ['abort', '--bucket', DIRECTORY, '--key', 'k', '--upload-id', 'u', '--request-payer', 'requester'],
      /--request-payer: is not supported by directory buckets/,
    ],
    [['abort', ...UPLOAD, '--expected-bucket-owner', '123'], /--expected-bucket-owner: must be a 12-digit/],
    [['abort', ...UPLOAD, '--expected-bucket-owner', '12345678901x'], /--expected-bucket-owner: must be a 12-digit/],
    [['abort', ...UPLOAD, '--if-match-initiated-time', '2026-11-20T10:00:00Z'], /--if-match-initiated-time: is only for directory buckets/],
    [['abort', '--bucket', DIRECTORY, '--key', 'k', '--upload-id', 'u', '--if-match-initiated-time', 'noon'], /--if-match-initiated-time: must be an ISO-8601/],
    [
      ['abort', '--bucket', DIRECTORY, '--key', 'k', '--upload-id', 'u', '--if-match-initiated-time', '2026-02-30T10:00:00Z'],
      /--if-match-initiated-time: must be an ISO-8601/,
    ],
    [['abort', ...UPLOAD, '--force'], /Unknown option '--force'/],
    [['abort', ...UPLOAD, 'extra'], /Unexpected argument 'extra'/],
    [['abort', '--bucket'], /--bucket/],
    [['abort', ...UPLOAD, '--wait=yes'], /'--wait' does not take an argument/],
    [['abort', ...UPLOAD, '--bucket', 'other-bucket'], /--bucket: is given more than once/],
    [['abort', '--bucket', 'data-lake', '--upload-id', 'u', '--key', '-x'], /'--key' argument is ambiguous.*'--key=-XYZ'/],
  ])('%j', async (argv, message) => {
    // Act
    const { code, stderr, stdout } = await cli(argv);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/^mpu-reaper abort: /);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(cfnMock).not.toHaveReceivedCommand(DescribeStacksCommand);
  });
});

describe('mpu-reaper abort', () => {
  it('starts the execution with the deterministic name and only the given fields', async () => {
    // Act
    const { code, stdout, stderr } = await cli(['abort', ...UPLOAD]);

    // Assert
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARN,
      name: `abort-${ID}`,
      input: JSON.stringify({ request: { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'U1' }, trigger: 'cli' }),
    });
    expect(stdout).toMatch(new RegExp(`^id:\\s+${ID}$`, 'm'));
    expect(stdout).toMatch(/^status:\s+RUNNING$/m);
    expect(stdout).toContain(`executionArn: ${EXECUTION_ARN}`);
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('passes requester pays and prints one JSON document with --json', async () => {
    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--request-payer', 'requester', '--expected-bucket-owner', '111122223333', '--json']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARN,
      name: `abort-${ID}`,
      input: JSON.stringify({
        request: { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'U1', requestPayer: 'requester', expectedBucketOwner: '111122223333' },
        trigger: 'cli',
      }),
    });
    expect(JSON.parse(stdout)).toEqual({ id: ID, status: 'RUNNING', executionArn: EXECUTION_ARN });
  });

  it('passes the owner and the initiated time for a directory bucket', async () => {
    // Arrange
    const id = recordId(DIRECTORY, 'k', 'u');

    // Act
    const { code } = await cli([
      'abort',
      '--bucket',
      DIRECTORY,
      '--key',
      'k',
      '--upload-id',
      'u',
      '--expected-bucket-owner',
      '111122223333',
      '--if-match-initiated-time',
      '2026-11-20T10:00:00Z',
    ]);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: `abort-${id}`,
      input: JSON.stringify({
        request: { bucket: DIRECTORY, key: 'k', uploadId: 'u', expectedBucketOwner: '111122223333', ifMatchInitiatedTime: '2026-11-20T10:00:00Z' },
        trigger: 'cli',
      }),
    });
  });

  it('accepts a key that starts with a dash when given as --key=-x', async () => {
    // Act
    const { code } = await cli(['abort', '--bucket', 'data-lake', '--upload-id', 'u', '--key=-x']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      input: JSON.stringify({ request: { bucket: 'data-lake', key: '-x', uploadId: 'u' }, trigger: 'cli' }),
    });
  });

  it('accepts a key holding U+FFFD (a valid S3 key) and starts its run', async () => {
    // Act
    const { code } = await cli(['abort', '--bucket', 'data-lake', '--upload-id', 'u', '--key', 'logs/\uFFFD.bin']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      input: JSON.stringify({ request: { bucket: 'data-lake', key: 'logs/\uFFFD.bin', uploadId: 'u' }, trigger: 'cli' }),
    });
  });

  it('names a --recheck run recheck-<id prefix>-<start time>', async () => {
    // Act
    const { code } = await cli(['abort', ...UPLOAD, '--recheck']);

    // Assert
    expect(code).toBe(0);
    const { name } = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(name).toMatch(new RegExp(`^recheck-${ID.slice(0, 48)}-[0-9a-z]+$`));
    expect(name!.length).toBeLessThanOrEqual(80);
  });

  it('with --wait polls every second until the run ends, prints the record and exits 0 for ABORTED', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).resolvesOnce({ status: 'RUNNING' }).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: RECORD });
    const sleep = vi.fn(async () => undefined);

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--wait'], ENV, { sleep, pollMs: undefined });

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
    expect(sleep).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledWith(1000);
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'records', Key: { id: ID }, ConsistentRead: true });
    expect(stdout).toMatch(/^status:\s+ABORTED$/m);
    expect(stdout).toMatch(/^bytesFound:\s+3\.0 MiB \(3145728 bytes\)$/m);
    expect(stdout).not.toMatch(/error:/);
    expect(stdout).not.toMatch(/another run/);
  });

  it.each([
    ['SUCCEEDED', 'NOT_FOUND', 0],
    ['FAILED', 'PARTS_REMAIN', 1],
    ['FAILED', 'FAILED', 1],
  ])('with --wait: execution %s, record %s → exit %i', async (execution, status, expected) => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: execution as 'SUCCEEDED' | 'FAILED' });
    docMock.on(GetCommand).resolves({ Item: { ...RECORD, status } });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--wait']);

    // Assert
    expect(code).toBe(expected);
    expect(stdout).toMatch(new RegExp(`^status:\\s+${status}$`, 'm'));
  });

  it('with --wait --json exits 1 when the run FAILED and prints one JSON document', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'S3.AccessDeniedException', cause: 'Access Denied' });
    docMock.on(GetCommand).resolves({ Item: { ...RECORD, status: 'FAILED', error: 'S3.AccessDeniedException', cause: 'Access Denied' } });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--wait', '--json']);

    // Assert
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      id: ID,
      status: 'FAILED',
      error: 'S3.AccessDeniedException',
      execution: { status: 'FAILED', executionArn: EXECUTION_ARN },
      alreadyRan: false,
    });
  });

  it('with --wait exits 1 when the execution failed before writing a record', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'InvalidRequest', cause: 'The input needs bucket…' });
    docMock.on(GetCommand).resolves({});

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--wait']);

    // Assert
    expect(code).toBe(1);
    expect(stdout).toBe('no record: the execution ended FAILED (InvalidRequest: The input needs bucket…) before writing one\n');
  });

  it('says so when the record belongs to another run, waits for that run and exits by its record', async () => {
    // Arrange: this run found the upload held by another run, which then aborted it
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'UploadBusy' });
    const other = { ...RECORD, executionArn: `${EXECUTION_ARN}-other` };
    docMock
      .on(GetCommand)
      .resolvesOnce({ Item: { ...other, status: 'RUNNING' } })
      .resolves({ Item: other });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--recheck', '--wait']);

    // Assert
    expect(code).toBe(0);
    expect(stdout).toMatch(/^this run ended FAILED \(UploadBusy\); the record is another run's:$/m);
    expect(stdout).toMatch(/^status:\s+ABORTED$/m);
    expect(docMock).toHaveReceivedCommandTimes(GetCommand, 2);
  });

  it.each(['WOULD_ABORT', 'PARTS_REMAIN', 'FAILED', 'COMPLETED_BEFORE_DEADLINE'])(
    "exits 1 with --wait when the record says %s, even when another run's succeeded",
    async (status) => {
      // Arrange
      sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
      docMock.on(GetCommand).resolves({ Item: { ...RECORD, status, executionArn: `${EXECUTION_ARN}-other` } });

      // Act
      const { code } = await cli(['abort', ...UPLOAD, '--wait']);

      // Assert
      expect(code).toBe(1);
    },
  );

  it("takes over a dry run's WOULD_ABORT when the upload's run name was used: a real run under a fresh name", async () => {
    // Arrange: an earlier run of the deterministic name; a dry-run sweep wrote WOULD_ABORT since
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }))
      .resolves({ executionArn: `${EXECUTION_ARN}-fresh`, startDate: new Date() });
    docMock.on(GetCommand).resolves({ Item: { ...RECORD, status: 'WOULD_ABORT', dryRun: true } });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--json']);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ id: ID, status: 'RUNNING', executionArn: `${EXECUTION_ARN}-fresh` });
    const second = sfnMock.commandCalls(StartExecutionCommand)[1].args[0].input;
    expect(second.name).toMatch(/^recheck-/);
    expect(JSON.parse(second.input!)).toEqual({ request: { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'U1' }, trigger: 'cli' });
  });

  it('on Ctrl-C during --wait leaves the run going, prints one line with the id and the commands, exits 130', async () => {
    // Arrange
    const signals = new EventEmitter();
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const sleep = vi.fn(async () => {
      signals.emit('SIGINT');
    });

    // Act
    const { code, stdout, stderr } = await cli(['abort', ...UPLOAD, '--wait'], ENV, { sleep, signals });

    // Assert
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`mpu-reaper status ${ID}`);
    expect(stderr).toContain(`stop-execution --execution-arn ${EXECUTION_ARN}`);
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('shows the existing record when the upload already had a run', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: { ...RECORD, status: 'NOT_FOUND' } });

    // Act
    const { code, stdout, stderr } = await cli(['abort', ...UPLOAD]);

    // Assert
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
    expect(stdout).toMatch(/already had a run/);
    expect(stdout).toMatch(/^status:\s+NOT_FOUND$/m);
  });

  it('shows the existing record as JSON, even when its execution is no longer kept', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    docMock.on(GetCommand).resolves({ Item: RECORD });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--json']);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ id: ID, status: 'ABORTED', alreadyRan: true });
  });

  it('reports another StartExecution failure in one line with exit 1', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }));

    // Act
    const { code, stdout, stderr } = await cli(['abort', ...UPLOAD]);

    // Assert
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('mpu-reaper: abort: StartExecution failed: State Machine Does Not Exist\n');
  });
});
