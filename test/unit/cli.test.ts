import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, StartExecutionCommand, DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { main } from '../../lib/cli/main.ts';
import type { CliIo } from '../../lib/cli/io.ts';
import { recordId } from '../../lib/record-id.ts';
import { LOCAL_ACCOUNT_ID } from '../../lib/settings.ts';

const deployLocal = vi.hoisted(() => vi.fn());
vi.mock('../../lib/local/deploy.ts', () => ({ deployLocal }));

const sfnMock = mockClient(SFNClient);
const docMock = mockClient(DynamoDBDocumentClient);
const cfnMock = mockClient(CloudFormationClient);
const clients = { sfn: new SFNClient({ region: 'us-east-1' }), doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), cloudformation: new CloudFormationClient({ region: 'us-east-1' }) };
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:s3-mpu-reaper-dev-abort-upload';
const UPLOAD = ['--bucket', 'data-lake', '--key', 'a/b.bin', '--upload-id', 'U1'];
const ID = recordId('data-lake', 'a/b.bin', 'U1');
const EXECUTION_ARN = `${ARN.replace(':stateMachine:', ':execution:')}:abort-${ID}`;
const ENV = { MPU_REAPER_STATE_MACHINE_ARN: ARN, MPU_REAPER_TABLE: 'records' };
const DIRECTORY = 'data--use1-az4--x-s3';
const RECORD = {
  id: ID, recordType: 'upload', bucket: 'data-lake', key: 'a/b.bin', uploadId: 'U1', status: 'ABORTED', attempts: 2, partsFound: 3,
  bytesFound: 3 * 1024 * 1024, trigger: 'cli', executionArn: EXECUTION_ARN, startedAt: '2026-11-20T10:00:00Z', finishedAt: '2026-11-20T10:00:12Z',
  error: '', cause: '', expiresAt: 1_800_000_000,
};
const stack = (outputs: Record<string, string>) => ({
  Stacks: [{ StackName: 's', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE' as const, Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
});

async function cli(argv: string[], env: NodeJS.ProcessEnv = ENV, io: Partial<CliIo> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    env, stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } },
    clients: () => clients, sleep: async () => undefined, pollMs: 0, ...io,
  });
  return { code, stdout, stderr };
}

beforeEach(() => {
  sfnMock.reset();
  docMock.reset();
  cfnMock.reset();
  deployLocal.mockReset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() });
});

describe('mpu-reaper abort: bad arguments → one line naming the flag, exit 2, nothing started', () => {
  it.each([
    [['abort', '--key', 'k', '--upload-id', 'u'], /--bucket: is required/],
    [['abort', '--bucket', 'data-lake', '--upload-id', 'u'], /--key: is required/],
    [['abort', '--bucket', 'data-lake', '--key', 'k'], /--upload-id: is required/],
    [['abort', ...UPLOAD.slice(0, 4), '--upload-id', ''], /--upload-id: must not be empty/],
    [['abort', '--bucket', 'Bad_Bucket', '--key', 'k', '--upload-id', 'u'], /--bucket: must be lowercase/],
    [['abort', '--bucket', 'ab', '--key', 'k', '--upload-id', 'u'], /--bucket: must be 3 to 63 characters/],
    [['abort', '--bucket', 'data--x-s3', '--key', 'k', '--upload-id', 'u'], /--bucket: ends with --x-s3 but is no directory bucket name/],
    [['abort', '--bucket', 'data-lake', '--key', '', '--upload-id', 'u'], /--key: must be 1 to 1,024 bytes of UTF-8, got 0/],
    [['abort', '--bucket', 'data-lake', '--key', 'é'.repeat(513), '--upload-id', 'u'], /--key: must be 1 to 1,024 bytes of UTF-8, got 1026/],
    [['abort', ...UPLOAD, '--request-payer', 'owner'], /--request-payer: must be "requester"/],
    [['abort', '--bucket', DIRECTORY, '--key', 'k', '--upload-id', 'u', '--request-payer', 'requester'], /--request-payer: is not supported by directory buckets/],
    [['abort', ...UPLOAD, '--expected-bucket-owner', '123'], /--expected-bucket-owner: must be a 12-digit/],
    [['abort', ...UPLOAD, '--expected-bucket-owner', '12345678901x'], /--expected-bucket-owner: must be a 12-digit/],
    [['abort', ...UPLOAD, '--if-match-initiated-time', '2026-11-20T10:00:00Z'], /--if-match-initiated-time: is only for directory buckets/],
    [['abort', '--bucket', DIRECTORY, '--key', 'k', '--upload-id', 'u', '--if-match-initiated-time', 'noon'], /--if-match-initiated-time: must be an ISO-8601/],
    [['abort', '--bucket', DIRECTORY, '--key', 'k', '--upload-id', 'u', '--if-match-initiated-time', '2026-02-30T10:00:00Z'], /--if-match-initiated-time: must be an ISO-8601/],
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
      stateMachineArn: ARN, name: `abort-${ID}`, input: JSON.stringify({ request: { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'U1' }, trigger: 'cli' }),
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
      stateMachineArn: ARN, name: `abort-${ID}`,
      input: JSON.stringify({ request: { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'U1', requestPayer: 'requester', expectedBucketOwner: '111122223333' }, trigger: 'cli' }),
    });
    expect(JSON.parse(stdout)).toEqual({ id: ID, status: 'RUNNING', executionArn: EXECUTION_ARN });
  });

  it('passes the owner and the initiated time for a directory bucket', async () => {
    // Arrange
    const id = recordId(DIRECTORY, 'k', 'u');

    // Act
    const { code } = await cli(['abort', '--bucket', DIRECTORY, '--key', 'k', '--upload-id', 'u', '--expected-bucket-owner', '111122223333', '--if-match-initiated-time', '2026-11-20T10:00:00Z']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: `abort-${id}`,
      input: JSON.stringify({ request: { bucket: DIRECTORY, key: 'k', uploadId: 'u', expectedBucketOwner: '111122223333', ifMatchInitiatedTime: '2026-11-20T10:00:00Z' }, trigger: 'cli' }),
    });
  });

  it('accepts a key that starts with a dash when given as --key=-x', async () => {
    // Act
    const { code } = await cli(['abort', '--bucket', 'data-lake', '--upload-id', 'u', '--key=-x']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { input: JSON.stringify({ request: { bucket: 'data-lake', key: '-x', uploadId: 'u' }, trigger: 'cli' }) });
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
    expect(JSON.parse(stdout)).toMatchObject({ id: ID, status: 'FAILED', error: 'S3.AccessDeniedException', execution: { status: 'FAILED', executionArn: EXECUTION_ARN }, alreadyRan: false });
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

  it('says so when the record belongs to another run than the one it waited for', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'UploadBusy' });
    docMock.on(GetCommand).resolves({ Item: { ...RECORD, status: 'RUNNING', executionArn: `${EXECUTION_ARN}-other` } });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--recheck', '--wait']);

    // Assert
    expect(code).toBe(1);
    expect(stdout).toMatch(/^this run ended FAILED \(UploadBusy\); the record is another run's:$/m);
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

describe('where the state machine and the table are', () => {
  it('reads the stack outputs on AWS (stack s3-mpu-reaper-$MPU_REAPER_STAGE)', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).resolves(stack({ StateMachineArn: ARN, TableName: 'records-prod' }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: RECORD });

    // Act
    const { code } = await cli(['abort', ...UPLOAD, '--wait'], { MPU_REAPER_STAGE: 'prod' });

    // Assert
    expect(code).toBe(0);
    expect(cfnMock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 's3-mpu-reaper-prod' });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ARN });
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'records-prod' });
  });

  it('reads the stack named by --stack', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).resolves(stack({ StateMachineArn: ARN, TableName: 'records-x' }));

    // Act
    await cli(['abort', ...UPLOAD, '--stack', 'my-stack'], { MPU_REAPER_STAGE: 'prod' });

    // Assert
    expect(cfnMock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'my-stack' });
  });

  it('says in one line which stack output is missing', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).resolves(stack({}));

    // Act
    const { code, stderr } = await cli(['abort', ...UPLOAD], {});

    // Assert
    expect(code).toBe(1);
    expect(stderr).toBe('mpu-reaper: the stack s3-mpu-reaper-dev has no output StateMachineArn (pass --state-machine-arn)\n');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('says in one line when the TableName output is missing', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).resolves(stack({ StateMachineArn: ARN }));

    // Act
    const { code, stderr } = await cli(['status', ID], {});

    // Assert
    expect(code).toBe(1);
    expect(stderr).toBe('mpu-reaper: the stack s3-mpu-reaper-dev has no output TableName (pass --table)\n');
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('says in one line when the stack does not exist', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).rejects(new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', $metadata: {}, message: 'Stack with id s3-mpu-reaper-dev does not exist' }));

    // Act
    const { code, stderr } = await cli(['abort', ...UPLOAD], {});

    // Assert
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mpu-reaper: cannot read the stack s3-mpu-reaper-dev: Stack with id s3-mpu-reaper-dev does not exist \(deploy it, or pass --stack, --state-machine-arn and --table\)\n$/);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('lets the flags win over the environment and the stack', async () => {
    // Arrange
    const flagArn = ARN.replace('111122223333', '444455556666');
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: RECORD });

    // Act
    await cli(['abort', ...UPLOAD, '--wait', '--state-machine-arn', flagArn, '--table', 'flag-table'], { ...ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: flagArn });
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'flag-table' });
    expect(cfnMock).not.toHaveReceivedCommand(DescribeStacksCommand);
  });

  it('lets the environment win over the local names', async () => {
    // Act
    await cli(['abort', ...UPLOAD], { ...ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ARN });
  });

  it('uses the local stack names when AWS_ENDPOINT_URL is set', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: RECORD });

    // Act
    await cli(['abort', ...UPLOAD, '--wait'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'eu-west-1' });

    // Assert
    expect(LOCAL_ACCOUNT_ID).toBe('123456789012');
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:mpu-reaper-abort-upload' });
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'mpu-reaper-records' });
    expect(cfnMock).not.toHaveReceivedCommand(DescribeStacksCommand);
  });
});

describe('mpu-reaper status', () => {
  it('prints a record by id and by upload as JSON', async () => {
    // Arrange
    docMock.on(GetCommand, { Key: { id: ID } }).resolves({ Item: { id: ID, status: 'ABORTED' } });

    // Act
    const byId = await cli(['status', ID, '--json']);
    const byUpload = await cli(['status', ...UPLOAD, '--json']);

    // Assert
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout)).toEqual({ id: ID, status: 'ABORTED' });
    expect(byUpload.stdout).toBe(byId.stdout);
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'records', Key: { id: ID }, ConsistentRead: true });
  });

  it('prints aligned field: value lines, bytes in human units, without empty error and cause', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: RECORD });

    // Act
    const { code, stdout } = await cli(['status', ID]);

    // Assert
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['id', 'status', 'bucket', 'key', 'uploadId', 'attempts', 'partsFound', 'bytesFound', 'trigger', 'startedAt', 'finishedAt', 'executionArn', 'expiresAt']);
    expect(new Set(lines.map((l) => l.search(/(?<=:\s+)\S/))).size).toBe(1);
    expect(stdout).toMatch(/^bytesFound:\s+3\.0 MiB \(3145728 bytes\)$/m);
    expect(stdout).toMatch(/^expiresAt:\s+2027-01-15T08:00:00\.000Z \(1800000000\)$/m);
  });

  it('fails with one line for an unknown id', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await cli(['status', '0'.repeat(64)]);

    // Assert
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mpu-reaper: status: no record with id 0{64} in records\n$/);
  });

  it.each([
    [['status'], /give a record id, or --bucket, --key and --upload-id/],
    [['status', 'abc'], /ID must be 64 lowercase hex characters/],
    [['status', ID, '--bucket', 'data-lake'], /give a record id, or --bucket, --key and --upload-id/],
    [['status', ID, ID], /one record id at most/],
    [['status', '--bucket', 'data-lake', '--key', 'k'], /--upload-id: is required/],
    [['status', '--bucket', 'B', '--key', 'k', '--upload-id', 'u'], /--bucket: must be/],
    [['status', ID, '--wait'], /Unknown option '--wait'/],
  ])('refuses %j with one line and exit 2', async (argv, message) => {
    // Act
    const { code, stderr } = await cli(argv);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
  });
});

describe('mpu-reaper local deploy', () => {
  const ARNS = { abortUpload: 'arn:aws:states:us-east-1:123456789012:stateMachine:mpu-reaper-abort-upload', sweepPage: 'arn:…:sweep-page' };

  it('needs AWS_ENDPOINT_URL', async () => {
    // Act
    const result = await cli(['local', 'deploy'], {});

    // Assert
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^mpu-reaper local deploy: AWS_ENDPOINT_URL must name the local endpoint.*\n$/) });
    expect(deployLocal).not.toHaveBeenCalled();
  });

  it('deploys to the endpoint and prints the table and the state machines', async () => {
    // Arrange
    deployLocal.mockResolvedValue(ARNS);

    // Act
    const { code, stdout } = await cli(['local', 'deploy'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(code).toBe(0);
    expect(deployLocal).toHaveBeenCalledWith(expect.objectContaining({ endpoint: 'http://127.0.0.1:4566', tableName: 'mpu-reaper-records' }));
    expect(stdout).toContain('mpu-reaper-records');
    expect(stdout).toContain(ARNS.abortUpload);
    expect(stdout).toContain(ARNS.sweepPage);
  });

  it('prints one JSON document with --json and uses --table', async () => {
    // Arrange
    deployLocal.mockImplementation(async (options: { log?: (line: string) => void }) => {
      options.log?.('created table t');
      return ARNS;
    });

    // Act
    const { code, stdout } = await cli(['local', 'deploy', '--json', '--table', 't'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(code).toBe(0);
    expect(deployLocal).toHaveBeenCalledWith(expect.objectContaining({ tableName: 't' }));
    expect(JSON.parse(stdout)).toEqual({ endpoint: 'http://127.0.0.1:4566', tableName: 't', stateMachineArns: ARNS });
  });

  it.each([[['local']], [['local', 'destroy']], [['local', 'deploy', '--force']]])('refuses %j with one line and exit 2', async (argv) => {
    // Act
    const { code, stdout, stderr } = await cli(argv, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(deployLocal).not.toHaveBeenCalled();
  });
});

describe('help and errors', () => {
  const FLAGS: Record<string, string[]> = {
    abort: ['--bucket', '--key', '--upload-id', '--request-payer', '--expected-bucket-owner', '--if-match-initiated-time', '--recheck', '--wait', '--json', '--state-machine-arn', '--table', '--stack', '--help'],
    status: ['ID', '--bucket', '--key', '--upload-id', '--json', '--table', '--stack', '--help'],
    sweep: ['--bucket', '--older-than', '--prefix', '--expected-bucket-owner', '--dry-run', '--max-uploads', '--wait', '--json', '--state-machine-arn', '--table', '--stack', '--help'],
    sweeps: ['--status', '--limit', '--json', '--table', '--stack', '--help'],
    'local deploy': ['--table', '--json', '--help'],
  };

  it.each(Object.keys(FLAGS).flatMap((command) => [[command, '--help'], [command, '-h']]))('%s %s prints usage with every flag', async (command, flag) => {
    // Act
    const { code, stdout, stderr } = await cli([...command.split(' '), flag], {});

    // Assert
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^Usage: mpu-reaper ${command}`));
    for (const f of FLAGS[command]) expect(stdout).toContain(f);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('prints help even when required flags are missing', async () => {
    expect(await cli(['abort', '--bucket', 'data-lake', '--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: mpu-reaper abort/) });
  });

  it.each([['--help'], ['-h']])('%s lists every command', async (flag) => {
    // Act
    const { code, stdout } = await cli([flag]);

    // Assert
    expect(code).toBe(0);
    for (const command of ['abort', 'status', 'sweep', 'sweeps', 'local deploy', '--version']) expect(stdout).toContain(command);
  });

  it('prints usage on stderr with exit 2 when no command is given', async () => {
    expect(await cli([])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^Usage: mpu-reaper/) });
  });

  it.each([
    [['sweep-everything'], /^mpu-reaper unknown command "sweep-everything"/],
    [['--force'], /^mpu-reaper unknown option "--force"/],
  ])('refuses %j with one line and exit 2', async (argv, message) => {
    // Act
    const { code, stdout, stderr } = await cli(argv);

    // Assert
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints the version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});
