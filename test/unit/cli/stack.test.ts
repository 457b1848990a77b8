/** `mpu-reaper stack` (lib/cli/stack.ts): the stack's outputs by stage and region, for the API URL among others. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { cfnMock, cli, resetMocks } from '../../support/cli.ts';

const API_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod';
const OUTPUTS = { ApiUrl: API_URL, TableName: 'records-prod', EventBusName: 's3-mpu-reaper-prod' };

beforeEach(() => {
  resetMocks();
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 's3-mpu-reaper-prod',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
});

describe('mpu-reaper stack', () => {
  it("prints one output's value alone: the API's URL without setting it by hand", async () => {
    const { code, stdout } = await cli(['stack', '--output', 'ApiUrl'], { MPU_REAPER_STAGE: 'prod' });
    expect(code).toBe(0);
    expect(stdout).toBe(`${API_URL}\n`);
    expect(cfnMock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 's3-mpu-reaper-prod' });
  });

  it('prints every output, with the stack and region, as JSON', async () => {
    const { code, stdout } = await cli(['stack', '--json'], { MPU_REAPER_STAGE: 'prod' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ stack: 's3-mpu-reaper-prod', region: 'us-east-1', outputs: OUTPUTS });
  });

  it('names the stage and region it looked in when an output or the stack is missing', async () => {
    const missing = await cli(['stack', '--output', 'Nope'], { MPU_REAPER_STAGE: 'prod' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'mpu-reaper: stack: the stack s3-mpu-reaper-prod (stage prod, region us-east-1) has no output Nope (it has ApiUrl, EventBusName, TableName)\n',
    );
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: 'Stack with id s3-mpu-reaper-qa does not exist',
      }),
    );
    const absent = await cli(['stack'], { MPU_REAPER_STAGE: 'qa' });
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/^mpu-reaper: cannot read the stack s3-mpu-reaper-qa \(stage qa, region us-east-1\): Stack with id .* does not exist/);
  });
});
