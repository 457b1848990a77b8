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
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { activeCause, isActive, isUnreadable, parseWindow, unreadableCause } from './activity-guard.ts';
import type { BucketAllowlist } from './allowlist.ts';
import { measureUpload, type S3Parameters } from './measure.ts';
import { updateOwnedRecordCounted } from './ledger.ts';
import { recordId } from './record-id.ts';
import {
  expiresAtField,
  historyAfter,
  mayTakeOver,
  statusKey,
  SWEEP_RECORD_TYPE,
  UPLOAD_RECORD_TYPE,
  uploadIndexKeys,
  writerRegion,
  type AbortStatus,
} from './records.ts';
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

export interface Outcome {
  status: AbortStatus;
  error?: string;
  cause?: string;
  /** false: aborted, but S3 refused the ListParts that would prove it */
  verified?: boolean;
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
  /** the newest part's LastModified (the activity guard's measure) */
  lastPartAt?: string;
  /** the upload's storage class, as ListParts reported it */
  storageClass?: string;
  /** S3 refused the measuring ListParts (403): why, and what to grant; the run aborts unverified */
  unreadable?: string;
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

/** the cause of a NOT_FOUND the measure decided: the upload was gone before this run sent anything */
export const GONE_BEFORE_MEASURE =
  'ListParts answered NoSuchUpload when the run measured the upload, before any abort of this run: it was already aborted or completed (by someone else or an earlier run).';

/**
 * A deadline run that found no upload: completed in time only if an object at the key was written at or after the upload
 * was initiated (HeadObject's LastModified; an object that was there before the upload proves nothing about it).
 */
async function deadlineOutcome(s3: S3Client, parameters: S3Parameters, initiated: string | undefined): Promise<Outcome> {
  let lastModified: Date | undefined;
  try {
    ({ LastModified: lastModified } = await s3.send(
      new HeadObjectCommand({ Bucket: parameters.Bucket, Key: parameters.Key, ExpectedBucketOwner: parameters.ExpectedBucketOwner }),
    ));
  } catch (error) {
    if (!['NotFound', 'NoSuchKey'].includes((error as Error).name)) throw error;
    return { status: 'NOT_FOUND', cause: `${GONE_BEFORE_MEASURE} No object is at the key: not completed (or completed and deleted since).` };
  }
  const modified = lastModified?.toISOString();
  if (!initiated || !modified) {
    return {
      status: 'NOT_FOUND',
      cause: `${GONE_BEFORE_MEASURE} An object is at the key, but without the upload's initiation time it cannot be told to be the upload's.`,
    };
  }
  // S3's and CloudTrail's times have whole seconds: an object written in the second the upload began counts as it
  if (Date.parse(modified) >= Math.floor(Date.parse(initiated) / 1000) * 1000) {
    return {
      status: 'COMPLETED_BEFORE_DEADLINE',
      cause: `The object at the key was last modified at ${modified}, at or after the upload was initiated (${initiated}).`,
    };
  }
  return {
    status: 'NOT_FOUND',
    cause: `${GONE_BEFORE_MEASURE} The object at the key was last modified at ${modified}, before the upload was initiated (${initiated}): it is not the upload's.`,
  };
}

function validRun(input: unknown, allowlist: BucketAllowlist): RunInput {
  const { run, problems } = parseRunInput(input);
  if (!run) throw new InvalidRequest(problems.map((p) => `${p.field}: ${p.rule}`).join('; '));
  if (!allowlist.allows(run.request.bucket)) throw new InvalidRequest(`request.bucket: "${run.request.bucket}" is not in this deployment's allowlist`);
  return run;
}

/** claim attempts when another writer changes the record between the read and the conditional write */
const CLAIM_TRIES = 3;

/**
 * Claims the record for this execution. It succeeds for a new upload, for the RUNNING record the API claimed for this
 * execution (same execution ARN: a retried first state too), and for a finished record the run may take over
 * (mayTakeOver): that record's outcome moves into its history, never erased. Otherwise the owner is returned: a RUNNING
 * record belongs to another run; a finished one keeps its outcome. The record is read, then written on condition that
 * it is still what was read.
 */
async function claimRecord(
  deps: RunDeps,
  run: RunInput,
  record: PreparedRun['run'],
  expiry: { expiresAt?: number },
): Promise<PreparedRun['owner'] | undefined> {
  const read = async () => (await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: record.id }, ConsistentRead: true }))).Item;
  // first without a read (a new upload, or the API's claim for this execution: one write, as most runs need); after a
  // refusal, from what the table holds
  let Item: Record<string, unknown> | undefined;
  let known = false;
  for (let tries = 0; tries < CLAIM_TRIES; tries += 1) {
    // moto writes an UpdateItem's attributes one by one: an item without a status is one being written
    const exists = known && Item?.status !== undefined;
    const own = exists && Item?.executionArn === record.executionArn && Item?.status === 'RUNNING';
    if (exists && !own && !mayTakeOver(Item?.status, run)) break;
    const fields: Record<string, unknown> = {
      recordType: UPLOAD_RECORD_TYPE,
      ...uploadIndexKeys(record.id, 'RUNNING'),
      ...record,
      status: 'RUNNING',
      attempts: 0,
      ...expiry,
      ...(run.dryRun ? { dryRun: true } : {}),
      ...(exists && !own ? { history: historyAfter(Item) } : {}),
    };
    delete fields.id;
    const removed = [
      'finishedAt',
      'error',
      'cause',
      'partsFound',
      'bytesFound',
      'lastPartAt',
      'verified',
      'storageClass',
      'region',
      ...(run.dryRun ? [] : ['dryRun']),
      ...(record.sweepId ? [] : ['sweepId']),
      ...(expiry.expiresAt ? [] : ['expiresAt']),
    ];
    const names = Object.fromEntries([...Object.keys(fields), ...removed].map((name) => [`#${name}`, name]));
    const values = Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value]));
    const condition = !known
      ? 'attribute_not_exists(#status) OR (#executionArn = :executionArn AND #status = :status)'
      : exists
        ? '#executionArn = :readArn AND #status = :readStatus'
        : 'attribute_not_exists(#status)';
    try {
      await deps.doc.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { id: record.id },
          UpdateExpression: `SET ${Object.keys(fields)
            .map((name) => `#${name} = :${name}`)
            .join(', ')} REMOVE ${removed.map((name) => `#${name}`).join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ...(exists ? { ':readArn': Item?.executionArn, ':readStatus': Item?.status } : {}) },
        }),
      );
      return undefined;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      Item = await read();
      known = true;
    }
  }
  return { status: String(Item?.status), executionArn: String(Item?.executionArn) };
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
  const idleFor = request.idleFor === undefined ? 0 : (parseWindow(request.idleFor).seconds ?? 0);
  if (run.sweepId) await requireRunningSweep(deps, run.sweepId);
  // an upload a running sweep covers is the sweep's: busy, naming it (the API refuses it before starting a run)
  const sweep = run.trigger === 'sweep' || run.trigger === 'api' ? undefined : await coveringSweep(deps, request.bucket, request.key);
  if (sweep) return { ...prepared, next: 'busy', owner: { status: 'RUNNING', executionArn: sweep.executionArn } };
  const owner = await claimRecord(deps, run, record, expiresAtField(started.getTime() / 1000, event.settings.retentionSeconds));
  if (owner) return { ...prepared, next: owner.status === 'RUNNING' ? 'busy' : 'recorded', owner };
  try {
    const measured = await measureUpload(deps.s3, s3);
    prepared.measure = { parts: measured.parts, bytes: measured.bytes };
    if (measured.lastPartAt) prepared.lastPartAt = measured.lastPartAt;
    if (measured.storageClass) prepared.storageClass = measured.storageClass;
    if (!measured.exists) {
      prepared.outcome = run.trigger === 'deadline' ? await deadlineOutcome(deps.s3, s3, run.initiated) : { status: 'NOT_FOUND', cause: GONE_BEFORE_MEASURE };
    } else if (isActive(measured.lastPartAt, idleFor, new Date())) {
      prepared.outcome = { status: 'SKIPPED_ACTIVE', cause: activeCause(measured.lastPartAt!, idleFor) };
    } else if (run.dryRun) {
      prepared.outcome = { status: 'WOULD_ABORT' };
    }
  } catch (error) {
    // an error retrying can help with (5xx, throttling, no answer): the function fails, Step Functions' Retry runs it again
    if (classifySdkError(error).transient) throw error;
    // AbortMultipartUpload needs no KMS permission: unguarded, the run aborts what it cannot read (docs/activity-guard.md)
    const guarded = idleFor > 0 || run.dryRun;
    if (isUnreadable(error)) {
      const cause = unreadableCause((error as Error).name, guarded ? 'the activity guard cannot see its parts; nothing was aborted' : 'aborted unverified');
      if (guarded) prepared.outcome = { status: 'SKIPPED_UNREADABLE', error: (error as Error).name, cause };
      else prepared.unreadable = cause;
      if (prepared.outcome) prepared.next = 'record';
      return prepared;
    }
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
export const IF_INITIATED_204 =
  'The measure found the upload; S3 answers 204 to an IfMatchInitiatedTime abort even when the upload is gone, so this run cannot tell its abort from one by someone else in the seconds between.';

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
  if (state.failure && state.unreadable && !state.abortAnswer?.Error && classifyTaskError(state.failure).code === 'AccessDenied')
    return { status: 'ABORTED', attempts: sent, verified: false, cause: state.unreadable };
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
  if (state.checkAnswer?.Error === NO_SUCH_UPLOAD) {
    // S3 answers 204 to an IfMatchInitiatedTime abort of an upload that no longer exists: the measure found it, not whose abort freed it
    return state.variant === 'ifInitiated' ? { status: 'ABORTED', attempts: sent, cause: IF_INITIATED_204 } : { status: 'ABORTED', attempts: sent };
  }
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
export const SUCCEEDED: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND', 'WOULD_ABORT', 'COMPLETED_BEFORE_DEADLINE', 'SKIPPED_ACTIVE'];

export async function recordOutcome(deps: Pick<RunDeps, 'doc' | 'tableName'>, state: LoopState, finishedAt = new Date()): Promise<RecordedOutcome> {
  const outcome = decideOutcome(state);
  try {
    const record = {
      bucket: state.run.bucket,
      startedAt: state.run.startedAt,
      status: outcome.status,
      partsFound: state.measure.parts,
      bytesFound: state.measure.bytes,
    };
    const region = writerRegion().region;
    await updateOwnedRecordCounted(
      deps.doc,
      deps.tableName,
      state.run.id,
      state.run.executionArn,
      {
        status: outcome.status,
        statusKey: statusKey(state.run.id, outcome.status),
        attempts: outcome.attempts,
        partsFound: state.measure.parts,
        bytesFound: state.measure.bytes,
        finishedAt: finishedAt.toISOString(),
        error: outcome.error || undefined,
        cause: outcome.cause || undefined,
        lastPartAt: state.lastPartAt,
        verified: outcome.verified,
        storageClass: state.storageClass,
        region,
      },
      { ...record, storageClass: state.storageClass, region },
    );
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
