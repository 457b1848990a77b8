/** `mpu-reaper sweep plan ID` and `mpu-reaper sweep apply ID`: a dry run's plan, reviewed and applied (lib/api/plans.ts). */
import { HttpError } from '../http/errors.ts';
import { applyPlan, type planSummary, readPlan, type PlanItem } from '../api/plans.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../settings.ts';
import { COMMON_FLAGS, COMMON_OPTIONS, parse } from './args.ts';
import { formatTable, humanBytes } from './format.ts';
import { CliFailure, UsageError, type CliClients, type CliIo } from './io.ts';
import { resolveTarget } from './resolve.ts';

export const PLAN_USAGE = `Usage: mpu-reaper sweep plan ID [--json | --csv]

Prints the plan of the dry run ID (mpu-reaper sweep --dry-run): every upload it would abort, with its bucket, key,
upload id, initiation time, storage class, parts and bytes as measured. Apply it with: mpu-reaper sweep apply ID.
Exit code: 0 when printed; 1 when ID is not a finished dry run or cannot be read; 2 for bad usage.

  --csv                       one line per upload (RFC 4180), a header line first
${COMMON_FLAGS}`;

export const APPLY_USAGE = `Usage: mpu-reaper sweep apply ID [--json]

Starts a sweep that aborts exactly the uploads planned by the dry run ID, never another: a planned upload that is gone
is recorded NOT_FOUND, one that received a part since the plan SKIPPED_CHANGED (left alone); uploads created since
are not touched. A plan is applied once, and only while it is younger than SweepPlanMaxAge (7 days by default).
Exit code: 0 when the sweep started; 1 when refused (not a finished dry run, applied already, too old); 2 for bad usage.

  --state-machine-arn ARN     the sweep state machine (default: from the stack, or the local one with AWS_ENDPOINT_URL)
${COMMON_FLAGS}`;

/** the API's refusals as the CLI's: a bad id is bad usage (exit 2), every other refusal one line and exit 1 */
async function asCli<T>(command: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    if (error.statusCode === 400) throw new UsageError(`sweep ${command}: ${error.message}`);
    throw new CliFailure(`sweep ${command}: ${error.message}`);
  }
}

const CSV_COLUMNS = ['bucket', 'key', 'uploadId', 'initiated', 'storageClass', 'parts', 'bytes', 'newestPart', 'measuredAt'] as const;
/** a CSV field: quoted when it holds a comma, a quote or a line break (keys may), quotes doubled */
export const csvField = (value: unknown) => {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function oneId(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`sweep ${command}: ID: give exactly one dry run's id (mpu-reaper sweeps lists them)`);
  return positionals[0];
}

export async function planCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values, positionals } = parse('sweep plan', argv, { ...COMMON_OPTIONS, csv: { type: 'boolean' } }, true);
  if (values.help) {
    io.stdout.write(`${PLAN_USAGE}\n`);
    return 0;
  }
  const id = oneId('plan', positionals);
  if (values.json && values.csv) throw new UsageError('sweep plan: --csv: cannot be given with --json');
  const { tableName } = await resolveTarget({ table: true }, { table: values.table as string, stack: values.stack as string }, io.env, clients);
  const deps = { doc: clients().doc, tableName, planMaxAgeSeconds: SWEEP_SETTINGS_DEFAULTS.SweepPlanMaxAge };
  // page by page (1,000 uploads a read): a plan of a million uploads is printed without holding it
  let cursor: string | undefined;
  let first = true;
  do {
    const page = await asCli('plan', () => readPlan(deps, id, { limit: '1000', ...(cursor ? { cursor } : {}) }));
    const { items, cursor: next, ...summary } = page;
    if (first) {
      if (values.json) io.stdout.write(`${JSON.stringify(summary).slice(0, -1)},"items":[`);
      else if (values.csv) io.stdout.write(`${CSV_COLUMNS.join(',')}\n`);
      else io.stdout.write(planHeader(summary));
    }
    if (values.json) io.stdout.write(items.map((item, i) => `${first && i === 0 ? '' : ','}${JSON.stringify(item)}`).join(''));
    else if (values.csv) io.stdout.write(items.map((item) => `${CSV_COLUMNS.map((c) => csvField(item[c])).join(',')}\n`).join(''));
    else if (items.length > 0) io.stdout.write(`${planRows(items, first)}\n`);
    first = first && items.length === 0;
    cursor = next;
  } while (cursor);
  if (values.json) io.stdout.write(']}\n');
  return 0;
}

function planHeader(s: ReturnType<typeof planSummary>): string {
  const rows = [
    ['plan of dry run', s.id],
    ['status', s.status],
    ['created', s.createdAt],
    ['planned uploads', s.planned],
    ['bytes', humanBytes(s.bytes)],
    ...(s.applicableUntil ? [['applicable until', s.applicableUntil]] : []),
    ['applied by', s.appliedBy ?? `not applied (mpu-reaper sweep apply ${s.id})`],
  ];
  return `${formatTable(undefined, rows)}\n\n`;
}

const planRows = (items: PlanItem[], header: boolean) =>
  formatTable(
    header ? ['bucket', 'key', 'upload id', 'initiated', 'class', 'parts', 'bytes'] : undefined,
    items.map((u) => [u.bucket, u.key, u.uploadId, u.initiated, u.storageClass, u.parts, u.bytes]),
    { rule: false },
  );

export async function applyCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values, positionals } = parse('sweep apply', argv, { ...COMMON_OPTIONS, 'state-machine-arn': { type: 'string' } }, true);
  if (values.help) {
    io.stdout.write(`${APPLY_USAGE}\n`);
    return 0;
  }
  const id = oneId('apply', positionals);
  const flags = { stateMachineArn: values['state-machine-arn'] as string, table: values.table as string, stack: values.stack as string };
  const { stateMachineArn, tableName } = await resolveTarget({ stateMachine: 'sweepUploads', table: true }, flags, io.env, clients);
  const deps = {
    doc: clients().doc,
    sfn: clients().sfn,
    tableName,
    sweepStateMachineArn: stateMachineArn,
    planMaxAgeSeconds: SWEEP_SETTINGS_DEFAULTS.SweepPlanMaxAge,
  };
  const { body } = await asCli('apply', () => applyPlan(deps, id, 'cli'));
  io.stdout.write(
    values.json
      ? `${JSON.stringify(body)}\n`
      : `started sweep ${body.id}, applying the plan of dry run ${id}\n${body.executionArn}\nfollow it with: mpu-reaper sweeps\n`,
  );
  return 0;
}
