/** Where the CLI finds the state machine and the table (lib/cli/resolve.ts): flags, then environment, then local names or the stack. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LOCAL_ACCOUNT_ID } from '../../../lib/settings.ts';
import { ARN, cfnMock, cli, docMock, ENV, ID, RECORD, resetMocks, sfnMock, UPLOAD } from '../../support/cli.ts';

const stack = (outputs: Record<string, string>) => ({
  Stacks: [
    {
      StackName: 's',
      CreationTime: new Date(),
      StackStatus: 'CREATE_COMPLETE' as const,
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
});

beforeEach(() => {
  resetMocks();
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
    expect(stderr).toBe('mpu-reaper: the stack s3-mpu-reaper-dev (stage dev, region us-east-1) has no output StateMachineArn (pass --state-machine-arn)\n');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('says in one line when the TableName output is missing', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).resolves(stack({ StateMachineArn: ARN }));

    // Act
    const { code, stderr } = await cli(['status', ID], {});

    // Assert
    expect(code).toBe(1);
    expect(stderr).toBe('mpu-reaper: the stack s3-mpu-reaper-dev (stage dev, region us-east-1) has no output TableName (pass --table)\n');
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('says in one line when the stack does not exist', async () => {
    // Arrange
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: 'Stack with id s3-mpu-reaper-prod does not exist',
      }),
    );

    // Act
    const { code, stderr } = await cli(['abort', ...UPLOAD], { MPU_REAPER_STAGE: 'prod' });

    // Assert: the stage and the region it looked in, and what to set
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^mpu-reaper: cannot read the stack s3-mpu-reaper-prod \(stage prod, region us-east-1\): Stack with id s3-mpu-reaper-prod does not exist \(deploy it, set MPU_REAPER_STAGE and AWS_REGION to where it is, or pass --stack, --state-machine-arn and --table\)\n$/,
    );
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
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:mpu-reaper-abort-upload',
    });
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'mpu-reaper-records' });
    expect(cfnMock).not.toHaveReceivedCommand(DescribeStacksCommand);
  });
});
