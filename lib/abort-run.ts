/**
 * The two steps of an abort-upload run that need code, as pure functions with injected clients. The abort loop itself
 * (abort → wait → ListParts → abort again) stays on Step Functions' native S3 integration; these run before and after it.
 *
 * prepareRun (the first state): validates the execution input with the one validator every entry uses, checks the
 * allowlist, claims the upload's record, measures the upload with ListParts (exact byte totals: JSONPath's math
 * intrinsics stop at 2^31 and an upload can hold 10,000 parts of 5 GiB) and hands the loop its parameters.
 * recordOutcome (the last state): decides the outcome from what the loop saw and writes it, conditional on the run
 * still owning the record.
 */
import { HeadObjectCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BucketAllowlist } from './allowlist.ts';
import { recordId } from './record-id.ts';
import { SWEEP_RECORD_TYPE, UPLOAD_RECORD_TYPE, updateOwnedRecord, type AbortStatus } from './records.ts';
import { classifySdkError, classifyTaskError } from './task-errors.ts';
import { isDirectoryBucket, parseRunInput, type AbortRequest, type RunInput } from './validation.ts';
import { coveringSweep } from './sweep/overlap.ts';

/** A request the workflow refuses before touching anything: the execution fails in its first state with this error. */
export class InvalidRequest extends Error {
  override name = 'InvalidRequest';
}

/** The record belongs to a newer run (a recheck took it over): this run must not overwrite it. */
export class Superseded extends Error {
  override name = 'Superseded';
}

export interface RunSettings {
  firstWaitSeconds: number;
  maxWaitSeconds: number;
  maxAbortAttempts: number;
  retentionSeconds: number;
}

export interface PrepareRunEvent {
  input: unknown;
  executionArn: string;
  startTime: string;
  settings: RunSettings;
}

/** AbortMultipartUpload's and ListParts' parameters, as the state machine's S3 Tasks pass them */
export interface S3Parameters {
  Bucket: string;
  Key: string;
  UploadId: string;
  ExpectedBucketOwner: string;
  RequestPayer?: 'requester';
  IfMatchInitiatedTime?: string;
}

export interface Outcome {
  status: AbortStatus;
  error?: string;
  cause?: string;
}

export interface PreparedRun {
  run: { id: string; bucket: string; key: string; uploadId: string; trigger: string; executionArn: string; startedAt: string; sweepId?: string };
  s3: S3Parameters;
  /** which Abort Task variant sends the optional parameters (ASL cannot omit a parameter conditionally) */
  variant: 'plain' | 'requesterPays' | 'ifInitiated';
  /** abort: enter the loop; record: the outcome is known already; busy: another run owns the record; recorded: it has an outcome */
  next: 'abort' | 'record' | 'busy' | 'recorded';
  measure: { parts: number; bytes: number };
  outcome?: Outcome;
  /** the loop's counter (aborts sent before this one) and the wait before the next check */
  loop: { attempt: number; waitSeconds: number };
  /** the wait after each abort: doubling from firstWaitSeconds, capped at maxWaitSeconds, one per allowed abort */
  waits: number[];
  /** the loop's attempt index of the last allowed abort (MaxAbortAttempts - 1) */
  lastAttempt: number;
  /** the record's owner when next is busy or recorded */
  owner?: { status: string; executionArn: string };
}

export interface RunDeps {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  allowlist: BucketAllowlist;
}

/** The account running the workflow: S3's ExpectedBucketOwner when the request names none. */
const accountOf = (executionArn: string) => executionArn.split(':')[4];

export function waitSchedule(settings: Pick<RunSettings, 'firstWaitSeconds' | 'maxWaitSeconds' | 'maxAbortAttempts'>): number[] {
  return Array.from({ length: settings.maxAbortAttempts }, (_, i) => Math.min(settings.maxWaitSeconds, settings.firstWaitSeconds * 2 ** i));
}

export function s3Parameters(request: AbortRequest, account: string): S3Parameters {
  return {
    Bucket: request.bucket,
    Key: request.key,
    UploadId: request.uploadId,
    ExpectedBucketOwner: request.expectedBucketOwner ?? account,
    ...(request.requestPayer ? { RequestPayer: request.requestPayer } : {}),
    ...(request.ifMatchInitiatedTime ? { IfMatchInitiatedTime: request.ifMatchInitiatedTime } : {}),
  };
}

/** ListParts page by page: parts and bytes, summed exactly (bytes stay below 2^53: 10,000 parts × 5 GiB ≈ 5.4 × 10^13) */
export async function measureUpload(s3: S3Client, parameters: S3Parameters): Promise<{ exists: boolean; parts: number; bytes: number }> {
  const { IfMatchInitiatedTime: _notForListParts, ...listParameters } = parameters;
  let parts = 0;
  let bytes = 0n;
  let marker: string | undefined;
  try {
    for (let page = 0; page < 11; page += 1) {
      // 10,000 parts at most, 1,000 a page
      const answer = await s3.send(new ListPartsCommand({ ...listParameters, MaxParts: 1000, ...(marker ? { PartNumberMarker: marker } : {}) }));
      for (const part of answer.Parts ?? []) {
        parts += 1;
        bytes += BigInt(part.Size ?? 0);
      }
      if (!answer.IsTruncated) break;
      marker = String(answer.NextPartNumberMarker);
    }
  } catch (error) {
    if ((error as Error).name === 'NoSuchUpload') return { exists: false, parts: 0, bytes: 0 };
    throw error;
  }
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`ListParts reported ${bytes} bytes, more than S3 allows in one upload`);
  return { exists: true, parts, bytes: Number(bytes) };
}

/** A deadline run that found no upload: an object at the key means the upload was completed in time. */
async function completedBeforeDeadline(s3: S3Client, parameters: S3Parameters): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: parameters.Bucket, Key: parameters.Key, ExpectedBucketOwner: parameters.ExpectedBucketOwner }));
    return true;
  } catch (error) {
    if (['NotFound', 'NoSuchKey'].includes((error as Error).name)) return false;
    throw error;
  }
}

function validRun(input: unknown, allowlist: BucketAllowlist): RunInput {
  const { run, problems } = parseRunInput(input);
  if (!run) throw new InvalidRequest(problems.map((p) => `${p.field}: ${p.rule}`).join('; '));
  if (!allowlist.allows(run.request.bucket)) throw new InvalidRequest(`request.bucket: "${run.request.bucket}" is not in this deployment's allowlist`);
  return run;
}

/**
 * Claims the record for this execution. It succeeds for a new upload, for the RUNNING record the API claimed for this
 * execution (same execution ARN: a retried first state too), and with recheck for a record that is not RUNNING. A
 * finished record is never taken over by a run that merely reuses its execution name. Otherwise the owner
 * is returned: a RUNNING record belongs to another run; a finished one keeps its outcome (at-least-once deliveries of
 * an event cannot overwrite it).
 */
async function claimRecord(deps: RunDeps, run: RunInput, record: PreparedRun['run'], expiresAt: number): Promise<PreparedRun['owner'] | undefined> {
  const fields: Record<string, unknown> = { recordType: UPLOAD_RECORD_TYPE, ...record, status: 'RUNNING', attempts: 0, expiresAt };
  delete fields.id;
  const removed = ['finishedAt', 'error', 'cause', 'partsFound', 'bytesFound', ...(record.sweepId ? [] : ['sweepId'])];
  const names = Object.fromEntries([...Object.keys(fields), ...removed].map((name) => [`#${name}`, name]));
  const values = Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value]));
  try {
    await deps.doc.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { id: record.id },
        UpdateExpression: `SET ${Object.keys(fields)
          .map((name) => `#${name} = :${name}`)
          .join(', ')} REMOVE ${removed.map((name) => `#${name}`).join(', ')}`,
        ConditionExpression: `attribute_not_exists(#status) OR (#executionArn = :executionArn AND #status = :status)${run.recheck ? ' OR #status <> :status' : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return undefined;
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: record.id }, ConsistentRead: true }));
    return { status: String(Item?.status), executionArn: String(Item?.executionArn) };
  }
}

/** trigger "sweep" counts into a sweep's record: only a sweep that exists and is RUNNING may be named */
async function requireRunningSweep(deps: RunDeps, sweepId: string): Promise<void> {
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: sweepId }, ConsistentRead: true }));
  if (Item?.recordType !== SWEEP_RECORD_TYPE || Item.status !== 'RUNNING') throw new InvalidRequest(`sweepId: "${sweepId}" names no running sweep`);
}

export async function prepareRun(deps: RunDeps, event: PrepareRunEvent): Promise<PreparedRun> {
  const run = validRun(event.input, deps.allowlist);
  const { request } = run;
  const started = new Date(event.startTime);
  const record = {
    id: recordId(request.bucket, request.key, request.uploadId),
    bucket: request.bucket,
    key: request.key,
    uploadId: request.uploadId,
    trigger: run.trigger,
    executionArn: event.executionArn,
    startedAt: started.toISOString(),
    ...(run.sweepId ? { sweepId: run.sweepId } : {}),
  };
  const s3 = s3Parameters(request, accountOf(event.executionArn));
  const waits = waitSchedule(event.settings);
  const prepared: PreparedRun = {
    run: record,
    s3,
    variant: request.requestPayer ? 'requesterPays' : request.ifMatchInitiatedTime && isDirectoryBucket(request.bucket) ? 'ifInitiated' : 'plain',
    next: 'abort',
    measure: { parts: 0, bytes: 0 },
    loop: { attempt: 0, waitSeconds: waits[0] },
    waits,
    lastAttempt: event.settings.maxAbortAttempts - 1,
  };
  if (run.sweepId) await requireRunningSweep(deps, run.sweepId);
  // an upload a running sweep covers is the sweep's: busy, naming it (the API refuses it before starting a run)
  const sweep = run.trigger === 'sweep' || run.trigger === 'api' ? undefined : await coveringSweep(deps, request.bucket, request.key);
  if (sweep) return { ...prepared, next: 'busy', owner: { status: 'RUNNING', executionArn: sweep.executionArn } };
  const owner = await claimRecord(deps, run, record, Math.floor(started.getTime() / 1000) + event.settings.retentionSeconds);
  if (owner) return { ...prepared, next: owner.status === 'RUNNING' ? 'busy' : 'recorded', owner };
  try {
    const measured = await measureUpload(deps.s3, s3);
    prepared.measure = { parts: measured.parts, bytes: measured.bytes };
    if (!measured.exists) {
      const completed = run.trigger === 'deadline' && (await completedBeforeDeadline(deps.s3, s3));
      prepared.outcome = completed ? { status: 'COMPLETED_BEFORE_DEADLINE' } : { status: 'NOT_FOUND' };
    } else if (run.dryRun) {
      prepared.outcome = { status: 'WOULD_ABORT' };
    }
  } catch (error) {
    // an error retrying can help with (5xx, throttling, no answer): the function fails, Step Functions' Retry runs it again
    if (classifySdkError(error).transient) throw error;
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    prepared.outcome = {
      status: 'FAILED',
      error: e.name,
      cause: `${e.message} (S3 answered ${e.$metadata?.httpStatusCode} while ListParts measured the upload)`,
    };
  }
  if (prepared.outcome) prepared.next = 'record';
  return prepared;
}

/** What the loop leaves in the state for the last step. */
export interface LoopState extends PreparedRun {
  /** the last abort's answer: {} when sent, or the error Step Functions caught */
  abortAnswer?: { Error?: string; Cause?: string };
  /** the last check's answer: ListParts' result, or the error caught */
  checkAnswer?: { Error?: string; Cause?: string; Parts?: unknown[] };
  /** an error that ended the loop (S3 refused, retries exhausted) */
  failure?: { Error?: string; Cause?: string };
}

const NO_SUCH_UPLOAD = 'S3.NoSuchUploadException';

/**
 * The outcome, from what the run saw. NoSuchUpload answers an abort after an earlier abort of this run was sent (its
 * answer lost, or parts still listed): our abort freed the upload, ABORTED. On the run's first abort it means the upload
 * vanished between the measure and the abort (completed or aborted by someone else): NOT_FOUND, said so in the cause.
 */
export function decideOutcome(state: LoopState): Outcome & { attempts: number } {
  const sent = state.next === 'abort' ? state.loop.attempt + 1 : 0;
  const failed = (failure: { Error?: string; Cause?: string }): Outcome => {
    const classified = classifyTaskError(failure);
    return { status: 'FAILED', error: classified.code, cause: classified.cause || classified.error };
  };
  if (state.outcome) return { ...state.outcome, attempts: 0 };
  if (state.failure) return { ...failed(state.failure), attempts: sent };
  if (state.abortAnswer?.Error === NO_SUCH_UPLOAD) {
    return state.loop.attempt > 0
      ? { status: 'ABORTED', attempts: sent }
      : {
          status: 'NOT_FOUND',
          attempts: sent,
          cause: 'The upload was listed when the run measured it and gone before its first abort: completed or aborted by someone else.',
        };
  }
  if (state.checkAnswer?.Error === NO_SUCH_UPLOAD) return { status: 'ABORTED', attempts: sent };
  if (state.abortAnswer?.Error) return { ...failed(state.abortAnswer), attempts: sent };
  return { status: 'PARTS_REMAIN', attempts: sent, cause: `ListParts still listed the upload after ${sent} aborts` };
}

export interface RecordedOutcome {
  id: string;
  status: AbortStatus;
  ok: boolean;
  attempts: number;
  partsFound: number;
  bytesFound: number;
  error?: string;
}

/** The statuses of a run that ended as it should. */
export const SUCCEEDED: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND', 'WOULD_ABORT', 'COMPLETED_BEFORE_DEADLINE'];

export async function recordOutcome(deps: Pick<RunDeps, 'doc' | 'tableName'>, state: LoopState, finishedAt = new Date()): Promise<RecordedOutcome> {
  const outcome = decideOutcome(state);
  try {
    await updateOwnedRecord(deps.doc, deps.tableName, state.run.id, state.run.executionArn, {
      status: outcome.status,
      attempts: outcome.attempts,
      partsFound: state.measure.parts,
      bytesFound: state.measure.bytes,
      finishedAt: finishedAt.toISOString(),
      error: outcome.error || undefined,
      cause: outcome.cause || undefined,
    });
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException')
      throw new Superseded(`record ${state.run.id} now belongs to another run; this run's outcome was ${outcome.status}`);
    throw error;
  }
  return {
    id: state.run.id,
    status: outcome.status,
    ok: SUCCEEDED.includes(outcome.status),
    attempts: outcome.attempts,
    partsFound: state.measure.parts,
    bytesFound: state.measure.bytes,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}
