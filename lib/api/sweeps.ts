/** The /sweeps API as plain functions with injected clients. */
import { randomBytes } from 'node:crypto';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BucketAllowlist } from '../allowlist.ts';
import { HttpError, badRequest, notFound } from '../http/errors.ts';
import { INDEX_BY_STARTED_AT, SWEEP_LIST_KEY, SWEEP_RECORD_TYPE, SWEEP_STATUSES, type SweepRecord } from '../records.ts';
import { cancelSweep, isSweepId, SWEEP_ID_RULE, type CancelDeps } from '../sweep/cancel.ts';
import { overlapMessage, runningOverlap } from '../sweep/overlap.ts';
import { validateSweepRequest, type SweepRequest } from '../sweep/plan.ts';
import { withLiveTotals } from '../sweep/progress.ts';
import type { ApiResult } from '../http/handler.ts';
import { listQuery, queryNewestFirst } from './listing.ts';
import { classifySdkError } from '../task-errors.ts';

export interface SweepApiDeps {
  sfn: SFNClient;
  doc: DynamoDBDocumentClient;
  tableName: string;
  sweepStateMachineArn: string;
  allowlist: BucketAllowlist;
  /** the deployed SweepMinimumAge (default lib/settings.json's) */
  minimumAgeSeconds?: number;
  now?: () => Date;
}

/** sweep-20261122T211340Z-3f9a1c: sortable, readable in the console, unique */
export function sweepExecutionName(now: Date): string {
  return `sweep-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')}-${randomBytes(3).toString('hex')}`;
}

const links = (id: string) => ({ self: `/sweeps/${id}` });

/** The record as the API shows it: the JSON the state machine stored as strings, parsed. */
export function presentSweep(item: Record<string, unknown>): SweepRecord & { links: { self: string } } {
  const sweep = { ...item } as Record<string, unknown>;
  if (sweep.planId === '') delete sweep.planId; // a sweep that applied no plan
  for (const field of ['targets', 'targetResults']) {
    if (typeof sweep[field] === 'string') {
      try {
        sweep[field] = JSON.parse(sweep[field] as string);
      } catch {
        /* leave the text as stored */
      }
    }
  }
  return { ...(sweep as unknown as SweepRecord), links: links(String(item.id)) };
}

/** POST /sweeps: validate, check every target against the allowlist, start the sweep. */
export async function requestSweep(deps: SweepApiDeps, body: unknown, trigger = 'api'): Promise<ApiResult> {
  const problems = validateSweepRequest(body, { minimumAgeSeconds: deps.minimumAgeSeconds });
  if (problems.length > 0) throw badRequest(problems[0].field, problems[0].rule);
  const request = body as SweepRequest;
  // a plan is applied through POST /sweeps/{id}/apply only: it checks the plan's age and that it is applied once
  if (request.planId !== undefined) throw badRequest('planId', 'is set by POST /sweeps/{id}/apply, not by a new sweep');
  const refused = request.targets.findIndex((t) => !deps.allowlist.allows(t.bucket));
  if (refused >= 0) {
    throw new HttpError(403, 'BucketNotAllowed', `targets[${refused}].bucket: "${request.targets[refused].bucket}" is not in this deployment's allowlist`, {
      field: `targets[${refused}].bucket`,
    });
  }
  const overlap = await runningOverlap(deps, request.targets);
  if (overlap) {
    throw new HttpError(409, 'Conflict', overlapMessage(overlap), { field: `targets[${overlap.index}]`, runningSweep: overlap.sweepId });
  }
  const id = sweepExecutionName(deps.now?.() ?? new Date());
  const { executionArn } = await deps.sfn.send(
    new StartExecutionCommand({ stateMachineArn: deps.sweepStateMachineArn, name: id, input: JSON.stringify({ ...request, trigger }) }),
  );
  return { statusCode: 202, body: { id, status: 'RUNNING', executionArn, links: links(id) }, headers: { location: links(id).self } };
}

/** GET /sweeps/{id}: a RUNNING sweep with its counters so far (summed from the targets' checkpoints) */
export async function readSweep(deps: Pick<SweepApiDeps, 'doc' | 'tableName'>, id: string | undefined): Promise<ApiResult> {
  if (!isSweepId(id)) throw badRequest('id', SWEEP_ID_RULE);
  return tableAnswering(async () => {
    const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id }, ConsistentRead: true }));
    if (!Item || Item.recordType !== SWEEP_RECORD_TYPE) throw notFound(`no sweep with id ${id}`);
    return { statusCode: 200, body: presentSweep(await withLiveTotals(deps.doc, deps.tableName, Item)) as unknown as Record<string, unknown> };
  });
}

/** DELETE /sweeps/{id}: cancel a RUNNING sweep (lib/sweep/cancel.ts); 202 with the sweep as it is now */
export async function requestSweepCancel(deps: CancelDeps, id: string | undefined): Promise<ApiResult> {
  const sweep = await tableAnswering(() => cancelSweep(deps, id));
  return { statusCode: 202, body: presentSweep(await withLiveTotals(deps.doc, deps.tableName, sweep)) as unknown as Record<string, unknown> };
}

/** seconds a client should wait before asking again when DynamoDB does not answer */
export const TABLE_RETRY_AFTER_SECONDS = 5;

/**
 * DynamoDB failing (5xx, throttling, no answer after the SDK's retries) is the service being unavailable, not a bug of
 * the request: 503 with Retry-After (RFC 9110, 10.2.3) instead of 500.
 */
async function tableAnswering<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (!classifySdkError(error).transient) throw error;
    const retryAfter = String(TABLE_RETRY_AFTER_SECONDS);
    throw new HttpError(
      503,
      'ServiceUnavailable',
      `the records table did not answer (${(error as Error).name}); retry in ${retryAfter} s`,
      { retryAfterSeconds: TABLE_RETRY_AFTER_SECONDS },
      { 'retry-after': retryAfter },
    );
  }
}

/** GET /sweeps?status=&limit=&cursor= : newest first */
export async function listSweeps(deps: Pick<SweepApiDeps, 'doc' | 'tableName'>, query: Record<string, string | undefined> | null): Promise<ApiResult> {
  const { q, limit } = listQuery(query, { status: Object.keys(SWEEP_STATUSES) });
  const { items, cursor } = await queryNewestFirst(deps.doc, deps.tableName, {
    index: INDEX_BY_STARTED_AT,
    partition: ['listKey', [SWEEP_LIST_KEY]],
    equals: { status: q.status },
    limit,
    cursor: q.cursor,
  });
  return { statusCode: 200, body: { items: items.map(presentSweep), ...(cursor ? { cursor } : {}) } };
}
