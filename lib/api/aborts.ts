/**
 * The /aborts API as plain functions with injected clients: the handlers in functions/ only parse and map.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { coveringSweep } from '../sweep/overlap.ts';
import { listQuery, queryNewestFirst } from './listing.ts';
import type { BucketAllowlist } from '../allowlist.ts';
import { HttpError, badRequest, notFound } from '../http/errors.ts';
import type { ApiResult } from '../http/handler.ts';
import { abortExecutionName, recheckExecutionName, recordId } from '../record-id.ts';
import {
  ABORT_STATUSES,
  INDEX_BY_STARTED_AT,
  INDEX_BY_STATUS,
  UPLOAD_RECORD_TYPE,
  expiresAtField,
  getRecord,
  historyAfter,
  mayTakeOver,
  presentRecord,
  shardKeys,
  uploadIndexKeys,
  type AbortRecord,
} from '../records.ts';
import { runInput, validateAbortRequest, type AbortRequest } from '../validation.ts';

export interface AbortApiDeps {
  sfn: SFNClient;
  doc: DynamoDBDocumentClient;
  tableName: string;
  stateMachineArn: string;
  allowlist: BucketAllowlist;
  /** the deployed RecordRetentionSeconds (RECORD_RETENTION_SECONDS): a claimed record's expiresAt */
  retentionSeconds: number;
  now?: () => Date;
}

const selfLink = (id: string) => ({ self: `/aborts/${id}` });
const withLinks = (record: AbortRecord) => ({ ...record, links: selfLink(record.id) });

/** The execution ARN StartExecution will return for a name: known before the call, so the record can be claimed first. */
export const executionArnFor = (stateMachineArn: string, name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * A RUNNING record this API claimed names the execution it started, by its deterministic name. An earlier request may
 * have claimed it and then lost StartExecution's answer, or never sent it (a fault, a timeout): send it again. Step
 * Functions answers a repeated StartExecution (same name, same input) with the open execution, starts it if it never
 * started, and refuses it (ExecutionAlreadyExists) if it ended; each leaves the record with an execution behind it.
 */
async function resumeClaimedRun(deps: AbortApiDeps, request: AbortRequest, record: AbortRecord): Promise<void> {
  const name = record.executionArn?.split(':').pop() ?? '';
  if (record.status !== 'RUNNING' || record.trigger !== 'api' || !name || record.executionArn !== executionArnFor(deps.stateMachineArn, name)) return;
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name,
        input: JSON.stringify(runInput(request, 'api', { recheck: name.startsWith('recheck-') })),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
}

/**
 * The record of an upload that has one: 200 when it tells a finished run's outcome; 202 while a run is RUNNING (after
 * making sure the run this API claimed has its execution).
 */
async function existingRecord(deps: AbortApiDeps, request: AbortRequest, record: AbortRecord): Promise<ApiResult> {
  await resumeClaimedRun(deps, request, record);
  if (record.status !== 'RUNNING') return { statusCode: 200, body: withLinks(record) };
  return { statusCode: 202, body: withLinks(record), headers: { location: selfLink(record.id).self } };
}

/** claim attempts when the record changes between the read and the conditional write */
const CLAIM_TRIES = 3;

/**
 * POST /aborts: validate, check the allowlist, claim the record (conditional put), start the execution.
 * The same upload again → 200 with its finished record (202 while its run is RUNNING) and no second execution. A new
 * run is started, under a fresh name, for recheck: true (unless one is RUNNING) and for a dry run's WOULD_ABORT: a
 * finding, not an outcome, which the API never answers as one. A replaced outcome moves into the record's history.
 */
export async function requestAbort(deps: AbortApiDeps, body: unknown): Promise<ApiResult> {
  const problems = validateAbortRequest(body, { allowRecheck: true });
  if (problems.length > 0) throw badRequest(problems[0].field, problems[0].rule);
  const request = body as AbortRequest & { recheck?: boolean };
  if (!deps.allowlist.allows(request.bucket)) {
    throw new HttpError(403, 'BucketNotAllowed', `bucket: "${request.bucket}" is not in this deployment's allowlist`, { field: 'bucket' });
  }
  const sweep = await coveringSweep(deps, request.bucket, request.key);
  if (sweep) {
    const message = `busy: the running sweep ${sweep.sweepId} covers this upload and records it; wait for it (GET /sweeps/${sweep.sweepId}) or cancel it`;
    throw new HttpError(409, 'Busy', message, { runningSweep: sweep.sweepId, owner: sweep.executionArn });
  }
  const id = recordId(request.bucket, request.key, request.uploadId);
  const now = deps.now?.() ?? new Date();
  for (let tries = 0; tries < CLAIM_TRIES; tries += 1) {
    const existing = await getRecord(deps.doc, deps.tableName, id);
    // moto writes attributes one by one: a record without a status is being written; the conditional put settles it
    const exists = existing?.status !== undefined;
    if (existing && exists && !mayTakeOver(existing.status, { recheck: request.recheck === true, dryRun: false }))
      return existingRecord(deps, request, existing);
    const takeOver = exists && existing !== undefined;
    const name = takeOver ? recheckExecutionName(id, now) : abortExecutionName(id);
    const claimed = await claimAndStart(deps, request, { id, name, now, previous: takeOver ? existing : undefined });
    if (claimed) return claimed;
  }
  const existing = await getRecord(deps.doc, deps.tableName, id);
  if (existing) return existingRecord(deps, request, existing);
  throw new HttpError(503, 'RecordBusy', `the record of this upload kept changing; send the request again`);
}

/** Claims the record (new, or on condition the earlier one is unchanged) and starts the run; undefined when the claim lost a race. */
async function claimAndStart(
  deps: AbortApiDeps,
  request: AbortRequest,
  claim: { id: string; name: string; now: Date; previous?: AbortRecord },
): Promise<ApiResult | undefined> {
  const { id, name, now, previous } = claim;
  const executionArn = executionArnFor(deps.stateMachineArn, name);
  const history = previous ? historyAfter(previous as unknown as Record<string, unknown>) : [];
  const record = {
    id,
    recordType: UPLOAD_RECORD_TYPE,
    ...uploadIndexKeys(id, 'RUNNING'),
    bucket: request.bucket,
    key: request.key,
    uploadId: request.uploadId,
    status: 'RUNNING',
    attempts: 0,
    trigger: 'api',
    executionArn,
    startedAt: now.toISOString(),
    ...expiresAtField(now.getTime() / 1000, deps.retentionSeconds),
    ...(history.length > 0 ? { history } : {}),
  };
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: record,
        ...(previous
          ? {
              ConditionExpression: '#executionArn = :readArn AND #status = :readStatus',
              ExpressionAttributeNames: { '#executionArn': 'executionArn', '#status': 'status' },
              ExpressionAttributeValues: { ':readArn': previous.executionArn, ':readStatus': previous.status },
            }
          : { ConditionExpression: 'attribute_not_exists(id)' }),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return undefined;
  }
  try {
    // a run started under a fresh name verifies whatever it finds (recheck): the API has claimed the record for it
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name,
        input: JSON.stringify(runInput(request, 'api', { recheck: previous !== undefined })),
      }),
    );
  } catch (error) {
    // nothing may be left RUNNING without an execution behind it: the earlier record comes back, or the claim goes
    const mine = { ConditionExpression: 'executionArn = :arn', ExpressionAttributeValues: { ':arn': executionArn } };
    await (previous
      ? deps.doc.send(new PutCommand({ TableName: deps.tableName, Item: previous, ...mine }))
      : deps.doc.send(new DeleteCommand({ TableName: deps.tableName, Key: { id }, ...mine }))
    ).catch(() => undefined);
    if ((error as Error).name === 'ExecutionAlreadyExists') {
      throw new HttpError(409, 'ExecutionAlreadyExists', `an execution named ${name} already ran for this upload; send "recheck": true to verify it again`);
    }
    throw error;
  }
  return { statusCode: 202, body: { id, status: 'RUNNING', executionArn, links: selfLink(id) }, headers: { location: selfLink(id).self } };
}

const RECORD_ID = /^[0-9a-f]{64}$/;

/** GET /aborts/{id} */
export async function readAbort(deps: Pick<AbortApiDeps, 'doc' | 'tableName'>, id: string | undefined): Promise<ApiResult> {
  if (!id || !RECORD_ID.test(id)) throw badRequest('id', 'must be 64 lowercase hex characters (the record id)');
  const record = await getRecord(deps.doc, deps.tableName, id);
  if (!record) throw notFound(`no record with id ${id}`);
  return { statusCode: 200, body: withLinks(record) };
}

/** GET /aborts?status=&bucket=&limit=&cursor= : newest first, from a GSI (no Scan), paginated with an opaque cursor */
export async function listAborts(deps: Pick<AbortApiDeps, 'doc' | 'tableName'>, query: Record<string, string | undefined> | null): Promise<ApiResult> {
  const { q, limit } = listQuery(query, { status: Object.keys(ABORT_STATUSES), bucket: null });
  const { items, cursor } = await queryNewestFirst(
    deps.doc,
    deps.tableName,
    q.status !== undefined
      ? { index: INDEX_BY_STATUS, partition: ['statusKey', shardKeys(q.status)], equals: { bucket: q.bucket }, limit, cursor: q.cursor }
      : { index: INDEX_BY_STARTED_AT, partition: ['listKey', shardKeys(UPLOAD_RECORD_TYPE)], equals: { bucket: q.bucket }, limit, cursor: q.cursor },
  );
  return { statusCode: 200, body: { items: items.map((item) => withLinks(presentRecord(item))), ...(cursor ? { cursor } : {}) } };
}
