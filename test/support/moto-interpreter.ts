/**
 * moto's own Step Functions interpreter (LocalStack's), used as a second, independent check of the real
 * definitions. This is the ONE place that adapts a definition (and what it leaves in a state) to moto:
 *  1. Lambda: moto invokes Lambda functions in Docker, which the machines this runs on do not have. replaceLambdaTasks
 *     swaps ONLY the definition's `arn:aws:states:::lambda:invoke` Task states for Pass states whose Result the test
 *     supplies: what our TypeScript returns for the same input (abort-upload's "Prepare run": prepareRun's real output,
 *     computed by the test against the same moto_server; "Record outcome": the outcome recordOutcome returns). Every other
 *     state, the native S3 abort/wait/ListParts loop included, runs on moto as written.
 *  2. error names: moto spells the service prefix in lower case (`s3.NoSuchUploadException`, AWS: `S3.…`):
 *     forMotoInterpreter lowers it in the definition, fromMotoState raises it again in a state moto produced.
 * The definition stays written for AWS; nothing here makes it catch less precisely there.
 */
import { vi } from 'vitest';
import {
  SFNClient,
  CreateStateMachineCommand,
  StartExecutionCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

type State = { Type: string; Resource?: string; Next?: string; End?: boolean; Comment?: string; Result?: unknown };

/** the definition with each lambda:invoke Task replaced by a Pass state that returns results[stateName] */
export function replaceLambdaTasks(definition: string, results: Record<string, unknown>): string {
  const machine = JSON.parse(definition) as { States: Record<string, State> };
  const lambdaTasks = Object.entries(machine.States)
    .filter(([, s]) => s.Type === 'Task' && LAMBDA_INVOKE.test(s.Resource ?? ''))
    .map(([name]) => name);
  const given = Object.keys(results);
  if (lambdaTasks.sort().join('\n') !== given.sort().join('\n')) {
    throw new Error(`replaceLambdaTasks: the definition's lambda:invoke Tasks are [${lambdaTasks.join(', ')}], results were given for [${given.join(', ')}]`);
  }
  for (const name of lambdaTasks) {
    const { Next, End } = machine.States[name];
    machine.States[name] = {
      Type: 'Pass',
      Comment: `stand-in for the Lambda Task "${name}" (moto needs Docker to invoke Lambda)`,
      Result: results[name],
      ...(Next ? { Next } : { End }),
    };
  }
  return JSON.stringify(machine);
}

export function forMotoInterpreter(definition: string): string {
  return definition.replaceAll('"S3.', '"s3.').replaceAll('"DynamoDB.', '"dynamodb.');
}

/** a state moto's interpreter produced, with error names spelled as AWS spells them */
export function fromMotoState<T>(state: T): T {
  return JSON.parse(JSON.stringify(state).replaceAll('"s3.', '"S3.').replaceAll('"dynamodb.', '"DynamoDB.')) as T;
}

export async function enableMotoInterpreter(motoEndpoint: string): Promise<void> {
  const response = await fetch(`${motoEndpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }) });
  if (!response.ok) throw new Error(`moto refused to execute state machines: ${response.status}`);
}

/** the ARN moto gives an execution (the test needs it before the run: prepareRun claims the record for it) */
export const motoExecutionArn = (stateMachineName: string, executionName: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:${stateMachineName}:${executionName}`;

/** the input moto's interpreter handed to a state, the last time it entered it */
export function motoStateInput(history: HistoryEvent[], stateName: string): unknown {
  const entered = history.filter((e) => e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === stateName).pop();
  if (!entered) throw new Error(`moto's execution never entered "${stateName}"`);
  return JSON.parse(entered.stateEnteredEventDetails!.input!);
}

export async function runOnMoto(
  motoEndpoint: string,
  options: { name: string; executionName: string; definition: string; input: Record<string, unknown>; timeoutMs?: number },
): Promise<{ execution: DescribeExecutionCommandOutput; history: HistoryEvent[] }> {
  const sfn = new SFNClient({ endpoint: motoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: options.name,
        definition: forMotoInterpreter(options.definition),
        roleArn: 'arn:aws:iam::123456789012:role/mpu-reaper-test',
      }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: options.executionName, input: JSON.stringify(options.input) }));
    if (executionArn !== motoExecutionArn(options.name, options.executionName))
      throw new Error(`moto named the execution ${executionArn}, not ${motoExecutionArn(options.name, options.executionName)}`);
    const timeout = options.timeoutMs ?? 30_000;
    const execution = await vi.waitFor(
      async () => {
        const current = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (current.status === 'RUNNING') throw new Error(`moto's execution ${executionArn} still RUNNING after ${timeout} ms`);
        return current;
      },
      { timeout, interval: 100 },
    );
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    return { execution, history: events ?? [] };
  } finally {
    sfn.destroy();
  }
}
