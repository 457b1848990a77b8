import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, StartExecutionCommand, DescribeExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { main } from '../../lib/cli/main.ts';
import { recordId } from '../../lib/record-id.ts';

const sfnMock = mockClient(SFNClient);
const docMock = mockClient(DynamoDBDocumentClient);
const cfnMock = mockClient(CloudFormationClient);
const clients = { sfn: new SFNClient({ region: 'us-east-1' }), doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), cloudformation: new CloudFormationClient({ region: 'us-east-1' }) };
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:s3-mpu-reaper-dev-abort-upload';
const UPLOAD = ['--bucket', 'data-lake', '--key', 'a/b.bin', '--upload-id', 'U1'];
const ID = recordId('data-lake', 'a/b.bin', 'U1');

async function cli(argv: string[], env: NodeJS.ProcessEnv = { MPU_REAPER_STATE_MACHINE_ARN: ARN, MPU_REAPER_TABLE: 'records' }) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    env, stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: (t: string) => { stderr += t; } },
    clients: () => clients, sleep: async () => undefined, pollMs: 0,
  });
  return { code, stdout, stderr };
}

beforeEach(() => {
  sfnMock.reset();
  docMock.reset();
  cfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:abort-${ID}`, startDate: new Date() });
});

describe('mpu-reaper abort: bad arguments → one line naming the flag, exit 2, nothing started', () => {
  it.each([
    [['abort', '--key', 'k', '--upload-id', 'u'], /--bucket: is required/],
    [['abort', '--bucket', 'data-lake', '--upload-id', 'u'], /--key: is required/],
    [['abort', '--bucket', 'data-lake', '--key', 'k'], /--upload-id: is required/],
    [['abort', ...UPLOAD.slice(0, 4), '--upload-id', ''], /--upload-id: must not be empty/],
    [['abort', '--bucket', 'Bad_Bucket', '--key', 'k', '--upload-id', 'u'], /--bucket: must be lowercase/],
    [['abort', '--bucket', 'data-lake', '--key', 'é'.repeat(513), '--upload-id', 'u'], /--key: must be 1 to 1,024 bytes/],
    [['abort', ...UPLOAD, '--request-payer', 'owner'], /--request-payer: must be "requester"/],
    [['abort', ...UPLOAD, '--expected-bucket-owner', '123'], /--expected-bucket-owner: must be a 12-digit/],
    [['abort', ...UPLOAD, '--if-match-initiated-time', '2026-11-20T10:00:00Z'], /--if-match-initiated-time: is only for directory buckets/],
    [['abort', '--bucket', 'b--use1-az4--x-s3', '--key', 'k', '--upload-id', 'u', '--if-match-initiated-time', 'noon'], /--if-match-initiated-time: must be an ISO-8601/],
    [['abort', ...UPLOAD, '--force'], /Unknown option '--force'/],
    [['abort', ...UPLOAD, 'extra'], /Unexpected argument 'extra'/],
    [['abort', '--bucket'], /--bucket/],
  ])('%j', async (argv, message) => {
    // Act
    const { code, stderr, stdout } = await cli(argv);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('mpu-reaper abort', () => {
  it('starts the execution with the deterministic name and exactly the given fields', async () => {
    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--request-payer', 'requester', '--json']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARN, name: `abort-${ID}`,
      input: JSON.stringify({ bucket: 'data-lake', key: 'a/b.bin', uploadId: 'U1', requestPayer: 'requester', trigger: 'cli' }),
    });
    expect(JSON.parse(stdout)).toMatchObject({ id: ID, status: 'RUNNING' });
  });

  it('with --wait polls until the run ends, prints the record and exits 0 for ABORTED', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).resolvesOnce({ status: 'RUNNING' }).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: { id: ID, status: 'ABORTED', attempts: 2, partsFound: 3, bytesFound: 3 * 1024 * 1024, bucket: 'data-lake', error: '' } });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--wait']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
    expect(stdout).toMatch(/status:\s+ABORTED/);
    expect(stdout).toMatch(/bytesFound:\s+3\.0 MiB \(3145728 bytes\)/);
    expect(stdout).not.toMatch(/error:/);
  });

  it('with --wait exits 1 when the run FAILED', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'S3.AccessDeniedException', cause: 'Access Denied' });
    docMock.on(GetCommand).resolves({ Item: { id: ID, status: 'FAILED', error: 'S3.AccessDeniedException' } });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD, '--wait', '--json']);

    // Assert
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'FAILED', error: 'S3.AccessDeniedException', execution: { status: 'FAILED' } });
  });

  it('shows the existing record when the upload already had a run', async () => {
    // Arrange
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: { id: ID, status: 'NOT_FOUND' } });

    // Act
    const { code, stdout } = await cli(['abort', ...UPLOAD]);

    // Assert
    expect(code).toBe(0);
    expect(stdout).toMatch(/already had a run/);
    expect(stdout).toMatch(/status:\s+NOT_FOUND/);
  });

  it('finds the state machine and table from the stack outputs on AWS', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 's3-mpu-reaper-prod', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: ARN }, { OutputKey: 'TableName', OutputValue: 'records-prod' }] }] });

    // Act
    const { code } = await cli(['abort', ...UPLOAD], { MPU_REAPER_STAGE: 'prod' });

    // Assert
    expect(code).toBe(0);
    expect(cfnMock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 's3-mpu-reaper-prod' });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ARN });
  });

  it('says in one line which stack output is missing', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 's', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });

    // Act
    const { code, stderr } = await cli(['abort', ...UPLOAD], {});

    // Assert
    expect(code).toBe(1);
    expect(stderr).toBe('mpu-reaper: the stack s3-mpu-reaper-dev has no output StateMachineArn (pass --state-machine-arn)\n');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('uses the local stack names when AWS_ENDPOINT_URL is set', async () => {
    // Act
    await cli(['abort', ...UPLOAD], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'us-east-1' });

    // Assert
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:mpu-reaper-abort-upload' });
    expect(cfnMock).not.toHaveReceivedCommand(DescribeStacksCommand);
  });
});

describe('mpu-reaper status', () => {
  it('prints a record by id and by upload', async () => {
    // Arrange
    docMock.on(GetCommand, { Key: { id: ID } }).resolves({ Item: { id: ID, status: 'ABORTED' } });

    // Act
    const byId = await cli(['status', ID, '--json']);
    const byUpload = await cli(['status', ...UPLOAD, '--json']);

    // Assert
    expect(JSON.parse(byId.stdout)).toEqual({ id: ID, status: 'ABORTED' });
    expect(byUpload.stdout).toBe(byId.stdout);
  });

  it('fails with one line for an unknown id', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({});

    // Act
    const { code, stderr } = await cli(['status', '0'.repeat(64)]);

    // Assert
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mpu-reaper: status: no record with id 0{64} in records\n$/);
  });

  it.each([[['status']], [['status', 'abc']], [['status', ID, '--bucket', 'data-lake']]])('refuses %j with exit 2', async (argv) => {
    expect((await cli(argv)).code).toBe(2);
  });
});

describe('help and errors', () => {
  it.each([['--help'], ['abort', '--help'], ['status', '-h'], ['local', 'deploy', '--help']])('%s prints usage with every flag', async (...argv) => {
    // Act
    const { code, stdout } = await cli(argv);

    // Assert
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: mpu-reaper/);
  });

  it('abort --help lists every flag', async () => {
    const { stdout } = await cli(['abort', '--help']);
    for (const flag of ['--bucket', '--key', '--upload-id', '--request-payer', '--expected-bucket-owner', '--if-match-initiated-time', '--recheck', '--wait', '--json', '--state-machine-arn', '--table', '--stack']) expect(stdout).toContain(flag);
  });

  it('refuses an unknown command with exit 2', async () => {
    expect(await cli(['sweep-everything'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "sweep-everything"/) });
  });

  it('local deploy needs AWS_ENDPOINT_URL', async () => {
    expect(await cli(['local', 'deploy'], {})).toMatchObject({ code: 2, stderr: expect.stringMatching(/AWS_ENDPOINT_URL must name the local endpoint/) });
  });

  it('prints the version', async () => {
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
