/**
 * Where the deployed workflow is: flags win, then environment variables, then the local stack's names when
 * AWS_ENDPOINT_URL is set, else the outputs of the CloudFormation stack of the stage (MPU_REAPER_STAGE, default dev)
 * in the client's region; its errors name the stack, the stage and the region it looked in.
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

/**
 * The outputs of the stack of the stage (MPU_REAPER_STAGE, default dev; or --stack) in the client's region, and
 * `where`: the stack, stage and region it looked in, for every error.
 */
export async function readStack(
  stackFlag: string | undefined,
  env: NodeJS.ProcessEnv,
  clients: () => CliClients,
): Promise<{ stackName: string; region: string; where: string; outputs: Record<string, string> }> {
  const stage = env.MPU_REAPER_STAGE ?? 'dev';
  const stackName = stackFlag ?? `s3-mpu-reaper-${stage}`;
  const cloudformation = clients().cloudformation;
  // the region the client really asks (flags and profile included)
  const region = await cloudformation.config.region().catch(() => env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'no region set');
  const where = `the stack ${stackName} (${stackFlag ? '--stack' : `stage ${stage}`}, region ${region})`;
  try {
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    return { stackName, region, where, outputs };
  } catch (error) {
    throw new CliFailure(
      `cannot read ${where}: ${(error as Error).message} (deploy it, set MPU_REAPER_STAGE and AWS_REGION to where it is, or pass --stack, --state-machine-arn and --table)`,
    );
  }
}

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
    const { where, outputs } = await readStack(flags.stack, env, clients);
    if (locator) stateMachineArn ??= outputs[locator.output];
    tableName ??= outputs.TableName;
    if (locator && !stateMachineArn) throw new CliFailure(`${where} has no output ${locator.output} (pass --state-machine-arn)`);
    if (need.table && !tableName) throw new CliFailure(`${where} has no output TableName (pass --table)`);
  }
  return { stateMachineArn: stateMachineArn ?? '', tableName: tableName ?? '' };
}
