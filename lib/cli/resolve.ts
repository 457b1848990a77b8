/**
 * Where the deployed workflow is: flags win, then MPU_REAPER_STATE_MACHINE_ARN / MPU_REAPER_TABLE, then the local
 * stack's names when AWS_ENDPOINT_URL is set, else the outputs of the CloudFormation stack.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LOCAL_ACCOUNT_ID } from '../local/runtime.ts';
import { DEFAULT_TABLE_NAME, STATE_MACHINES } from '../settings.ts';
import { CliFailure, type CliClients } from './io.ts';

export interface Target { stateMachineArn?: string; table?: string; stack?: string }

export async function resolveTarget(need: { stateMachineArn?: boolean; table?: boolean }, flags: Target, env: NodeJS.ProcessEnv, clients: () => CliClients): Promise<{ stateMachineArn: string; tableName: string }> {
  let stateMachineArn = flags.stateMachineArn ?? env.MPU_REAPER_STATE_MACHINE_ARN;
  let tableName = flags.table ?? env.MPU_REAPER_TABLE;
  const missing = () => (need.stateMachineArn && !stateMachineArn) || (need.table && !tableName);
  if (missing() && env.AWS_ENDPOINT_URL) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    stateMachineArn ??= `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${STATE_MACHINES.abortUpload.name}`;
    tableName ??= DEFAULT_TABLE_NAME;
  }
  if (missing()) {
    const stackName = flags.stack ?? `s3-mpu-reaper-${env.MPU_REAPER_STAGE ?? 'dev'}`;
    let outputs: Record<string, string>;
    try {
      const { Stacks } = await clients().cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
      outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    } catch (error) {
      throw new CliFailure(`cannot read the stack ${stackName}: ${(error as Error).message} (deploy it, or pass --stack, --state-machine-arn and --table)`);
    }
    stateMachineArn ??= outputs.StateMachineArn;
    tableName ??= outputs.TableName;
    if (need.stateMachineArn && !stateMachineArn) throw new CliFailure(`the stack ${stackName} has no output StateMachineArn (pass --state-machine-arn)`);
    if (need.table && !tableName) throw new CliFailure(`the stack ${stackName} has no output TableName (pass --table)`);
  }
  return { stateMachineArn: stateMachineArn ?? '', tableName: tableName ?? '' };
}
