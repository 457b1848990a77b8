/**
 * The harness of the CLI tests (test/unit/cli/): mocked AWS clients, the upload and record most tests use, and a
 * runner that calls the CLI's main() with captured stdout and stderr, no sleeping and no polling interval.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { main } from '../../lib/cli/main.ts';
import type { CliIo } from '../../lib/cli/io.ts';
import { recordId } from '../../lib/record-id.ts';
import { docMock } from './doc-mock.ts';

export { docMock };

export const sfnMock = mockClient(SFNClient);
export const cfnMock = mockClient(CloudFormationClient);
const clients = {
  sfn: new SFNClient({ region: 'us-east-1' }),
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  cloudformation: new CloudFormationClient({ region: 'us-east-1' }),
  s3: new S3Client({ region: 'us-east-1' }),
};
// this client only: a test file that also runs scan against a real endpoint keeps its own S3 clients
export const s3Mock = mockClient(clients.s3);

/** forgets every mocked answer and call (for each test's beforeEach); StartExecution then starts the run of UPLOAD */
export function resetMocks(): void {
  sfnMock.reset();
  docMock.reset();
  cfnMock.reset();
  s3Mock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() });
}

/** the abort state machine, as the environment names it */
export const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:s3-mpu-reaper-dev-abort-upload';
/** the flags of one upload */
export const UPLOAD = ['--bucket', 'data-lake', '--key', 'a/b.bin', '--upload-id', 'U1'];
export const ID = recordId('data-lake', 'a/b.bin', 'U1');
export const EXECUTION_ARN = `${ARN.replace(':stateMachine:', ':execution:')}:abort-${ID}`;
/** the environment that names the abort state machine and the table: no stack lookup */
export const ENV = { MPU_REAPER_STATE_MACHINE_ARN: ARN, MPU_REAPER_TABLE: 'records' };
export const DIRECTORY = 'data--use1-az4--x-s3';
/** the record of UPLOAD after one ABORTED run */
export const RECORD = {
  id: ID,
  recordType: 'upload',
  bucket: 'data-lake',
  key: 'a/b.bin',
  uploadId: 'U1',
  status: 'ABORTED',
  attempts: 2,
  partsFound: 3,
  bytesFound: 3 * 1024 * 1024,
  trigger: 'cli',
  executionArn: EXECUTION_ARN,
  startedAt: '2026-11-20T10:00:00Z',
  finishedAt: '2026-11-20T10:00:12Z',
  error: '',
  cause: '',
  expiresAt: 1_800_000_000,
};

/** runs `mpu-reaper …argv` against the mocked clients; returns its exit code and what it printed */
export async function cli(argv: string[], env: NodeJS.ProcessEnv = ENV, io: Partial<CliIo> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    env,
    stdout: {
      write: (t: string) => {
        stdout += t;
      },
    },
    stderr: {
      write: (t: string) => {
        stderr += t;
      },
    },
    clients: () => clients,
    sleep: async () => undefined,
    pollMs: 0,
    ...io,
  });
  return { code, stdout, stderr };
}
