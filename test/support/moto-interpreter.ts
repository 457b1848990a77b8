/**
 * moto's own Step Functions interpreter (LocalStack's), used as a second, independent check of the real
 * definitions. This is the ONE place that adapts a definition to moto's known divergences from AWS:
 *  1. error names: moto spells the service prefix in lower case (`s3.NoSuchUploadException`, AWS: `S3.…`);
 *  2. context timestamps: moto hands `$$.Execution.StartTime` / `$$.State.EnteredTime` to intrinsic functions as
 *     Python datetimes, which States.Format and States.StringSplit reject ("datetime is not JSON serializable"),
 *     and reads no `$$` path inside an intrinsic's arguments; they are read from `motoClock` instead, an ISO-8601
 *     string the test puts into the input (`$.motoClock` in "Start run", which reads the raw input, and
 *     `$.request.motoClock` after it, where the definition keeps the request).
 * The definition stays written for AWS; nothing here makes it catch less precisely there.
 */
import { SFNClient, CreateStateMachineCommand, StartExecutionCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, type DescribeExecutionCommandOutput, type HistoryEvent } from '@aws-sdk/client-sfn';

export function forMotoInterpreter(definition: string): string {
  const machine = JSON.parse(definition.replaceAll('"S3.', '"s3.').replaceAll('"DynamoDB.', '"dynamodb.')) as { StartAt: string; States: Record<string, unknown> };
  for (const [name, state] of Object.entries(machine.States)) {
    const clock = name === 'Start run' ? '$.motoClock' : '$.request.motoClock';
    machine.States[name] = JSON.parse(JSON.stringify(state).replaceAll('$$.Execution.StartTime', clock).replaceAll('$$.State.EnteredTime', clock));
  }
  return JSON.stringify(machine);
}

export async function enableMotoInterpreter(motoEndpoint: string): Promise<void> {
  const response = await fetch(`${motoEndpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }) });
  if (!response.ok) throw new Error(`moto refused to execute state machines: ${response.status}`);
}

export async function runOnMoto(motoEndpoint: string, options: { name: string; definition: string; input: Record<string, unknown>; timeoutMs?: number }): Promise<{ execution: DescribeExecutionCommandOutput; history: HistoryEvent[] }> {
  const sfn = new SFNClient({ endpoint: motoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
      name: options.name, definition: forMotoInterpreter(options.definition), roleArn: 'arn:aws:iam::123456789012:role/mpu-reaper-test',
    }));
    const { executionArn } = await sfn.send(new StartExecutionCommand({
      stateMachineArn, name: `${options.name}-1`, input: JSON.stringify({ ...options.input, motoClock: new Date().toISOString() }),
    }));
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') {
        const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
        return { execution, history: events ?? [] };
      }
      if (Date.now() > deadline) throw new Error(`moto's execution ${executionArn} still RUNNING after ${options.timeoutMs ?? 30_000} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    sfn.destroy();
  }
}
