/**
 * Where the deployed workflow is: flags win, then environment variables, then the local stack's names when
 * AWS_ENDPOINT_URL is set, else the outputs of the CloudFormation stack.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DEFAULT_TABLE_NAME, LOCAL_ACCOUNT_ID, STATE_MACHINES } from '../settings.ts';
import { CliFailure, type CliClients } from './io.ts';

export interface Target {
  stateMachineArn?: string;
  table?: string;
  stack?: string;
}

/** per state machine: the environment variable and the stack output that name it */
const LOCATORS = {
  abortUpload: { env: 'MPU_REAPER_STATE_MACHINE_ARN', output: 'StateMachineArn' },
  sweepUploads: { env: 'MPU_REAPER_SWEEP_STATE_MACHINE_ARN', output: 'SweepStateMachineArn' },
} as const;
export type CliStateMachine = keyof typeof LOCATORS;

export async function resolveTarget(
  need: { stateMachine?: CliStateMachine; table?: boolean },
  flags: Target,
  env: NodeJS.ProcessEnv,
  clients: () => CliClients,
): Promise<{ stateMachineArn: string; tableName: string }> {
  const locator = need.stateMachine ? LOCATORS[need.stateMachine] : undefined;
  let stateMachineArn = flags.stateMachineArn ?? (locator ? env[locator.env] : undefined);
  let tableName = flags.table ?? env.MPU_REAPER_TABLE;
  const missing = () => (locator && !stateMachineArn) || (need.table && !tableName);
  if (missing() && env.AWS_ENDPOINT_URL) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    if (need.stateMachine) stateMachineArn ??= `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${STATE_MACHINES[need.stateMachine].name}`;
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
    if (locator) stateMachineArn ??= outputs[locator.output];
    tableName ??= outputs.TableName;
    if (locator && !stateMachineArn) throw new CliFailure(`the stack ${stackName} has no output ${locator.output} (pass --state-machine-arn)`);
    if (need.table && !tableName) throw new CliFailure(`the stack ${stackName} has no output TableName (pass --table)`);
  }
  return { stateMachineArn: stateMachineArn ?? '', tableName: tableName ?? '' };
}
