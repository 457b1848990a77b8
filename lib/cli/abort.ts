import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionArnFor } from '../api/aborts.ts';
import { abortExecutionName, recheckExecutionName, recordId } from '../record-id.ts';
import { getRecord, GONE_STATUSES, type AbortRecord } from '../records.ts';
import { runInput, validateAbortRequest, type AbortRequest } from '../validation.ts';
import { COMMON_FLAGS, START_OPTIONS, parse } from './args.ts';
import { formatFields, formatRecord } from './format.ts';
import { CliFailure, EXECUTION_ENDED, UsageError, type CliClients, type CliIo } from './io.ts';
import { Interrupted, reportInterrupted, watchInterrupt } from './interrupt.ts';
import { resolveTarget } from './resolve.ts';

export const ABORT_USAGE = `Usage: mpu-reaper abort --bucket B --key K --upload-id U [options]

Starts the abort-until-empty workflow for one incomplete multipart upload: abort, wait, ListParts, abort again
with backoff until no part is left. The execution name is derived from the upload, so running this twice starts
one run: the second shows the first one's record. A dry run's record (WOULD_ABORT) is a finding, not an outcome: a
real run takes it over and aborts the upload.

Exit code: without --wait, 0 when the run started. With --wait, or when the upload already had a run, 0 only when the
record printed says the upload is gone (ABORTED, NOT_FOUND), whichever run wrote it; 1 for any other record
(PARTS_REMAIN, FAILED, RUNNING, COMPLETED_BEFORE_DEADLINE…) or none; 2 for bad usage; 130 when Ctrl-C stops the
waiting (the run goes on; the line printed says how to follow or stop it).

  --bucket B                  the bucket (general purpose, or a directory bucket name--zone-id--x-s3)
  --key K                     the object key (1 to 1,024 bytes of UTF-8)
  --upload-id U               the upload id
  --request-payer requester   for requester-pays buckets
  --expected-bucket-owner ID  12-digit account id of the bucket owner (default: the account running the workflow)
  --if-match-initiated-time T directory buckets: abort only if the upload was initiated at T (ISO-8601)
  --idle-for AGE              the activity guard: abort only if no part arrived within AGE (0s to 7d), else record
                              SKIPPED_ACTIVE and abort nothing (default: no guard)
  --recheck                   start a fresh verification run even if the upload already had one
  --wait                      wait for the run to end (and for another run holding the upload) and print the record
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
  const start = async (name: string, recheck: boolean): Promise<{ executionArn: string; alreadyRan: boolean }> => {
    try {
      const { executionArn = executionArnFor(stateMachineArn, name) } = await clients().sfn.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(runInput(request, 'cli', { recheck })) }),
      );
      return { executionArn, alreadyRan: false };
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw new CliFailure(`abort: StartExecution failed: ${(error as Error).message}`);
      return { executionArn: executionArnFor(stateMachineArn, name), alreadyRan: true };
    }
  };
  let table = tableName;
  const records = async () => {
    table ||= (await resolveTarget({ table: true }, { table: values.table as string | undefined, stack: values.stack as string | undefined }, io.env, clients))
      .tableName;
    return getRecord(clients().doc, table, id);
  };
  let { executionArn, alreadyRan } = await start(values.recheck ? recheckExecutionName(id) : abortExecutionName(id), values.recheck === true);
  if (alreadyRan && (await records())?.status === 'WOULD_ABORT') {
    // a dry run's finding is not an outcome: a real run under a fresh name takes it over (its claim allows that only)
    ({ executionArn, alreadyRan } = await start(recheckExecutionName(id), false));
  }
  if (!values.wait && !alreadyRan) {
    const started = { id, status: 'RUNNING', executionArn };
    io.stdout.write(values.json ? `${JSON.stringify(started)}\n` : `${formatFields(started)}follow it with: mpu-reaper status ${id}\n`);
    return 0;
  }
  const watch = values.wait ? watchInterrupt(io) : undefined;
  const race = <T>(p: Promise<T>) => (watch ? watch.race(p) : p);
  const describe = async (): Promise<Execution> => {
    try {
      const { status, error, cause } = await race(clients().sfn.send(new DescribeExecutionCommand({ executionArn })));
      return { status, error, cause };
    } catch (error) {
      // an earlier run's execution may be gone (Step Functions keeps closed executions 90 days): its record still tells
      if (alreadyRan && (error as Error).name === 'ExecutionDoesNotExist') return { status: undefined };
      throw error;
    }
  };
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let execution: Execution;
  let record: AbortRecord | undefined;
  try {
    execution = await describe();
    while (values.wait && execution.status !== undefined && !EXECUTION_ENDED.has(execution.status)) {
      await race(sleep(io.pollMs ?? 1000));
      execution = await describe();
    }
    record = await race(records());
    // another run held the upload (this one ended busy): its record tells whether the upload is gone, so wait for it too
    while (values.wait && record?.status === 'RUNNING' && record.executionArn !== executionArn) {
      await race(sleep(io.pollMs ?? 1000));
      record = await race(records());
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    return reportInterrupted(
      io,
      `the abort run ${executionArn} of upload ${id}`,
      `mpu-reaper status ${id}`,
      `aws stepfunctions stop-execution --execution-arn ${executionArn}`,
    );
  } finally {
    watch?.stop();
  }
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
  // whoever's run wrote the record: 0 only when it says the upload is gone
  return record && GONE_STATUSES.includes(record.status) ? 0 : 1;
}
