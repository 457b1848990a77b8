import { deployLocal } from '../deploy-local.ts';
import { DEFAULT_TABLE_NAME } from '../settings.ts';
import { parse } from './args.ts';
import { formatFields } from './format.ts';
import { UsageError, type CliClients, type CliIo } from './io.ts';
import { LOCAL_SEED_USAGE, localSeedCommand } from './seed.ts';

export const LOCAL_DEPLOY_USAGE = `Usage: mpu-reaper local deploy [--table NAME] [--json]

Deploys the records table and the state machines into the local AWS endpoint named by AWS_ENDPOINT_URL
(npm start does this by itself; use it after a restart of moto_server, or against another emulator).

  --table NAME   the table name (default ${DEFAULT_TABLE_NAME})
  --json         print one JSON document
  -h, --help     show this help`;

export async function localCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help') {
    io.stdout.write(`${LOCAL_DEPLOY_USAGE}\n\n${LOCAL_SEED_USAGE}\n`);
    return 0;
  }
  if (sub === undefined) throw new UsageError('local: a command is required (known: deploy, seed; see mpu-reaper local --help)');
  if (sub === 'seed') return localSeedCommand(rest, io, clients);
  if (sub !== 'deploy') throw new UsageError(`local: unknown command "${sub}" (known: deploy, seed)`);
  const { values } = parse('local deploy', rest, { table: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(`${LOCAL_DEPLOY_USAGE}\n`);
    return 0;
  }
  const endpoint = io.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new UsageError('local deploy: AWS_ENDPOINT_URL must name the local endpoint, e.g. AWS_ENDPOINT_URL=http://127.0.0.1:4566');
  const tableName = (values.table as string | undefined) ?? DEFAULT_TABLE_NAME;
  const stateMachineArns = await deployLocal({
    endpoint,
    tableName,
    region: io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION,
    ...(values.json ? {} : { log: (line: string) => io.stdout.write(`${line}\n`) }),
  });
  io.stdout.write(
    values.json
      ? `${JSON.stringify({ endpoint, tableName, stateMachineArns })}\n`
      : `deployed\n${formatFields({ endpoint, table: tableName, ...stateMachineArns })}`,
  );
  return 0;
}
