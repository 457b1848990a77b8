import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { presentSweep, readSweep, sweepExecutionName } from '../api/sweeps.ts';
import { HttpError } from '../http/errors.ts';
import { queryNewestFirst } from '../api/listing.ts';
import { INDEX_BY_STARTED_AT, SWEEP_LIST_KEY, SWEEP_STATUSES, type SweepRecord } from '../records.ts';
import { overlapMessage, runningOverlap } from '../sweep/overlap.ts';
import { MAX_MAX_UPLOADS, validateSweepRequest } from '../sweep/plan.ts';
import { checkpointStates, listingEnded, liveProgress } from '../sweep/progress.ts';
import type { TargetResult } from '../sweep/finish.ts';
import { COMMON_FLAGS, COMMON_OPTIONS, START_OPTIONS, numberFlag, parse } from './args.ts';
import { formatTable, humanBytes, shortBytes } from './format.ts';
import { countedOf, createProgressDisplay, createRateMeter, doneOf, progressLine, type Output } from './progress.ts';
import { CliFailure, EXECUTION_ENDED, UsageError, type CliClients, type CliIo } from './io.ts';
import { Interrupted, reportInterrupted, watchInterrupt } from './interrupt.ts';
import { resolveTarget } from './resolve.ts';
import { applyCommand, planCommand } from './plan.ts';
import { sweepCancelCommand } from './sweep-cancel.ts';

export const SWEEP_USAGE = `Usage: mpu-reaper sweep --bucket B [--bucket B2 …] --older-than AGE [options]
       mpu-reaper sweep plan ID [--json | --csv]     a dry run's plan: the uploads it would abort
       mpu-reaper sweep apply ID                     abort exactly those (once; see sweep apply --help)

Finds every incomplete multipart upload initiated more than AGE ago in the buckets (under --prefix), aborts them
page by page, verifies each with ListParts, and records every upload. With --wait, prints the sweep id at once, shows
live progress (uploads done "of N" once every listing has ended, else the count "found so far"; uploads done a second
over the last 30 s; the time left once N is known; with --json both on stderr) and a final table; Ctrl-C stops the
waiting only (the sweep goes on) and prints how to follow or cancel it.
An age below the minimum (setting SweepMinimumAge, 1h by default) is refused unless --force: uploads that young may
still be receiving parts. Exit code: 0 when the sweep COMPLETED (or was started, without --wait), 1 otherwise (a
target overlapping a running sweep's is refused: one line naming it, nothing started), 2 for bad usage (a refused age
included), 130 on Ctrl-C during --wait.

  --bucket B                  a bucket to sweep (repeat for several)
  --older-than AGE            uploads initiated more than AGE ago: 30m, 24h, 7d, 1d12h (units s, m, h, d)
  --prefix P                  only keys under this prefix
  --force                     allow an --older-than below the minimum age (SweepMinimumAge)
  --expected-bucket-owner ID  12-digit account id of the buckets' owner (default: the account running the workflow)
  --dry-run                   abort nothing: record what would be aborted (WOULD_ABORT, with parts and bytes)
  --no-measure                do not ListParts each upload before its abort (records without parts and bytes; about
                              $7 instead of $12 per million uploads on AWS)
  --max-uploads N             list at most N uploads per bucket (default 100,000)
  --active-within AGE         the activity guard: skip (SKIPPED_ACTIVE) uploads that received a part within AGE
                              (0s to 7d; default: the stack's SweepActiveWithin, 1h)
  --no-activity-guard         abort uploads whatever their newest part (this sweep only)
  --wait                      follow the sweep until it ends

mpu-reaper sweep cancel ID cancels a running sweep (see mpu-reaper sweep cancel --help).
  --state-machine-arn ARN     the sweep state machine (default: from the stack, or the local one with AWS_ENDPOINT_URL)
${COMMON_FLAGS}`;

export const SWEEPS_USAGE = `Usage: mpu-reaper sweeps [--status S] [--limit N] [--json]
       mpu-reaper sweeps ID [--json]

Lists past sweeps, newest first, with their counts; with a sweep id (printed by sweep), shows that sweep: its
counters so far while it runs and how far it is ("done of N" once every listing has ended, else the count "found so
far"), and each target's result (a TRUNCATED one names the option that raises its limit).

  --status S                  only sweeps in this status (${Object.keys(SWEEP_STATUSES).join(', ')})
  --limit N                   at most N sweeps (1 to 100, default 20)
${COMMON_FLAGS}`;

/**
 * A sweep request's field → the flag that sets it: every target comes from a --bucket, so "targets" (too many,
 * two of one bucket) is --bucket's; `measure` is set by --no-measure, `activityGuard` by --no-activity-guard.
 */
export function sweepFlagOf(field: string): string {
  const name = field.replace(/^targets\[\d+\]\.?/, (m) => (m.endsWith('.') ? '' : 'bucket')).replace(/^targets$/, 'bucket');
  const flags: Record<string, string> = { measure: 'no-measure', activityGuard: 'no-activity-guard' };
  return `--${flags[name] ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

const COUNTS = ['found', 'aborted', 'notFound', 'partsRemain', 'failed', 'wouldAbort', 'busy', 'skippedActive', 'skippedUnreadable'] as const;

/** a target's rate on its bucket at the end (lib/sweep/rate.ts): lowered by SlowDowns, it shows below its share */
const rateText = (rate: NonNullable<TargetResult['rate']>) =>
  `ended at ${rate.aborts} aborts/s, ${rate.reads} reads/s of ${rate.share.aborts}/${rate.share.reads} after ${rate.slowDowns} SlowDowns`;

export function sweepTable(sweep: SweepRecord & { targets?: unknown; targetResults?: unknown }, progress?: string): string {
  const rows: string[][] = [
    ['status', String(sweep.status)],
    ...(progress ? [['progress', progress]] : []),
    ...COUNTS.map((c) => [c, String(sweep[c] ?? 0)]),
    ['bytesFound', humanBytes(sweep.bytesFound ?? 0)],
    ...(sweep.bytesFreed !== undefined ? [['bytesFreed', humanBytes(sweep.bytesFreed)]] : []),
    // a plan applied (docs/plan-and-apply.md): which, and what it left as changed; a dry run: who applied it
    ...(sweep.planId
      ? [
          ['plan', sweep.planId],
          ['skippedChanged', String(sweep.skippedChanged ?? 0)],
        ]
      : []),
    ...(sweep.appliedBy ? [['appliedBy', sweep.appliedBy]] : []),
  ];
  for (const t of (Array.isArray(sweep.targetResults) ? sweep.targetResults : []) as Array<TargetResult>) {
    // a failure's error is detailed under "error" below; a TRUNCATED target's cause names the option that raises the limit
    const why = t.error ?? (t.status === 'TRUNCATED' ? t.cause : undefined);
    rows.push([`target ${t.bucket}`, `${t.status}${why ? ` (${why})` : ''}${t.rate ? `; ${rateText(t.rate)}` : ''}`]);
  }
  for (const e of sweep.targetErrors ?? []) rows.push([`error ${e.bucket}`, `${e.error}: ${e.cause}`]);
  return `${formatTable(undefined, rows)}\n`;
}

export async function sweepCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  if (argv[0] === 'plan') return planCommand(argv.slice(1), io, clients);
  if (argv[0] === 'apply') return applyCommand(argv.slice(1), io, clients);
  if (argv[0] === 'cancel') return sweepCancelCommand(argv.slice(1), io, clients);
  const { values } = parse('sweep', argv, {
    bucket: { type: 'string', multiple: true },
    'older-than': { type: 'string' },
    prefix: { type: 'string' },
    'expected-bucket-owner': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'no-measure': { type: 'boolean' },
    'max-uploads': { type: 'string' },
    force: { type: 'boolean' },
    'active-within': { type: 'string' },
    'no-activity-guard': { type: 'boolean' },
    ...START_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(`${SWEEP_USAGE}\n`);
    return 0;
  }
  const buckets = (values.bucket as unknown as string[] | undefined) ?? [];
  if (buckets.length === 0) throw new UsageError('sweep: --bucket: is required (repeat it for several buckets)');
  if (values['older-than'] === undefined) throw new UsageError('sweep: --older-than: is required, a duration such as 30m, 24h or 7d');
  const maxUploads =
    values['max-uploads'] === undefined ? undefined : numberFlag('sweep', '--max-uploads', values['max-uploads'] as string, 1, MAX_MAX_UPLOADS);
  const request = {
    targets: buckets.map((bucket) => ({
      bucket,
      olderThan: values['older-than'] as string,
      ...(values.prefix !== undefined ? { prefix: values.prefix as string } : {}),
      ...(values['expected-bucket-owner'] !== undefined ? { expectedBucketOwner: values['expected-bucket-owner'] as string } : {}),
    })),
    ...(values.force ? { force: true } : {}),
    ...(values['dry-run'] ? { dryRun: true } : {}),
    ...(values['no-measure'] ? { measure: false } : {}),
    ...(maxUploads !== undefined ? { maxUploads } : {}),
    ...(values['no-activity-guard'] ? { activityGuard: false } : {}),
    ...(values['active-within'] !== undefined ? { activeWithin: values['active-within'] as string } : {}),
  };
  // the deployed minimum is enforced again by the sweep itself (its plan step): here, lib/settings.json's
  const problems = validateSweepRequest(request, { forceName: '--force' });
  if (problems.length > 0) throw new UsageError(`sweep: ${sweepFlagOf(problems[0].field)}: ${problems[0].rule}`);
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
        : `started sweep ${id}\n${executionArn}\nfollow it with: mpu-reaper sweeps ${id}\n`,
    );
    return 0;
  }
  // the id first, so that it is known however the waiting ends (with --json on stderr: stdout is one JSON document)
  (values.json ? io.stderr : io.stdout).write(`started sweep ${id}\n`);
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  // the progress line: with --json on stderr, as scan's (stdout holds only the final JSON document). On a terminal it
  // is redrawn at every poll; in a pipe or a log a line per poll would only tell the rate again: a line when counts change
  const progressOut = (values.json ? io.stderr : io.stdout) as Output;
  const display = createProgressDisplay(progressOut);
  const meter = createRateMeter(io.now ?? Date.now);
  const tty = progressOut.isTTY === true;
  let shown = '';
  const watch = watchInterrupt(io);
  try {
    let execution = await watch.race(clients().sfn.send(new DescribeExecutionCommand({ executionArn })));
    for (;;) {
      const { Item } = await watch.race(clients().doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true })));
      if (Item) {
        const { sweep, listingEnded } = await watch.race(liveProgress(clients().doc, tableName, Item));
        const rate = meter.add(countedOf(sweep as SweepRecord));
        const counts = `${countedOf(sweep as SweepRecord)}/${sweep.found}/${listingEnded}`;
        if (tty || counts !== shown) display.update([progressLine(sweep as SweepRecord, { listingEnded, rate })]);
        shown = counts;
      }
      if (EXECUTION_ENDED.has(execution.status ?? '')) break;
      await watch.race(sleep(io.pollMs ?? 1000));
      execution = await watch.race(clients().sfn.send(new DescribeExecutionCommand({ executionArn })));
    }
    return await finished(io, clients, { id, tableName, execution, json: Boolean(values.json) });
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    return reportInterrupted(io, `sweep ${id}`, `mpu-reaper sweeps ${id}`, `mpu-reaper sweep cancel ${id}`);
  } finally {
    watch.stop();
  }
}

/** The ended sweep's record: its table (or JSON), and the exit code. */
async function finished(
  io: CliIo,
  clients: () => CliClients,
  run: { id: string; tableName: string; execution: { status?: string; error?: string; cause?: string }; json: boolean },
): Promise<number> {
  const { id, tableName, execution } = run;
  const { Item } = await clients().doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
  if (!Item)
    throw new CliFailure(`sweep ${id} ended ${execution.status} without a record${execution.error ? ` (${execution.error}: ${execution.cause})` : ''}`);
  const sweep = presentSweep(Item);
  io.stdout.write(run.json ? `${JSON.stringify(sweep)}\n` : `\nsweep ${id}\n${sweepTable(sweep)}`);
  return sweep.status === 'COMPLETED' ? 0 : 1;
}

/** `sweeps ID`: one sweep, as GET /sweeps/{id} shows it (readSweep: the id's rule, the live counters) */
async function showSweep(id: string, values: Record<string, unknown>, io: CliIo, clients: () => CliClients): Promise<number> {
  if (values.status !== undefined || values.limit !== undefined) throw new UsageError('sweeps: --status and --limit list sweeps; give them without an ID');
  const { tableName } = await resolveTarget(
    { table: true },
    { table: values.table as string | undefined, stack: values.stack as string | undefined },
    io.env,
    clients,
  );
  let sweep: ReturnType<typeof presentSweep>;
  try {
    sweep = (await readSweep({ doc: clients().doc, tableName }, id)).body as unknown as ReturnType<typeof presentSweep>;
  } catch (error) {
    if (error instanceof HttpError && error.statusCode === 400) throw new UsageError(`sweeps: ID ${(error.body.rule as string) ?? error.message}`);
    if (error instanceof HttpError) throw new CliFailure(`sweeps: no sweep with id ${id} in ${tableName}`);
    throw error;
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(sweep)}\n`);
    return 0;
  }
  // a running sweep: how far it is, "of N" only once every lane has listed to its end (lib/sweep/progress.ts)
  const running =
    sweep.status === 'RUNNING' ? await checkpointStates(clients().doc, tableName, { id: sweep.id, targets: JSON.stringify(sweep.targets) }) : undefined;
  const progress = running && doneOf(sweep, listingEnded(running, Array.isArray(sweep.targets) ? sweep.targets.length : 0));
  io.stdout.write(`sweep ${sweep.id}\n${sweepTable(sweep, progress || undefined)}`);
  return 0;
}

export async function sweepsCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values, positionals } = parse(
    'sweeps',
    argv,
    {
      status: { type: 'string' },
      limit: { type: 'string' },
      ...COMMON_OPTIONS,
    },
    true,
  );
  if (values.help) {
    io.stdout.write(`${SWEEPS_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`sweeps: one sweep id at most, got ${positionals.length}`);
  if (positionals.length === 1) return showSweep(positionals[0], values, io, clients);
  const status = values.status as string | undefined;
  if (status !== undefined && !(status in SWEEP_STATUSES)) throw new UsageError(`sweeps: --status: must be one of ${Object.keys(SWEEP_STATUSES).join(', ')}`);
  const limit = values.limit === undefined ? 20 : numberFlag('sweeps', '--limit', values.limit as string, 1, 100);
  const { tableName } = await resolveTarget(
    { table: true },
    { table: values.table as string | undefined, stack: values.stack as string | undefined },
    io.env,
    clients,
  );
  const { items } = await queryNewestFirst(clients().doc, tableName, {
    index: INDEX_BY_STARTED_AT,
    partition: ['listKey', [SWEEP_LIST_KEY]],
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
