/** `mpu-reaper stack`: the deployed stack's outputs (the API's URL, the table, the bus, the CLI users' policy). */
import { parse } from './args.ts';
import { formatFields } from './format.ts';
import { CliFailure, type CliClients, type CliIo } from './io.ts';
import { readStack } from './resolve.ts';

export const STACK_USAGE = `Usage: mpu-reaper stack [--output NAME] [--stack NAME] [--json]

Prints the outputs of the stack of the stage MPU_REAPER_STAGE (default dev) in the region of AWS_REGION or the
profile: ApiUrl, TableName, EventBusName, CliPolicyArn, the state machine ARNs.

  --output NAME   print that output's value alone, e.g. API_URL=$(npx mpu-reaper stack --output ApiUrl)
  --stack NAME    the CloudFormation stack (default s3-mpu-reaper-$MPU_REAPER_STAGE)
  --json          print one JSON document
  -h, --help      show this help`;

export async function stackCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values } = parse('stack', argv, { output: { type: 'string' }, stack: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(`${STACK_USAGE}\n`);
    return 0;
  }
  const { stackName, region, where, outputs } = await readStack(values.stack as string | undefined, io.env, clients);
  const name = values.output as string | undefined;
  if (name !== undefined) {
    if (!(name in outputs)) throw new CliFailure(`stack: ${where} has no output ${name} (it has ${Object.keys(outputs).sort().join(', ') || 'none'})`);
    io.stdout.write(values.json ? `${JSON.stringify({ [name]: outputs[name] })}\n` : `${outputs[name]}\n`);
    return 0;
  }
  io.stdout.write(values.json ? `${JSON.stringify({ stack: stackName, region, outputs })}\n` : formatFields({ stack: stackName, region, ...outputs }));
  return 0;
}
