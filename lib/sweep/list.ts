/**
 * "List a page" (Lambda sweep-list, first state of every page of the sweep-page execution): lists the target's next
 * uploads with ListMultipartUploads, keeps those initiated before the cutoff, leaves alone those whose record another
 * run holds RUNNING (counted busy, not waited for), measures the others with ListParts when the sweep measures, and
 * cuts the page where its byte budget ends. It writes only the page's intent (lib/sweep/intent.ts): the cursor and the
 * totals move when the page is recorded.
 */
import { ListMultipartUploadsCommand, type ListMultipartUploadsCommandInput, type MultipartUpload, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { INDEX_BY_STATUS, shardKeys } from '../records.ts';
import { measureUpload } from '../measure.ts';
import { isActive, isUnreadable } from '../activity-guard.ts';
import { classifySdkError } from '../task-errors.ts';
import { recordId } from '../record-id.ts';
import { afterMarkers, uploadOrder, utf8Order } from '../upload-order.ts';
import { isDirectoryBucket } from '../validation.ts';
import { pageStateBytes, uploadBytes, type DecidedItem, type Page, type PageAnswers, type PageItem } from './page.ts';
import { batchGetAll, inPool, type SweepDeps } from './requests.ts';
import { EXPRESS_MARGIN_SECONDS, EXPRESS_MAX_SECONDS, pageRoomForTime } from './pace.ts';
import { laneShare, pageRoomForRate, type LaneRate } from './rate.ts';
import { nextPlanPage, planChange } from './apply.ts';
import type { PlannedUpload } from './plan-pages.ts';
import { leasePage, type LeaseDeps } from './page-lease.ts';
import { writeIntent } from './intent.ts';
import { countRun, emptyTotals, secondsSince, type Lane, type SweepTargetPlan, type TargetState } from './state.ts';

export type { SweepDeps };

export interface ListEvent {
  /** the target's state; a sweep-target's first page gets only { sweep, target, lane } from sweep-uploads */
  state: TargetState | FirstState;
  /** the sweep-target execution running the page execution */
  parent: string;
  /** the page execution, and when it started (an Express execution may run 5 minutes) */
  run: string;
  runStartedAt: string;
  /** when the List state was entered: with run, the page lease's holder (a retry keeps it, a duplicate execution not) */
  enteredAt?: string;
}

export interface ListResult {
  state: TargetState;
  parent: string;
  page: Page;
  answers: PageAnswers;
  /** abort: the page has uploads to abort; record: nothing to abort, something to record; end: this run stops */
  next: 'abort' | 'record' | 'end';
}

/** ListMultipartUploads calls one page may make while it skips uploads that are not old enough */
const MAX_LIST_CALLS = 10;
/** ListParts of the measure in flight at once */
const MEASURE_CONCURRENCY = 16;

/** what sweep-uploads starts a lane (or a whole target) from; lanesOfSweep: all the sweep's lanes (the rate's share) */
export type FirstState = Pick<TargetState, 'sweep' | 'target'> & { lane?: Lane; lanesOfSweep?: number };

/** A lane's first state: the cursor after the lane's start key (or at the start), nothing counted. */
export function startState(state: ListEvent['state']): TargetState {
  if ('totals' in state) return state;
  return {
    sweep: state.sweep,
    target: state.target,
    cursor: { keyMarker: state.lane?.after ?? '', uploadIdMarker: '' },
    done: false,
    truncated: false,
    totals: emptyTotals(),
    seq: 0,
    slice: { execution: '', run: '', events: 0, full: false },
    handovers: [],
    recoveries: 0,
    ...(state.lane ? { lane: state.lane } : {}),
    ...withRate(laneShare(state.sweep.settings, state.lanesOfSweep)),
  };
}

const withRate = (rate: LaneRate | undefined) => (rate ? { rate } : {});

/** the uploads a state may list in all: its lane's limit, else the target's maxUploads */
export const listLimit = (state: Pick<TargetState, 'target' | 'lane'>) => state.lane?.limit ?? state.target.maxUploads;

/**
 * One ListMultipartUploads page, in the order of the markers' semantics (key, then upload id, after the markers), so
 * that a page cut by the byte budget goes on exactly after its last upload. S3 answers in that order already;
 * moto_server (the local S3) ignores MaxUploads and the markers and answers its whole listing unsorted (the local
 * endpoint pages it as S3 does, a client straight on moto_server gets it whole): such an answer is sorted, filtered and
 * cut here as S3 would.
 */
export async function listUploads(
  s3: S3Client,
  target: Pick<SweepTargetPlan, 'bucket' | 'prefix'> & { expectedBucketOwner?: string },
  from: { maxUploads: number; keyMarker?: string; uploadIdMarker?: string },
) {
  const input = {
    Bucket: target.bucket,
    Prefix: target.prefix || undefined,
    ExpectedBucketOwner: target.expectedBucketOwner,
    MaxUploads: from.maxUploads,
    ...(from.keyMarker ? { KeyMarker: from.keyMarker, UploadIdMarker: from.uploadIdMarker || undefined } : {}),
  } satisfies ListMultipartUploadsCommandInput;
  const answer = await s3.send(new ListMultipartUploadsCommand(input));
  // a directory bucket's key-marker is obfuscated, its listing unsorted: S3's page and markers are taken as they are
  if (isDirectoryBucket(target.bucket)) return answer;
  const uploads = (answer.Uploads ?? []).filter(afterMarkers({ keyMarker: input.KeyMarker, uploadIdMarker: input.UploadIdMarker })).sort(uploadOrder);
  if (uploads.length <= input.MaxUploads) return { ...answer, Uploads: uploads };
  const page = uploads.slice(0, input.MaxUploads);
  return { ...answer, Uploads: page, IsTruncated: true, NextKeyMarker: page.at(-1)!.Key, NextUploadIdMarker: page.at(-1)!.UploadId };
}

/**
 * The uploads of the page whose record another execution holds RUNNING. Usually few records are RUNNING at all: they
 * are read from the byStatusShard index (a Query per shard, ~0.5 read units each, instead of a read per upload); only
 * when a shard holds more RUNNING records than the page has uploads does it read the page's own records (BatchGetItem).
 * Both reads are eventually consistent: a run that claims an upload meanwhile is caught by the record's write condition.
 */
async function busyIds(deps: SweepDeps, ids: string[], bucket: string, mine: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  // one Query per shard of RUNNING, side by side; a shard with more RUNNING records than the page has uploads sends the page to its own records
  const shards = await Promise.all(shardKeys('RUNNING').map((key) => runningIn(deps, key, bucket, mine, ids.length)));
  if (shards.some((shard) => shard === undefined)) return busyRecords(deps, ids, mine);
  const running = new Set(shards.flatMap((shard) => [...shard!]));
  return new Set(ids.filter((id) => running.has(id)));
}

/** the ids RUNNING in one shard of the byStatusShard index, or undefined past `most` records evaluated */
async function runningIn(deps: SweepDeps, key: string, bucket: string, mine: string, most: number): Promise<Set<string> | undefined> {
  const running = new Set<string>();
  let evaluated = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const answer: QueryCommandOutput = await deps.doc.send(
      new QueryCommand({
        TableName: deps.tableName,
        IndexName: INDEX_BY_STATUS,
        KeyConditionExpression: '#statusKey = :running',
        FilterExpression: '#bucket = :bucket AND #executionArn <> :mine',
        ProjectionExpression: '#id',
        ExpressionAttributeNames: { '#statusKey': 'statusKey', '#bucket': 'bucket', '#executionArn': 'executionArn', '#id': 'id' },
        ExpressionAttributeValues: { ':running': key, ':bucket': bucket, ':mine': mine },
        Limit: most + 1,
        ExclusiveStartKey,
      }),
    );
    for (const item of answer.Items ?? []) running.add(String(item.id));
    evaluated += answer.ScannedCount ?? 0;
    ExclusiveStartKey = answer.LastEvaluatedKey;
  } while (ExclusiveStartKey && evaluated <= most);
  return ExclusiveStartKey ? undefined : running;
}

async function busyRecords(deps: SweepDeps, ids: string[], mine: string): Promise<Set<string>> {
  const records = await batchGetAll(deps, ids, { attributes: ['id', 'status', 'executionArn'] });
  return new Set(records.filter((r) => r.status === 'RUNNING' && r.executionArn !== mine).map((r) => String(r.id)));
}

/**
 * The measure turns an upload into a decided one when it is gone (NOT_FOUND), unreadable (FAILED: S3 refused ListParts)
 * or in a dry run. A transient error (5xx, throttling, no answer) left after the SDK's attempts fails the step, as in
 * abort-upload's prepare-run: Step Functions lists the page again; the upload is never recorded FAILED for it.
 * The activity guard (activeWithinSeconds > 0) lists the parts too, measure or not: an upload with a part newer than
 * its window is SKIPPED_ACTIVE, one whose ListParts S3 refuses (403) SKIPPED_UNREADABLE. Unguarded, such an upload is
 * aborted unmeasured: AbortMultipartUpload needs no KMS permission, and NoSuchUpload on the second abort proves it gone.
 */
async function measured(
  deps: SweepDeps,
  state: TargetState,
  selected: PageItem[],
  now: Date,
  planned?: Map<string, PlannedUpload>,
): Promise<{ uploads: PageItem[]; decided: DecidedItem[] }> {
  const guard = state.sweep.activeWithinSeconds ?? 0;
  if (!state.sweep.measure && guard === 0) return { uploads: selected, decided: [] };
  const { bucket, expectedBucketOwner } = state.target;
  const results = await inPool(selected, MEASURE_CONCURRENCY, async (item): Promise<PageItem | DecidedItem> => {
    try {
      const m = await measureUpload(deps.s3, { Bucket: bucket, Key: item.k, UploadId: item.u, ExpectedBucketOwner: expectedBucketOwner });
      if (!m.exists) return { ...item, ...(state.sweep.measure ? { p: 0, b: 0 } : {}), s: 'NOT_FOUND' };
      const found = state.sweep.measure ? { ...item, p: m.parts, b: m.bytes } : item;
      // applying a plan: an upload that received a part since is not the one planned
      const why = planned && planChange(planned.get(item.u)!, m);
      if (why) return { ...found, s: 'SKIPPED_CHANGED', why };
      if (isActive(m.lastPartAt, guard, now)) return { ...found, s: 'SKIPPED_ACTIVE', l: m.lastPartAt };
      return state.sweep.dryRun ? { ...found, ...(m.lastPartAt ? { t: m.lastPartAt } : {}), s: 'WOULD_ABORT' } : found;
    } catch (error) {
      if (classifySdkError(error).transient) throw error;
      // unguarded, a real sweep aborts it unmeasured (a dry run says it would)
      if (isUnreadable(error) && guard === 0) return state.sweep.dryRun ? { ...item, s: 'WOULD_ABORT' } : item;
      // S3's own code and status go into the record
      const e = error as Error & { $metadata?: { httpStatusCode?: number } };
      const status = isUnreadable(error) ? 'SKIPPED_UNREADABLE' : 'FAILED';
      return { ...item, s: status, e: e.name, ...(e.$metadata?.httpStatusCode ? { h: e.$metadata.httpStatusCode } : {}) };
    }
  });
  return { uploads: results.filter((r): r is PageItem => !('s' in r)), decided: results.filter((r): r is DecidedItem => 's' in r) };
}

/** the measure's ListParts: one per upload (one per 1,000 parts, counted once) when the sweep measures or guards */
const measuredReads = (state: TargetState, free: PageItem[]) => (state.sweep.measure || (state.sweep.activeWithinSeconds ?? 0) > 0 ? free.length : 0);

/** the uploads of the page whose record no other run holds RUNNING */
async function notBusy(deps: SweepDeps, state: TargetState, selected: PageItem[]): Promise<PageItem[]> {
  const { bucket } = state.target;
  const busy = await busyIds(
    deps,
    selected.map((item) => recordId(bucket, item.k, item.u)),
    bucket,
    state.sweep.executionArn,
  );
  return selected.filter((item) => !busy.has(recordId(bucket, item.k, item.u)));
}

/** a listed upload's storage class unless STANDARD (most uploads: their page items stay as small as before) */
const classOf = (upload: MultipartUpload) => (upload.StorageClass && upload.StorageClass !== 'STANDARD' ? { c: upload.StorageClass } : {});

/** what a dry run's plan keeps of a listed upload besides its key and id */
const planFields = (upload: MultipartUpload) => ({
  ...(upload.Initiated ? { i: upload.Initiated.toISOString() } : {}),
  ...(upload.StorageClass ? { c: upload.StorageClass } : {}),
});

/** how many uploads of an answer, from its first, fit the budget (young ones take no room): all of them, or fewer */
function wholeAnswerFits(
  uploads: Array<Pick<MultipartUpload, 'Key' | 'UploadId' | 'Initiated' | 'StorageClass'>>,
  cutoff: number,
  room: { measure: boolean; dryRun: boolean; budget: number },
): number {
  let left = room.budget;
  for (const [i, upload] of uploads.entries()) {
    if (upload.Initiated === undefined || upload.Initiated.getTime() >= cutoff) continue;
    left -= uploadBytes(upload.Key!, upload.UploadId!, room.measure, room.dryRun, classOf(upload));
    if (left < 0) return i;
  }
  return uploads.length;
}

/** a page at the lane's rate fits the time its page execution has left (the rate may have been halved since the last page) */
function roomForRate(state: TargetState, elapsed: number, firstOfRun: boolean): number | undefined {
  const left = EXPRESS_MAX_SECONDS - EXPRESS_MARGIN_SECONDS - (firstOfRun ? 0 : elapsed);
  const measures = state.sweep.measure || (state.sweep.activeWithinSeconds ?? 0) > 0;
  return pageRoomForRate(state.rate, left, measures ? 2 : 1);
}

const minRoom = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : a === 0 ? 0 : Math.min(a, b));

export async function listPage(deps: LeaseDeps, event: ListEvent): Promise<ListResult> {
  const now = deps.now?.() ?? new Date();
  const elapsed = secondsSince(event.runStartedAt, now.getTime());
  // what this run does from a state: its slice with this run counted, and the uploads time leaves it (0: it ends);
  // a page execution always does its first page (sweep-target starts one only when the slice has room): progress is certain
  const plan = (from: TargetState) => {
    const newRun = from.slice.execution !== event.parent || from.slice.run !== event.run;
    const counted = { ...from, slice: countRun(from, event.parent, event.run) };
    const ends = from.done || from.handovers.length > 0 || (!newRun && (counted.slice.full || elapsed >= from.sweep.settings.runSeconds));
    return { counted, forTime: ends ? 0 : minRoom(pageRoomForTime(counted, elapsed, newRun), roomForRate(counted, elapsed, newRun)) };
  };
  // a page that ends without listing takes no lease (only a recorded page's checkpoint releases one)
  const leased = await leasePage(deps, startState(event.state), `${event.run}@${event.enteredAt ?? event.runStartedAt}`, (s) => plan(s).forTime !== 0);
  const { counted: state, forTime } = plan(leased);
  const { sweep, target } = state;
  const page: Page & { reads: number } = {
    listedAt: now.toISOString(),
    waitSeconds: sweep.settings.waitSeconds,
    uploads: [],
    decided: [],
    listed: 0,
    busy: 0,
    cursor: state.cursor,
    last: false,
    truncated: false,
    reads: 0,
  };
  const result = (next: ListResult['next']): ListResult => ({ state, parent: event.parent, page, answers: {}, next });
  if (forTime === 0) return result('end');
  // a cancelled or stopped sweep starts no new page (Express page executions cannot be stopped): the lane ends here
  const { Item: record } = await deps.doc.send(
    new GetCommand({ TableName: deps.tableName, Key: { id: sweep.id }, ProjectionExpression: '#status', ExpressionAttributeNames: { '#status': 'status' } }),
  );
  if (record && record.status !== 'RUNNING') return { ...result('end'), state: { ...state, done: true } };

  if (sweep.planId) {
    // applying a plan: the lane's next plan page is the page, never a listing (lib/sweep/apply.ts)
    const next = await nextPlanPage(deps, state);
    Object.assign(page, { listed: next.uploads.length, last: next.last, planPage: next.planPage, ...(next.error ? { error: next.error } : {}) });
    const items = next.uploads.map(({ k, u }) => ({ k, u }));
    const free = await notBusy(deps, state, items);
    page.busy = items.length - free.length;
    ({ uploads: page.uploads, decided: page.decided } = await measured(deps, state, free, now, new Map(next.uploads.map((p) => [p.u, p]))));
    page.reads += measuredReads(state, free);
    await writeIntent(deps, state, page.listedAt, page.uploads);
    return result(page.uploads.length > 0 ? 'abort' : 'record');
  }
  const pageCap = Math.min(sweep.settings.pageUploads, forTime ?? Number.POSITIVE_INFINITY);
  const cutoff = Date.parse(target.cutoff);
  const measure = sweep.measure;
  let budget = sweep.settings.pageBytes - pageStateBytes(state, page);
  const selected: PageItem[] = [];
  let cursor = state.cursor;
  const limit = listLimit(state);
  // a lane's listing ends at the first key past its end key (it lists keys in UTF-8 byte order: general purpose buckets only)
  const end = state.lane?.end;
  // a directory bucket's page is never cut inside S3's answer (its key-marker is no key): an answer that does not fit
  // the budget is asked again, smaller, from the same markers
  const directory = isDirectoryBucket(target.bucket);
  let fitting: number | undefined;
  for (let calls = 0; calls < MAX_LIST_CALLS && !page.last && !page.truncated; calls += 1) {
    const room = Math.min(pageCap - selected.length, limit - state.totals.listed - page.listed, fitting ?? Number.POSITIVE_INFINITY);
    if (room <= 0) {
      page.truncated = limit - state.totals.listed - page.listed <= 0;
      break;
    }
    let answer: Awaited<ReturnType<typeof listUploads>>;
    try {
      page.reads += 1;
      answer = await listUploads(deps.s3, target, { maxUploads: room, ...cursor });
    } catch (error) {
      if (page.listed > 0) break; // record what was listed; the error comes back on the next page
      page.error = { error: (error as Error).name, cause: (error as Error).message };
      page.last = true;
      break;
    }
    const uploads = answer.Uploads ?? [];
    if (directory) {
      const fit = wholeAnswerFits(uploads, cutoff, { measure, dryRun: sweep.dryRun, budget });
      if (fit < uploads.length && uploads.length > 1) {
        if (selected.length > 0) break; // the next page lists it again
        fitting = Math.max(1, fit);
        continue;
      }
      fitting = undefined;
    }
    let cut = false;
    let pastEnd = false;
    for (const upload of uploads) {
      if (end !== undefined && utf8Order(upload.Key!, end) > 0) {
        pastEnd = true;
        break;
      }
      if (!directory && selected.length >= pageCap) {
        cut = true;
        break;
      }
      const oldEnough = upload.Initiated !== undefined && upload.Initiated.getTime() < cutoff;
      if (oldEnough) {
        const bytes = uploadBytes(upload.Key!, upload.UploadId!, measure, sweep.dryRun, classOf(upload));
        if (!directory && bytes > budget && selected.length > 0) {
          // one upload always fits: 8.5 KB at most, escaped
          cut = true;
          break;
        }
        budget -= bytes;
        // the storage class goes into the record (the report prices the bytes freed by it)
        selected.push({ k: upload.Key!, u: upload.UploadId!, ...(sweep.dryRun ? planFields(upload) : classOf(upload)) });
      }
      page.listed += 1;
      cursor = { keyMarker: upload.Key!, uploadIdMarker: upload.UploadId! };
    }
    if (cut) break;
    if (pastEnd)
      page.last = true; // the next lane lists the rest
    else if (directory && answer.IsTruncated)
      // S3's obfuscated key-marker is a directory bucket's only cursor (no upload-id-marker there)
      cursor = { keyMarker: answer.NextKeyMarker ?? '', uploadIdMarker: '' };
    else if (answer.IsTruncated) cursor = { keyMarker: answer.NextKeyMarker ?? cursor.keyMarker, uploadIdMarker: answer.NextUploadIdMarker ?? '' };
    else page.last = true;
  }
  page.cursor = cursor;
  if (limit - state.totals.listed - page.listed <= 0 && !page.last) page.truncated = true;

  const free = await notBusy(deps, state, selected);
  page.busy = selected.length - free.length;
  // a dry run always measures (the plan sees to it): every upload comes back decided, WOULD_ABORT or NOT_FOUND
  ({ uploads: page.uploads, decided: page.decided } = await measured(deps, state, free, now));
  page.reads += measuredReads(state, free);
  // what the page is about to abort, written before any abort: a page that dies unrecorded is reconciled from it
  await writeIntent(deps, state, page.listedAt, page.uploads);
  return result(page.uploads.length > 0 ? 'abort' : 'record');
}
