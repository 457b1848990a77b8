/**
 * The sweep's writers (Lambda sweep-record): one record per upload, and after every step the target's checkpoint.
 *
 * - page: decides each upload's outcome from the page execution's answers, writes its record (a conditional PutItem:
 *   never over a record another run holds RUNNING, nor over one written since the page was listed), picks the
 *   stubborn uploads for abort-upload, adds the page to the totals and writes the checkpoint.
 * - handovers: counts what abort-upload recorded for the uploads handed to it (its records are the truth).
 * - resume: a page execution failed (an Express execution is capped at 5 minutes): go on from the checkpoint.
 *
 * Each returns the next state computed from its input and what the table holds, so a retried call counts nothing twice.
 */
import { GetCommand, PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { recordInterruptedRun } from '../interrupted-runs.ts';
import { recordId } from '../record-id.ts';
import { expiresAtField, historyAfter, UPLOAD_RECORD_TYPE, uploadIndexKeys, writerRegion, type AbortRecord } from '../records.ts';
import { runInput } from '../validation.ts';
import { startState, type FirstState } from './list.ts';
import { inPool, type SweepDeps } from './requests.ts';
import { writePlanPage } from './plan-pages.ts';
import { ENDED_FROM_OUTSIDE, recordTotals, tallySweep } from './tally.ts';
import { reconcileIntent } from './intent.ts';
import { commitLedgerStep } from './ledger-step.ts';
import type { Countable } from '../ledger.ts';
import { jsonBytes, type DecidedItem, type Page, type PageAnswers, type PageItem } from './page.ts';
import { countSlowDowns, nextRate, pageRequests, paceSeconds, type Requests } from './rate.ts';
import { decidedOutcome, settledOutcome, unsettledOutcome, type Outcome } from './outcomes.ts';
import { addTotals, checkpointId, HISTORY_EVENTS, secondsSince, sliceFull, type HandOver, type TargetState, type Totals } from './state.ts';

/** the records' PutItems in flight at once */
const WRITE_CONCURRENCY = 25;
/** the hand-overs' share of a state (the sweep-target's and the page execution's): far below 256 KiB */
export const HANDOVER_BYTES = 64 * 1024;
/** failed page executions in a row before the target is given up */
export const MAX_RECOVERIES = 3;

/** listed: the item is as the page listed it (no c: STANDARD); an item rebuilt from an intent has no class */
export function uploadRecord(state: TargetState, listedAt: string, item: PageItem, outcome: Outcome, finishedAt: string, listed = false): AbortRecord {
  const { sweep, target } = state;
  const id = recordId(target.bucket, item.k, item.u);
  return {
    id,
    recordType: UPLOAD_RECORD_TYPE,
    ...uploadIndexKeys(id, outcome.status),
    bucket: target.bucket,
    key: item.k,
    uploadId: item.u,
    status: outcome.status,
    attempts: outcome.attempts,
    ...(item.p !== undefined ? { partsFound: item.p, bytesFound: item.b ?? 0 } : {}),
    ...((item as DecidedItem).l ? { lastPartAt: (item as DecidedItem).l } : {}),
    trigger: 'sweep',
    executionArn: sweep.executionArn,
    startedAt: listedAt,
    finishedAt,
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.cause ? { cause: outcome.cause } : {}),
    ...expiresAtField(Date.parse(listedAt) / 1000, sweep.settings.retentionSeconds),
    sweepId: sweep.id,
    ...(sweep.dryRun ? { dryRun: true } : {}),
    ...(item.c || listed ? { storageClass: item.c ?? 'STANDARD' } : {}),
    ...writerRegion(),
  };
}

const counted = recordTotals;

/** the earlier outcomes a sweep replaces when it lists the upload again later: a dry run's finding, or an error */
const REPLACEABLE = ['WOULD_ABORT', 'FAILED', 'PARTS_REMAIN', 'SKIPPED_CHANGED', 'SKIPPED_ACTIVE', 'SKIPPED_UNREADABLE'];

/**
 * Writes the record unless the table says another run owns the upload: a record RUNNING under another execution, or
 * one written after the page was listed (an API run that aborted it meanwhile keeps its ABORTED). This sweep's own
 * record is rewritten (a retried call), except that a NOT_FOUND never replaces its ABORTED. An earlier outcome it
 * replaces (a dry run's WOULD_ABORT, FAILED, PARTS_REMAIN) moves into the record's history. Returns what to count.
 */
export async function writeRecord(deps: SweepDeps, record: AbortRecord): Promise<Partial<Totals>> {
  // most uploads have no record: one conditional PutItem; an existing one is read and replaced on condition it is unchanged
  let condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> = {
    ConditionExpression: 'attribute_not_exists(#id)',
    ExpressionAttributeNames: { '#id': 'id' },
  };
  let item: AbortRecord = record;
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      await deps.doc.send(new PutCommand({ TableName: deps.tableName, Item: item, ...condition }));
      return counted(record);
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
    const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: record.id }, ConsistentRead: true }));
    const existing = Item as AbortRecord | undefined;
    if (existing?.status === undefined) continue;
    const mine = existing.executionArn === record.executionArn;
    const replaces = mine
      ? !(record.status === 'NOT_FOUND' && existing.status === 'ABORTED')
      : REPLACEABLE.includes(existing.status) && existing.startedAt < record.startedAt;
    if (!replaces) return mine ? counted(existing) : { busy: 1 };
    const history = mine ? (existing.history ?? []) : historyAfter(existing as unknown as Record<string, unknown>);
    item = { ...record, ...(history.length > 0 ? { history } : {}) };
    condition = {
      ConditionExpression: '#executionArn = :readArn AND #status = :readStatus AND #startedAt = :readStartedAt',
      ExpressionAttributeNames: { '#executionArn': 'executionArn', '#status': 'status', '#startedAt': 'startedAt' },
      ExpressionAttributeValues: { ':readArn': existing.executionArn, ':readStatus': existing.status, ':readStartedAt': existing.startedAt },
    };
  }
  // the record kept changing under this sweep: another run is writing it
  return { busy: 1 };
}

/** the checkpoint: the state after a step, newer steps only (a stale duplicate changes nothing) */
export async function writeCheckpoint(deps: SweepDeps, state: TargetState, now: Date, counted: Countable[] = []): Promise<void> {
  const put: PutCommandInput = {
    TableName: deps.tableName,
    Item: {
      id: checkpointId(state.sweep.id, state.target.index, state.lane?.lane),
      sweepId: state.sweep.id,
      targetIndex: state.target.index,
      ...(state.lane ? { lane: state.lane.lane } : {}),
      seq: state.seq,
      ...(state.planPages !== undefined ? { planPages: state.planPages } : {}),
      state,
      updatedAt: now.toISOString(),
      ...expiresAtField(now.getTime() / 1000, state.sweep.settings.retentionSeconds),
    },
    // an item without seq holds only the first page's lease (lib/sweep/page-lease.ts)
    ConditionExpression: 'attribute_not_exists(#seq) OR #seq <= :seq',
    ExpressionAttributeNames: { '#seq': 'seq' },
    ExpressionAttributeValues: { ':seq': state.seq },
  };
  // the step's ABORTED uploads go to the ledger with the checkpoint; a step counted already writes the checkpoint alone
  if (['written', 'stale'].includes(await commitLedgerStep(deps, state, state.seq, counted, now, put))) return;
  try {
    await deps.doc.send(new PutCommand(put));
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}

export async function readCheckpoint(deps: SweepDeps, sweepId: string, index: number, lane = 0): Promise<TargetState | undefined> {
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: checkpointId(sweepId, index, lane) }, ConsistentRead: true }));
  return Item?.state as TargetState | undefined;
}

export interface RecordPageEvent {
  action: 'page';
  state: TargetState;
  parent: string;
  page: Page;
  answers: PageAnswers;
  runStartedAt: string;
}
export interface StepResult {
  state: TargetState;
  parent?: string;
  next?: 'list' | 'end';
  /** a recorded page: whole seconds its page execution waits to keep to the lane's rate ("Keep to the bucket's rate") */
  paceSeconds?: number;
}

const perSecond = (requests: Requests, seconds: number): Requests | undefined =>
  seconds > 0 ? { aborts: requests.aborts / seconds, reads: requests.reads / seconds } : undefined;

/** The stubborn uploads are handed over when they are few (and fit the state); many at once mean S3 refuses: recorded as seen. */
function handOvers(state: TargetState, page: Page, stubborn: number[]): HandOver[] {
  const { sweep, target } = state;
  const handovers = stubborn.map((i): HandOver => {
    const item = page.uploads[i];
    return {
      id: recordId(target.bucket, item.k, item.u),
      input: runInput({ bucket: target.bucket, key: item.k, uploadId: item.u, expectedBucketOwner: target.expectedBucketOwner }, 'sweep', {
        recheck: true,
        sweepId: sweep.id,
      }),
    };
  });
  return handovers.length <= sweep.settings.handoversPerPage && jsonBytes(handovers) <= HANDOVER_BYTES ? handovers : [];
}

export async function recordPage(deps: SweepDeps, event: RecordPageEvent): Promise<StepResult> {
  const { state, page, answers } = event;
  const now = deps.now?.() ?? new Date();
  const finishedAt = now.toISOString();
  const settled = page.uploads.map((_, i) => settledOutcome(answers, i));
  const stubborn = settled.flatMap((outcome, i) => (outcome ? [] : [i]));
  const handovers = handOvers(state, page, stubborn);
  const { handoversPerPage } = state.sweep.settings;
  const notHandedOver =
    handovers.length === 0 && stubborn.length > 0
      ? ` (not handed over: ${stubborn.length} uploads of the page were left, more than the ${handoversPerPage} a page hands to abort-upload)`
      : '';
  const writes: Array<[PageItem, Outcome]> = [
    ...page.decided.map((item): [PageItem, Outcome] => [item, decidedOutcome(item, state.sweep.activeWithinSeconds ?? 0)]),
    ...page.uploads.flatMap((item, i): Array<[PageItem, Outcome]> => {
      if (settled[i]) return [[item, settled[i]]];
      if (handovers.length > 0) return [];
      const outcome = unsettledOutcome(answers, i);
      return [[item, { ...outcome, cause: `${outcome.cause}${notHandedOver}` }]];
    }),
  ];
  const records = writes.map(([item, outcome]) => uploadRecord(state, page.listedAt, item, outcome, finishedAt, true));
  const counts = await inPool(records, WRITE_CONCURRENCY, (record) => writeRecord(deps, record));
  let totals = addTotals(state.totals, {
    listed: page.listed,
    found: page.uploads.length + page.decided.length + page.busy,
    busy: page.busy,
    pages: 1,
    handedOver: handovers.length,
  });
  for (const count of counts) totals = addTotals(totals, count);
  // a dry run's plan: the uploads this page counted WOULD_ABORT (not those another run's record held)
  const planned = state.sweep.dryRun ? writes.flatMap(([item], i) => (counts[i].wouldAbort ? [item] : [])) : [];
  const planPages = state.sweep.dryRun ? await writePlanPage(deps, state, page.listedAt, planned) : undefined;
  const done = page.last || page.truncated;
  // the lane's rate for its next page (AIMD), and the wait that keeps this page's requests to it (lib/sweep/rate.ts)
  const seconds = secondsSince(page.listedAt, now.getTime());
  const requests = pageRequests(answers, page.reads ?? 0);
  const lowered = state.rate && nextRate(state.rate, { slowDowns: countSlowDowns(answers), measured: perSecond(requests, seconds) });
  const paced = lowered && !done ? paceSeconds(requests, { ...lowered, owed: state.rate?.owed }, seconds) : undefined;
  const pause = paced?.seconds ?? 0;
  const rate = lowered && { ...lowered, ...(paced?.owed ? { owed: paced.owed } : {}) };
  const next: TargetState = {
    ...state,
    cursor: page.cursor,
    done,
    truncated: page.truncated && !page.last,
    totals,
    seq: state.seq + 1,
    handovers,
    recoveries: 0,
    pace: { uploads: page.uploads.length + page.decided.length, seconds: seconds + pause },
    ...(rate ? { rate } : {}),
    ...(page.error ? { error: page.error } : {}),
    ...(planPages !== undefined ? { planPages } : {}),
    ...(page.planPage !== undefined ? { planPage: page.planPage } : {}),
  };
  // what this page counted ABORTED (its own record, or the one it wrote before a retry), for the ledger
  const aborted = records.flatMap((record, i) => (counts[i].aborted ? [{ ...record, status: 'ABORTED' as const }] : []));
  await writeCheckpoint(deps, next, now, aborted);
  await countIfEnded(
    deps,
    state.sweep.id,
    records.filter((_, i) => !counts[i].busy),
  );
  const timeUp = secondsSince(event.runStartedAt, now.getTime()) + pause >= state.sweep.settings.runSeconds;
  return {
    state: next,
    parent: event.parent,
    next: done || handovers.length > 0 || next.slice.full || timeUp ? 'end' : 'list',
    paceSeconds: pause,
  };
}

/** a page recorded after its sweep was cancelled or stopped: the sweep's counters are rebuilt with its records */
async function countIfEnded(deps: SweepDeps, sweepId: string, written: AbortRecord[]): Promise<void> {
  const { Item } = await deps.doc.send(
    new GetCommand({ TableName: deps.tableName, Key: { id: sweepId }, ProjectionExpression: '#status', ExpressionAttributeNames: { '#status': 'status' } }),
  );
  if (Item && ENDED_FROM_OUTSIDE.includes(Item.status)) await tallySweep(deps, sweepId, written);
}

export interface HandoversEvent {
  action: 'handovers';
  state: TargetState;
  /** the sweep-target execution */
  parent: string;
  /** per hand-over, in order: how its abort-upload execution ended ({ ended: SUCCEEDED } or the Task's error name) */
  results: Array<{ ended?: string; error?: string }>;
}

/** The hand-overs' records, as abort-upload left them, counted; a run that could not record is recorded FAILED here. */
export async function countHandovers(deps: SweepDeps, event: HandoversEvent): Promise<StepResult> {
  const { state } = event;
  const now = deps.now?.() ?? new Date();
  const counts = await inPool(state.handovers, WRITE_CONCURRENCY, async (handover, i): Promise<Partial<Totals>> => {
    const read = async () => {
      const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: handover.id }, ConsistentRead: true }));
      return Item as AbortRecord | undefined;
    };
    const record = await read();
    const error = event.results[i]?.error ?? 'HandOverFailed';
    if (record?.sweepId === state.sweep.id) {
      if (record.status !== 'RUNNING') return counted(record);
      // the abort-upload run ended (the Task waited for it) without recording: what the interrupted-run rule does
      const ended = {
        executionArn: record.executionArn,
        status: 'FAILED',
        error,
        cause: 'abort-upload run of a sweep hand-over',
        input: JSON.stringify(handover.input),
      };
      await recordInterruptedRun({ ...deps, retentionSeconds: state.sweep.settings.retentionSeconds }, ended);
      const after = await read();
      return after ? counted(after) : { failed: 1 };
    }
    if (record?.status === 'RUNNING') return { busy: 1 }; // another run holds the upload: abort-upload answered busy
    // abort-upload never claimed the record (it could not start, or refused its input): the sweep records it, unless
    // the table shows another run's outcome written during the sweep (writeRecord's condition: then counted busy)
    const { request } = handover.input as { request: { key: string; uploadId: string } };
    const outcome: Outcome = { status: 'FAILED', attempts: 0, error, cause: 'The sweep handed the upload to abort-upload, which did not record it' };
    const written = uploadRecord(state, now.toISOString(), { k: request.key, u: request.uploadId }, outcome, now.toISOString());
    return writeRecord(deps, { ...written, startedAt: state.sweep.startedAt });
  });
  let totals = state.totals;
  for (const count of counts) totals = addTotals(totals, count);
  const events = state.slice.events + HISTORY_EVENTS.handoverBatch + HISTORY_EVENTS.handover * state.handovers.length;
  const slice = { ...state.slice, events, full: sliceFull({ ...state.slice, events }, state.sweep.settings) };
  const next: TargetState = { ...state, totals, seq: state.seq + 1, handovers: [], slice };
  await writeCheckpoint(deps, next, now);
  return { state: next };
}

export interface ResumeEvent {
  action: 'resume' | 'give-up';
  /** a lane given up before its first page has only { sweep, target, lane } */
  state: TargetState | FirstState;
  /** the failed Task's error; a .sync:2 child's cause is its DescribeExecution output (Error, Cause) */
  failure: { Error?: string; Cause?: string };
}

/** the child execution's own error, when the failure is a failed .sync:2 child */
function childError(failure: ResumeEvent['failure']): { error: string; cause: string } {
  try {
    const child = JSON.parse(failure.Cause ?? '') as { Error?: string; Cause?: string; Status?: string };
    if (child && typeof child === 'object' && (child.Error || child.Status)) {
      return { error: child.Error ?? `States.${child.Status}`, cause: child.Cause ?? '' };
    }
  } catch {
    /* not a child's description */
  }
  return { error: failure.Error ?? 'States.TaskFailed', cause: failure.Cause ?? '' };
}

/**
 * A page execution failed (resume) or the target's own execution did (give-up): go on from the checkpoint. The failed
 * execution may have aborted uploads it could not record: counted as a lost page. After MAX_RECOVERIES failures in a
 * row, or on give-up, the target ends with the error.
 */
export async function resumeTarget(deps: SweepDeps, event: ResumeEvent): Promise<StepResult> {
  const now = deps.now?.() ?? new Date();
  const state = startState(event.state);
  const saved = await readCheckpoint(deps, state.sweep.id, state.target.index, state.lane?.lane);
  const base = saved && saved.seq >= state.seq ? saved : state;
  // the failed page's aborts, recorded from its intent (written before them) and what ListParts says now
  const reconciled = await reconcileIntent(
    deps,
    base,
    (record) => writeRecord(deps, record),
    (item, listedAt) => uploadRecord(base, listedAt, item, RECONCILED, now.toISOString()),
  );
  const recoveries = base.recoveries + 1;
  const giveUp = event.action === 'give-up' || recoveries > MAX_RECOVERIES;
  const slice = { ...state.slice, events: state.slice.events + HISTORY_EVENTS.pageRun };
  const next: TargetState = {
    ...base,
    slice: { ...slice, full: sliceFull(slice, base.sweep.settings) },
    totals: addTotals(reconciled?.totals ?? base.totals, { lostPages: 1 }),
    seq: base.seq + 1,
    recoveries,
    ...(giveUp ? { done: true, error: childError(event.failure) } : {}),
  };
  await writeCheckpoint(deps, next, now, reconciled?.counted);
  return { state: next };
}

/** an upload of a page that died unrecorded, gone when the resume asked ListParts: the page's abort took it */
const RECONCILED: Outcome = {
  status: 'ABORTED',
  attempts: 1,
  cause: 'The page execution that was aborting it ended before recording it; the resume found it gone (ListParts: NoSuchUpload)',
};

/**
 * A sweep that ended from outside resumes nothing: the intents of its lanes whose last page was not recorded are
 * reconciled here (lib/sweep/cancel.ts). Returns the records written, for the tally (the index may not show them yet).
 */
export async function reconcileLanes(deps: SweepDeps, states: TargetState[], now: Date): Promise<AbortRecord[]> {
  const written: AbortRecord[] = [];
  for (const state of states) {
    const reconciled = await reconcileIntent(
      deps,
      state,
      async (record) => {
        const count = await writeRecord(deps, record);
        if (!count.busy) written.push(record);
        return count;
      },
      (item, listedAt) => uploadRecord(state, listedAt, item, RECONCILED, now.toISOString()),
    );
    // under the seq the lane's unrecorded page would have recorded with: a late page of that seq is counted once
    if (reconciled) await commitLedgerStep(deps, state, state.seq + 1, reconciled.counted, now);
  }
  return written;
}

export type SweepRecordEvent = RecordPageEvent | HandoversEvent | ResumeEvent;

/** Lambda sweep-record: the step its state names in `action`. */
export function sweepRecordStep(deps: SweepDeps, event: SweepRecordEvent): Promise<StepResult> {
  switch (event.action) {
    case 'page':
      return recordPage(deps, event);
    case 'handovers':
      return countHandovers(deps, event);
    case 'resume':
    case 'give-up':
      return resumeTarget(deps, event);
    default:
      throw new InvalidSweepState(`unknown action ${JSON.stringify((event as { action?: unknown }).action)}`);
  }
}

/** An input no sweep state produces (the definitions and this code disagree): not retried. */
export class InvalidSweepState extends Error {
  override name = 'InvalidSweepState';
}
