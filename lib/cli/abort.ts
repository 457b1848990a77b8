import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionArnFor } from '../api/aborts.ts';
import { abortExecutionName, recheckExecutionName, recordId } from '../record-id.ts';
import { getRecord, SUCCESS_STATUSES, type AbortRecord } from '../records.ts';
import { runInput, validateAbortRequest, type AbortRequest } from '../validation.ts';
import { COMMON_FLAGS, START_OPTIONS, parse } from './args.ts';
import { formatFields, formatRecord } from './format.ts';
import { CliFailure, EXECUTION_ENDED, UsageError, type CliClients, type CliIo } from './io.ts';
import { resolveTarget } from './resolve.ts';

export const ABORT_USAGE = `Usage: mpu-reaper abort --bucket B --key K --upload-id U [options]

Starts the abort-until-empty workflow for one incomplete multipart upload: abort, wait, ListParts, abort again
with backoff until no part is left. The execution name is derived from the upload, so running this twice starts
one run: the second shows the first one's record. Exit code: 0 when the run started, or (with --wait, or when the
upload already had a run) when its record says the upload is gone (ABORTED, NOT_FOUND); 1 otherwise; 2 for bad usage.

  --bucket B                  the bucket (general purpose, or a directory bucket name--zone-id--x-s3)
  --key K                     the object key (1 to 1,024 bytes of UTF-8)
  --upload-id U               the upload id
  --request-payer requester   for requester-pays buckets
  --expected-bucket-owner ID  12-digit account id of the bucket owner (default: the account running the workflow)
  --if-match-initiated-time T directory buckets: abort only if the upload was initiated at T (ISO-8601)
  --idle-for AGE              the activity guard: abort only if no part arrived within AGE (0s to 7d), else record
                              SKIPPED_ACTIVE and abort nothing (default: no guard)
  --recheck                   start a fresh verification run even if the upload already had one
  --wait                      wait for the run to end and print its record
  --state-machine-arn ARN     the abort state machine (default: from the stack, or the local one with AWS_ENDPOINT_URL)
${COMMON_FLAGS}`;

/** API field → the CLI flag that sets it */
export const FLAG_OF: Record<string, string> = {
  bucket: '--bucket',
  key: '--key',
  uploadId: '--upload-id',
  requestPayer: '--request-payer',
  expectedBucketOwner: '--expected-bucket-owner',
  ifMatchInitiatedTime: '--if-match-initiated-time',
  idleFor: '--idle-for',
};

interface Execution {
  status: string | undefined;
  error?: string;
  cause?: string;
}

export async function abortCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values } = parse('abort', argv, {
    bucket: { type: 'string' },
    key: { type: 'string' },
    'upload-id': { type: 'string' },
    'request-payer': { type: 'string' },
    'expected-bucket-owner': { type: 'string' },
    'if-match-initiated-time': { type: 'string' },
    'idle-for': { type: 'string' },
    recheck: { type: 'boolean' },
    ...START_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(`${ABORT_USAGE}\n`);
    return 0;
  }
  const given = Object.fromEntries(
    Object.entries(FLAG_OF)
      .map(([field, flag]) => [field, values[flag.slice(2)]])
      .filter(([, v]) => v !== undefined),
  );
  const problems = validateAbortRequest(given);
  if (problems.length > 0) {
    const { field, rule } = problems[0];
    throw new UsageError(`abort: ${FLAG_OF[field] ?? field}: ${rule}`);
  }
  const request = given as unknown as AbortRequest;
  const { stateMachineArn, tableName } = await resolveTarget(
    { stateMachine: 'abortUpload', table: Boolean(values.wait) },
    {
      stateMachineArn: values['state-machine-arn'] as string | undefined,
      table: values.table as string | undefined,
      stack: values.stack as string | undefined,
    },
    io.env,
    clients,
  );
  const id = recordId(request.bucket, request.key, request.uploadId);
  const name = values.recheck ? recheckExecutionName(id) : abortExecutionName(id);
  let executionArn = executionArnFor(stateMachineArn, name);
  let alreadyRan = false;
  try {
    ({ executionArn = executionArn } = await clients().sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(runInput(request, 'cli', { recheck: values.recheck === true })) }),
    ));
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw new CliFailure(`abort: StartExecution failed: ${(error as Error).message}`);
    alreadyRan = true;
  }
  if (!values.wait && !alreadyRan) {
    const started = { id, status: 'RUNNING', executionArn };
    io.stdout.write(values.json ? `${JSON.stringify(started)}\n` : `${formatFields(started)}follow it with: mpu-reaper status ${id}\n`);
    return 0;
  }
  const describe = async (): Promise<Execution> => {
    try {
      const { status, error, cause } = await clients().sfn.send(new DescribeExecutionCommand({ executionArn }));
      return { status, error, cause };
    } catch (error) {
      // an earlier run's execution may be gone (Step Functions keeps closed executions 90 days): its record still tells
      if (alreadyRan && (error as Error).name === 'ExecutionDoesNotExist') return { status: undefined };
      throw error;
    }
  };
  let execution = await describe();
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  while (values.wait && execution.status !== undefined && !EXECUTION_ENDED.has(execution.status)) {
    await sleep(io.pollMs ?? 1000);
    execution = await describe();
  }
  const table =
    tableName ||
    (await resolveTarget({ table: true }, { table: values.table as string | undefined, stack: values.stack as string | undefined }, io.env, clients)).tableName;
  const record: AbortRecord | undefined = await getRecord(clients().doc, table, id);
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ ...(record ?? { id, status: execution.status }), execution: { executionArn, status: execution.status, error: execution.error, cause: execution.cause }, alreadyRan })}\n`,
    );
  } else {
    if (alreadyRan) io.stdout.write(`this upload already had a run (${executionArn}); its record:\n`);
    else if (record?.executionArn && record.executionArn !== executionArn)
      io.stdout.write(`this run ended ${execution.status}${execution.error ? ` (${execution.error})` : ''}; the record is another run's:\n`);
    const reason = execution.error ? ` (${execution.error}${execution.cause ? `: ${execution.cause}` : ''})` : '';
    io.stdout.write(
      record
        ? formatRecord(record)
        : EXECUTION_ENDED.has(execution.status ?? '')
          ? `no record: the execution ended ${execution.status}${reason} before writing one\n`
          : `no record yet; the execution is ${execution.status ?? 'gone'}\n`,
    );
  }
  if (!values.wait && execution.status === 'RUNNING') return 0;
  return record && SUCCESS_STATUSES.includes(record.status) ? 0 : 1;
}
