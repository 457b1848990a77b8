/**
 * A dry run's plan, read and applied (GET /sweeps/{id}/plan, POST /sweeps/{id}/apply, `mpu-reaper sweep plan|apply`):
 * plain functions with injected clients. The plan is the dry run's plan pages (lib/sweep/plan-pages.ts); applying it
 * starts a sweep whose pages are those pages (lib/sweep/apply.ts), once: the dry run's record is claimed first with a
 * conditional write (`appliedBy`), so two applies at once start one sweep.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BucketAllowlist } from '../allowlist.ts';
import { HttpError, badRequest, notFound } from '../http/errors.ts';
import type { ApiResult } from '../http/handler.ts';
import { SWEEP_RECORD_TYPE, type SweepStatus } from '../records.ts';
import { SWEEP_ID, type SweepRequest } from '../sweep/plan.ts';
import { planLanes, planPageId, readPlanPage } from '../sweep/plan-pages.ts';
import type { SweepTargetPlan } from '../sweep/state.ts';
import { listQuery } from './listing.ts';
import { sweepExecutionName } from './sweeps.ts';

export interface PlanDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
}
export interface ApplyDeps extends PlanDeps {
  sfn: SFNClient;
  sweepStateMachineArn: string;
  /** the API checks the buckets as POST /sweeps does; the CLI (the operator's own credentials) passes none */
  allowlist?: BucketAllowlist;
  /** SweepPlanMaxAge: a plan older than this is refused */
  planMaxAgeSeconds: number;
  now?: () => Date;
}

/** the statuses of a dry run that ended with a plan (FAILED: its request was invalid, nothing was listed) */
const ENDED_WITH_PLAN: readonly SweepStatus[] = ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'INCOMPLETE'];

const conflict = (error: string, message: string) => new HttpError(409, error, message);

async function readDryRun(deps: PlanDeps, id: string | undefined): Promise<Record<string, unknown> & { id: string }> {
  if (!id || !SWEEP_ID.test(id)) throw badRequest('id', 'must be a sweep id (1 to 80 letters, digits, - and _)');
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id }, ConsistentRead: true }));
  if (!Item || Item.recordType !== SWEEP_RECORD_TYPE) throw notFound(`no sweep with id ${id}`);
  if (Item.dryRun !== true) throw conflict('NotADryRun', `sweep ${id} is not a dry run: only a dry run (sweep --dry-run) has a plan`);
  if (Item.status === 'RUNNING') throw conflict('DryRunNotFinished', `dry run ${id} is still running: its plan is complete when it ends`);
  if (!ENDED_WITH_PLAN.includes(Item.status as SweepStatus)) throw conflict('NoPlan', `dry run ${id} ended ${Item.status}: it listed nothing, it has no plan`);
  return Item as Record<string, unknown> & { id: string };
}

/** where a plan listing goes on: the lane (in plan order), its plan page, the offset in the page */
interface PlanCursor {
  l: number;
  n: number;
  o: number;
}

function decodePlanCursor(cursor: string | undefined): PlanCursor {
  if (cursor === undefined) return { l: 0, n: 0, o: 0 };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    /* refused below */
  }
  const v = value as Record<string, unknown> | null;
  const valid =
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length === 3 &&
    ['l', 'n', 'o'].every((name) => Number.isSafeInteger(v[name]) && (v[name] as number) >= 0);
  if (!valid) throw badRequest('cursor', 'must be a cursor returned by a previous page of this listing');
  return v as unknown as PlanCursor;
}

/** a plan's summary: what a listing page and the CLI print above the uploads */
export function planSummary(dryRun: Record<string, unknown>, maxAgeSeconds?: number) {
  return {
    id: String(dryRun.id),
    status: String(dryRun.status),
    createdAt: String(dryRun.startedAt),
    planned: Number(dryRun.wouldAbort ?? 0),
    bytes: Number(dryRun.bytesFound ?? 0),
    ...(maxAgeSeconds ? { applicableUntil: new Date(Date.parse(String(dryRun.startedAt)) + maxAgeSeconds * 1000).toISOString() } : {}),
    ...(dryRun.appliedBy ? { appliedBy: String(dryRun.appliedBy), appliedAt: String(dryRun.appliedAt) } : {}),
  };
}

export interface PlanItem {
  bucket: string;
  key: string;
  uploadId: string;
  initiated?: string;
  storageClass?: string;
  parts: number;
  bytes: number;
  newestPart?: string;
  measuredAt: string;
}

/** a listing page's JSON stops growing here (Lambda answers at most 6 MB): 1,000 uploads with 1,024-byte keys escaped would pass it */
export const PLAN_RESPONSE_BYTES = 4 * 1024 * 1024;

/** GET /sweeps/{id}/plan?limit=&cursor= : the planned uploads in plan order (lane by lane), limit 1–1,000 (default 100) */
export async function readPlan(deps: PlanDeps & { planMaxAgeSeconds?: number }, id: string | undefined, query: Record<string, string | undefined> | null) {
  const dryRun = await readDryRun(deps, id);
  const { q, limit } = listQuery(query, {}, { most: 1000, default: 100 });
  let { l, n, o } = decodePlanCursor(q.cursor);
  const lanes = await planLanes(deps, dryRun);
  const items: PlanItem[] = [];
  let size = 0;
  while (items.length < limit && l < lanes.length) {
    const lane = lanes[l];
    if (n >= lane.pages) {
      [l, n, o] = [l + 1, 0, 0];
      continue;
    }
    const page = await readPlanPage(deps, planPageId(dryRun.id, lane.target, lane.lane, n));
    if (!page) throw new Error(`plan page ${planPageId(dryRun.id, lane.target, lane.lane, n)} is missing`);
    for (const u of page.uploads.slice(o, o + limit - items.length)) {
      const item: PlanItem = {
        bucket: page.bucket,
        key: u.k,
        uploadId: u.u,
        ...(u.i ? { initiated: u.i } : {}),
        ...(u.c ? { storageClass: u.c } : {}),
        parts: u.p,
        bytes: u.b,
        ...(u.t ? { newestPart: u.t } : {}),
        measuredAt: page.measuredAt,
      };
      size += Buffer.byteLength(JSON.stringify(item)) + 1;
      if (size > PLAN_RESPONSE_BYTES && items.length > 0) break;
      items.push(item);
      o += 1;
    }
    if (size > PLAN_RESPONSE_BYTES) break;
    if (o >= page.uploads.length) [n, o] = [n + 1, 0];
  }
  // a cursor only when something may follow (the last lane's pages not all read)
  const more = lanes.slice(l).some((lane, i) => (i === 0 ? n < lane.pages : lane.pages > 0));
  const cursor = more ? Buffer.from(JSON.stringify({ l, n, o })).toString('base64url') : undefined;
  return { ...planSummary(dryRun, deps.planMaxAgeSeconds), items, ...(cursor ? { cursor } : {}) };
}

/** GET /sweeps/{id}/plan */
export async function getPlan(
  deps: PlanDeps & { planMaxAgeSeconds?: number },
  id: string | undefined,
  query: Record<string, string | undefined> | null,
): Promise<ApiResult> {
  return { statusCode: 200, body: { ...(await readPlan(deps, id, query)), links: { self: `/sweeps/${id}/plan`, sweep: `/sweeps/${id}` } } };
}

const ageText = (seconds: number) => (seconds >= 86_400 ? `${(seconds / 86_400).toFixed(1)}d` : `${(seconds / 3600).toFixed(1)}h`);

/**
 * POST /sweeps/{id}/apply: checks the dry run (a finished dry run, not applied, younger than SweepPlanMaxAge), claims it
 * (appliedBy, a conditional write: one apply wins), then starts the sweep that applies it. Nothing starts on a refusal;
 * a sweep that could not start gives the claim back.
 */
export async function applyPlan(deps: ApplyDeps, id: string | undefined, trigger = 'api', body?: string | null): Promise<ApiResult> {
  if (body != null && body.trim() !== '' && body.replace(/\s/g, '') !== '{}') throw badRequest('body', 'must be empty or {}: an apply takes no fields');
  const dryRun = await readDryRun(deps, id);
  const alreadyApplied = (by: unknown) => conflict('PlanAlreadyApplied', `the plan of dry run ${dryRun.id} was applied by sweep ${by}: a plan is applied once`);
  if (dryRun.appliedBy) throw alreadyApplied(dryRun.appliedBy);
  const now = deps.now?.() ?? new Date();
  const age = (now.getTime() - Date.parse(String(dryRun.startedAt))) / 1000;
  if (!(age <= deps.planMaxAgeSeconds)) {
    throw conflict(
      'PlanTooOld',
      `the plan of dry run ${dryRun.id} is ${ageText(age)} old, older than SweepPlanMaxAge (${ageText(deps.planMaxAgeSeconds)}): uploads may have changed since; run a new dry run`,
    );
  }
  const targets = JSON.parse(String(dryRun.targets)) as SweepTargetPlan[];
  const refused = targets.findIndex((t) => deps.allowlist && !deps.allowlist.allows(t.bucket));
  if (refused >= 0) {
    throw new HttpError(403, 'BucketNotAllowed', `the plan's bucket "${targets[refused].bucket}" is not in this deployment's allowlist`, { field: 'id' });
  }
  const request: SweepRequest = {
    targets: targets.map((t) => ({
      bucket: t.bucket,
      ...(t.prefix ? { prefix: t.prefix } : {}),
      olderThan: t.olderThan,
      expectedBucketOwner: t.expectedBucketOwner,
    })),
    maxUploads: targets[0].maxUploads,
    planId: dryRun.id,
    // the uploads were chosen by the dry run, which met the minimum age or was forced past it; the apply aborts only
    // them, each measured again (a changed one is left alone), so the age is not asked again
    force: true,
  };
  const sweepId = sweepExecutionName(now);
  // the claim: one apply wins; given back (only by its own sweep) when the sweep could not start
  const claim = (update: string, condition: string, values: Record<string, unknown>) =>
    deps.doc.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { id: dryRun.id },
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#appliedBy': 'appliedBy', '#appliedAt': 'appliedAt', ...(values[':true'] ? { '#dryRun': 'dryRun' } : {}) },
        ExpressionAttributeValues: { ':sweep': sweepId, ...values },
      }),
    );
  try {
    await claim('SET #appliedBy = :sweep, #appliedAt = :now', 'attribute_not_exists(#appliedBy) AND #dryRun = :true', {
      ':now': now.toISOString(),
      ':true': true,
    });
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: dryRun.id }, ConsistentRead: true }));
    throw alreadyApplied(Item?.appliedBy);
  }
  let executionArn: string | undefined;
  try {
    ({ executionArn } = await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: deps.sweepStateMachineArn, name: sweepId, input: JSON.stringify({ ...request, trigger }) }),
    ));
  } catch (error) {
    await claim('REMOVE #appliedBy, #appliedAt', '#appliedBy = :sweep', {});
    throw error;
  }
  const self = `/sweeps/${sweepId}`;
  return {
    statusCode: 202,
    body: { id: sweepId, planId: dryRun.id, status: 'RUNNING', executionArn, links: { self, plan: `/sweeps/${dryRun.id}/plan` } },
    headers: { location: self },
  };
}
