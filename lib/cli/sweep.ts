import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { presentSweep, sweepExecutionName } from '../api/sweeps.ts';
import { queryNewestFirst } from '../api/listing.ts';
import { INDEX_BY_STARTED_AT, SWEEP_RECORD_TYPE, SWEEP_STATUSES, type SweepRecord } from '../records.ts';
import { overlapMessage, runningOverlap } from '../sweep/overlap.ts';
import { validateSweepRequest } from '../sweep/plan.ts';
import { withLiveTotals } from '../sweep/progress.ts';
import { COMMON_FLAGS, COMMON_OPTIONS, START_OPTIONS, parse } from './args.ts';
import { formatTable, humanBytes, shortBytes } from './format.ts';
import { createProgressDisplay, progressLine } from './progress.ts';
import { CliFailure, EXECUTION_ENDED, UsageError, type CliClients, type CliIo } from './io.ts';
import { resolveTarget } from './resolve.ts';
import { sweepCancelCommand } from './sweep-cancel.ts';

export const SWEEP_USAGE = `Usage: mpu-reaper sweep --bucket B [--bucket B2 …] --older-than AGE [options]

Finds every incomplete multipart upload initiated more than AGE ago in the buckets (under --prefix), aborts them
page by page, verifies each with ListParts, and records every upload. With --wait, shows live progress and a final
table. Exit code: 0 when the sweep COMPLETED (or was started, without --wait), 1 otherwise (a target overlapping a
running sweep's is refused: one line naming it, nothing started), 2 for bad usage.

  --bucket B                  a bucket to sweep (repeat for several)
  --older-than AGE            uploads initiated more than AGE ago: 30m, 24h, 7d, 1d12h (units s, m, h, d)
  --prefix P                  only keys under this prefix
  --expected-bucket-owner ID  12-digit account id of the buckets' owner (default: the account running the workflow)
  --dry-run                   abort nothing: record what would be aborted (WOULD_ABORT, with parts and bytes)
  --no-measure                do not ListParts each upload before its abort (records without parts and bytes; about
                              $7 instead of $12 per million uploads on AWS)
  --max-uploads N             list at most N uploads per bucket (default 100,000)
  --wait                      follow the sweep until it ends

mpu-reaper sweep cancel ID cancels a running sweep (see mpu-reaper sweep cancel --help).
  --state-machine-arn ARN     the sweep state machine (default: from the stack, or the local one with AWS_ENDPOINT_URL)
${COMMON_FLAGS}`;

export const SWEEPS_USAGE = `Usage: mpu-reaper sweeps [--status S] [--limit N] [--json]

Lists past sweeps, newest first, with their counts.

  --status S                  only sweeps in this status (${Object.keys(SWEEP_STATUSES).join(', ')})
  --limit N                   at most N sweeps (1 to 100, default 20)
${COMMON_FLAGS}`;

const COUNTS = ['found', 'aborted', 'notFound', 'partsRemain', 'failed', 'wouldAbort', 'busy'] as const;

export function sweepTable(sweep: SweepRecord & { targets?: unknown; targetResults?: unknown }): string {
  const rows: string[][] = [
    ['status', String(sweep.status)],
    ...COUNTS.map((c) => [c, String(sweep[c] ?? 0)]),
    ['bytesFound', humanBytes(sweep.bytesFound ?? 0)],
    ...(sweep.bytesFreed !== undefined ? [['bytesFreed', humanBytes(sweep.bytesFreed)]] : []),
  ];
  for (const t of (Array.isArray(sweep.targetResults) ? sweep.targetResults : []) as Array<{ bucket: string; status: string; error?: string }>) {
    rows.push([`target ${t.bucket}`, `${t.status}${t.error ? ` (${t.error})` : ''}`]);
  }
  for (const e of sweep.targetErrors ?? []) rows.push([`error ${e.bucket}`, `${e.error}: ${e.cause}`]);
  return `${formatTable(undefined, rows)}\n`;
}

export async function sweepCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  if (argv[0] === 'cancel') return sweepCancelCommand(argv.slice(1), io, clients);
  const { values } = parse('sweep', argv, {
    bucket: { type: 'string', multiple: true },
    'older-than': { type: 'string' },
    prefix: { type: 'string' },
    'expected-bucket-owner': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'no-measure': { type: 'boolean' },
    'max-uploads': { type: 'string' },
    ...START_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(`${SWEEP_USAGE}\n`);
    return 0;
  }
  const buckets = (values.bucket as unknown as string[] | undefined) ?? [];
  if (buckets.length === 0) throw new UsageError('sweep: --bucket: is required (repeat it for several buckets)');
  if (values['older-than'] === undefined) throw new UsageError('sweep: --older-than: is required, a duration such as 30m, 24h or 7d');
  const maxUploads = values['max-uploads'] === undefined ? undefined : Number(values['max-uploads']);
  const request = {
    targets: buckets.map((bucket) => ({
      bucket,
      olderThan: values['older-than'] as string,
      ...(values.prefix !== undefined ? { prefix: values.prefix as string } : {}),
      ...(values['expected-bucket-owner'] !== undefined ? { expectedBucketOwner: values['expected-bucket-owner'] as string } : {}),
    })),
    ...(values['dry-run'] ? { dryRun: true } : {}),
    ...(values['no-measure'] ? { measure: false } : {}),
    ...(maxUploads !== undefined ? { maxUploads } : {}),
  };
  const problems = validateSweepRequest(request);
  if (problems.length > 0) {
    const flag = problems[0].field.replace(/^targets\[\d+\]\./, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new UsageError(`sweep: --${flag}: ${problems[0].rule}`);
  }
  const flags = {
    stateMachineArn: values['state-machine-arn'] as string | undefined,
    table: values.table as string | undefined,
    stack: values.stack as string | undefined,
  };
  const { stateMachineArn, tableName } = await resolveTarget({ stateMachine: 'sweepUploads', table: true }, flags, io.env, clients);
  const overlap = await runningOverlap({ doc: clients().doc, tableName }, request.targets);
  if (overlap) throw new CliFailure(`sweep: ${overlapMessage(overlap)}`);
  const id = sweepExecutionName(new Date());
  const { executionArn } = await clients().sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: id, input: JSON.stringify({ ...request, trigger: 'cli' }) }),
  );
  if (!values.wait) {
    io.stdout.write(
      values.json
        ? `${JSON.stringify({ id, status: 'RUNNING', executionArn })}\n`
        : `started sweep ${id}\n${executionArn}\nfollow it with: mpu-reaper sweeps\n`,
    );
    return 0;
  }
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  // on a terminal the progress line is redrawn in place; in a pipe or a log, printed again when it changed
  const display = values.json ? undefined : createProgressDisplay(io.stdout);
  let execution = await clients().sfn.send(new DescribeExecutionCommand({ executionArn }));
  for (;;) {
    const { Item } = await clients().doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
    if (Item && display) display.update([progressLine((await withLiveTotals(clients().doc, tableName, Item)) as SweepRecord)]);
    if (EXECUTION_ENDED.has(execution.status ?? '')) break;
    await sleep(io.pollMs ?? 1000);
    execution = await clients().sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  const { Item } = await clients().doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
  if (!Item)
    throw new CliFailure(`sweep ${id} ended ${execution.status} without a record${execution.error ? ` (${execution.error}: ${execution.cause})` : ''}`);
  const sweep = presentSweep(Item);
  io.stdout.write(values.json ? `${JSON.stringify(sweep)}\n` : `\nsweep ${id}\n${sweepTable(sweep)}`);
  return sweep.status === 'COMPLETED' ? 0 : 1;
}

export async function sweepsCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values } = parse('sweeps', argv, {
    status: { type: 'string' },
    limit: { type: 'string' },
    ...COMMON_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(`${SWEEPS_USAGE}\n`);
    return 0;
  }
  const status = values.status as string | undefined;
  if (status !== undefined && !(status in SWEEP_STATUSES)) throw new UsageError(`sweeps: --status: must be one of ${Object.keys(SWEEP_STATUSES).join(', ')}`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError('sweeps: --limit: must be a whole number from 1 to 100');
  const { tableName } = await resolveTarget(
    { table: true },
    { table: values.table as string | undefined, stack: values.stack as string | undefined },
    io.env,
    clients,
  );
  const { items } = await queryNewestFirst(clients().doc, tableName, {
    index: INDEX_BY_STARTED_AT,
    partition: ['recordType', SWEEP_RECORD_TYPE],
    equals: { status },
    limit,
  });
  const sweeps = items.map(presentSweep);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(sweeps)}\n`);
    return 0;
  }
  if (sweeps.length === 0) {
    io.stdout.write('no sweeps yet\n');
    return 0;
  }
  const header = ['id', 'status', 'started', 'found', 'aborted', 'failed', 'bytes', 'dry run'];
  const rows = sweeps.map((s) => [
    s.id,
    s.status,
    s.startedAt,
    s.found ?? 0,
    s.aborted ?? 0,
    (s.failed ?? 0) + (s.partsRemain ?? 0),
    shortBytes(s.bytesFound ?? 0),
    s.dryRun ? 'yes' : '',
  ]);
  io.stdout.write(`${formatTable(header, rows, { rule: false })}\n`);
  return 0;
}
