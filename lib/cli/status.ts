import { recordId } from '../record-id.ts';
import { getRecord } from '../records.ts';
import { validateAbortRequest } from '../validation.ts';
import { FLAG_OF } from './abort.ts';
import { COMMON_FLAGS, COMMON_OPTIONS, parse } from './args.ts';
import { formatRecord } from './format.ts';
import { CliFailure, UsageError, type CliClients, type CliIo } from './io.ts';
import { resolveTarget } from './resolve.ts';

export const STATUS_USAGE = `Usage: mpu-reaper status ID
       mpu-reaper status --bucket B --key K --upload-id U

Prints the record of an upload's abort run: status, attempts, parts and bytes found, error and cause.

  ID                          the record id (64 hex characters, printed by abort)
  --bucket, --key, --upload-id   or the upload itself
${COMMON_FLAGS}`;

export async function statusCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values, positionals } = parse(
    'status',
    argv,
    {
      bucket: { type: 'string' },
      key: { type: 'string' },
      'upload-id': { type: 'string' },
      ...COMMON_OPTIONS,
    },
    true,
  );
  if (values.help) {
    io.stdout.write(`${STATUS_USAGE}\n`);
    return 0;
  }
  const byUpload = values.bucket !== undefined || values.key !== undefined || values['upload-id'] !== undefined;
  if (positionals.length > 1) throw new UsageError(`status: one record id at most, got ${positionals.length}`);
  if (byUpload === (positionals.length === 1)) throw new UsageError('status: give a record id, or --bucket, --key and --upload-id');
  let id = positionals[0];
  if (byUpload) {
    const given = { bucket: values.bucket, key: values.key, uploadId: values['upload-id'] };
    const problems = validateAbortRequest(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
    if (problems.length > 0) throw new UsageError(`status: ${FLAG_OF[problems[0].field] ?? problems[0].field}: ${problems[0].rule}`);
    id = recordId(given.bucket as string, given.key as string, given.uploadId as string);
  } else if (!/^[0-9a-f]{64}$/.test(id)) {
    throw new UsageError('status: ID must be 64 lowercase hex characters (the record id)');
  }
  const { tableName } = await resolveTarget(
    { table: true },
    { table: values.table as string | undefined, stack: values.stack as string | undefined },
    io.env,
    clients,
  );
  const record = await getRecord(clients().doc, tableName, id);
  if (!record) throw new CliFailure(`status: no record with id ${id} in ${tableName}`);
  io.stdout.write(values.json ? `${JSON.stringify(record)}\n` : formatRecord(record));
  return 0;
}
