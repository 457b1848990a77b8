/**
 * "List a page" (Lambda sweep-list, first state of every page of the sweep-page execution): lists the target's next
 * uploads with ListMultipartUploads, keeps those initiated before the cutoff, leaves alone those whose record another
 * run holds RUNNING (counted busy, not waited for), measures the others with ListParts when the sweep measures, and
 * cuts the page where its byte budget ends. It writes only the page's intent (lib/sweep/intent.ts): the cursor and the
 * totals move when the page is recorded.
 */
import { ListMultipartUploadsCommand, type ListMultipartUploadsCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { INDEX_BY_STATUS } from '../records.ts';
import { measureUpload } from '../abort-run.ts';
import { classifySdkError } from '../task-errors.ts';
import { recordId } from '../record-id.ts';
import { afterMarkers, uploadOrder, utf8Order } from '../upload-order.ts';
import { pageStateBytes, uploadBytes, type DecidedItem, type Page, type PageAnswers, type PageItem } from './page.ts';
import { batchGetAll, inPool, type SweepDeps } from './requests.ts';
import { pageRoomForTime } from './pace.ts';
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

/** what sweep-uploads starts a lane (or a whole target) from */
export type FirstState = Pick<TargetState, 'sweep' | 'target'> & { lane?: Lane };

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
  };
}

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
  target: Pick<SweepTargetPlan, 'bucket' | 'prefix' | 'expectedBucketOwner'>,
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
  const uploads = (answer.Uploads ?? []).filter(afterMarkers({ keyMarker: input.KeyMarker, uploadIdMarker: input.UploadIdMarker })).sort(uploadOrder);
  if (uploads.length <= input.MaxUploads) return { ...answer, Uploads: uploads };
  const page = uploads.slice(0, input.MaxUploads);
  return { ...answer, Uploads: page, IsTruncated: true, NextKeyMarker: page.at(-1)!.Key, NextUploadIdMarker: page.at(-1)!.UploadId };
}

/**
 * The uploads of the page whose record another execution holds RUNNING. Usually few records are RUNNING at all: they
 * are read from the byStatus index (one Query, ~0.5 read units, instead of a read per upload); only when more records are
 * RUNNING than the page has uploads does it read the page's own records (BatchGetItem, 0.5 read units per upload).
 * Both reads are eventually consistent: a run that claims an upload meanwhile is caught by the record's write condition.
 */
async function busyIds(deps: SweepDeps, ids: string[], bucket: string, mine: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const running = new Set<string>();
  let evaluated = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const answer: QueryCommandOutput = await deps.doc.send(
      new QueryCommand({
        TableName: deps.tableName,
        IndexName: INDEX_BY_STATUS,
        KeyConditionExpression: '#status = :running',
        FilterExpression: '#bucket = :bucket AND #executionArn <> :mine',
        ProjectionExpression: '#id',
        ExpressionAttributeNames: { '#status': 'status', '#bucket': 'bucket', '#executionArn': 'executionArn', '#id': 'id' },
        ExpressionAttributeValues: { ':running': 'RUNNING', ':bucket': bucket, ':mine': mine },
        Limit: ids.length + 1,
        ExclusiveStartKey,
      }),
    );
    for (const item of answer.Items ?? []) running.add(String(item.id));
    evaluated += answer.ScannedCount ?? 0;
    ExclusiveStartKey = answer.LastEvaluatedKey;
  } while (ExclusiveStartKey && evaluated <= ids.length);
  if (!ExclusiveStartKey) return new Set(ids.filter((id) => running.has(id)));
  return busyRecords(deps, ids, mine);
}

async function busyRecords(deps: SweepDeps, ids: string[], mine: string): Promise<Set<string>> {
  const records = await batchGetAll(deps, ids, { attributes: ['id', 'status', 'executionArn'] });
  return new Set(records.filter((r) => r.status === 'RUNNING' && r.executionArn !== mine).map((r) => String(r.id)));
}

/**
 * The measure turns an upload into a decided one when it is gone (NOT_FOUND), unreadable (FAILED: S3 refused ListParts)
 * or in a dry run. A transient error (5xx, throttling, no answer) left after the SDK's attempts fails the step, as in
 * abort-upload's prepare-run: Step Functions lists the page again; the upload is never recorded FAILED for it.
 */
async function measured(deps: SweepDeps, state: TargetState, selected: PageItem[]): Promise<{ uploads: PageItem[]; decided: DecidedItem[] }> {
  if (!state.sweep.measure) return { uploads: selected, decided: [] };
  const { bucket, expectedBucketOwner } = state.target;
  const results = await inPool(selected, MEASURE_CONCURRENCY, async (item): Promise<PageItem | DecidedItem> => {
    try {
      const m = await measureUpload(deps.s3, { Bucket: bucket, Key: item.k, UploadId: item.u, ExpectedBucketOwner: expectedBucketOwner });
      if (!m.exists) return { ...item, p: 0, b: 0, s: 'NOT_FOUND' };
      return state.sweep.dryRun ? { ...item, p: m.parts, b: m.bytes, s: 'WOULD_ABORT' } : { ...item, p: m.parts, b: m.bytes };
    } catch (error) {
      if (classifySdkError(error).transient) throw error;
      // S3's own code and status go into the record
      const e = error as Error & { $metadata?: { httpStatusCode?: number } };
      return { ...item, s: 'FAILED', e: e.name, ...(e.$metadata?.httpStatusCode ? { h: e.$metadata.httpStatusCode } : {}) };
    }
  });
  return { uploads: results.filter((r): r is PageItem => !('s' in r)), decided: results.filter((r): r is DecidedItem => 's' in r) };
}

export async function listPage(deps: SweepDeps, event: ListEvent): Promise<ListResult> {
  let state = startState(event.state);
  const now = deps.now?.() ?? new Date();
  const newRun = state.slice.execution !== event.parent || state.slice.run !== event.run;
  state = { ...state, slice: countRun(state, event.parent, event.run) };
  const { sweep, target } = state;
  const page: Page = {
    listedAt: now.toISOString(),
    waitSeconds: sweep.settings.waitSeconds,
    uploads: [],
    decided: [],
    listed: 0,
    busy: 0,
    cursor: state.cursor,
    last: false,
    truncated: false,
  };
  const result = (next: ListResult['next']): ListResult => ({ state, parent: event.parent, page, answers: {}, next });
  // a page execution always does its first page (sweep-target starts one only when the slice has room): progress is certain
  if (state.done || (!newRun && (state.slice.full || secondsSince(event.runStartedAt, now.getTime()) >= sweep.settings.runSeconds))) return result('end');
  // a cancelled or stopped sweep starts no new page (Express page executions cannot be stopped): the lane ends here
  const { Item: record } = await deps.doc.send(
    new GetCommand({ TableName: deps.tableName, Key: { id: sweep.id }, ProjectionExpression: '#status', ExpressionAttributeNames: { '#status': 'status' } }),
  );
  if (record && record.status !== 'RUNNING') {
    state = { ...state, done: true };
    return result('end');
  }

  const forTime = pageRoomForTime(state, secondsSince(event.runStartedAt, now.getTime()), newRun);
  if (forTime === 0) return result('end');
  const pageCap = Math.min(sweep.settings.pageUploads, forTime ?? Number.POSITIVE_INFINITY);
  const cutoff = Date.parse(target.cutoff);
  const measure = sweep.measure;
  let budget = sweep.settings.pageBytes - pageStateBytes(state, page);
  const selected: PageItem[] = [];
  let cursor = state.cursor;
  const limit = listLimit(state);
  // a lane's listing ends at the first key past its end key (it lists keys in UTF-8 byte order: general purpose buckets only)
  const end = state.lane?.end;
  for (let calls = 0; calls < MAX_LIST_CALLS && !page.last && !page.truncated; calls += 1) {
    const room = Math.min(pageCap - selected.length, limit - state.totals.listed - page.listed);
    if (room <= 0) {
      page.truncated = limit - state.totals.listed - page.listed <= 0;
      break;
    }
    let answer: Awaited<ReturnType<typeof listUploads>>;
    try {
      answer = await listUploads(deps.s3, target, { maxUploads: room, ...cursor });
    } catch (error) {
      if (page.listed > 0) break; // record what was listed; the error comes back on the next page
      page.error = { error: (error as Error).name, cause: (error as Error).message };
      page.last = true;
      break;
    }
    const uploads = answer.Uploads ?? [];
    let cut = false;
    let pastEnd = false;
    for (const upload of uploads) {
      if (end !== undefined && utf8Order(upload.Key!, end) > 0) {
        pastEnd = true;
        break;
      }
      if (selected.length >= pageCap) {
        cut = true;
        break;
      }
      const oldEnough = upload.Initiated !== undefined && upload.Initiated.getTime() < cutoff;
      if (oldEnough) {
        const bytes = uploadBytes(upload.Key!, upload.UploadId!, measure);
        if (bytes > budget && selected.length > 0) {
          // one upload always fits: 8.5 KB at most, escaped
          cut = true;
          break;
        }
        budget -= bytes;
        selected.push({ k: upload.Key!, u: upload.UploadId! });
      }
      page.listed += 1;
      cursor = { keyMarker: upload.Key!, uploadIdMarker: upload.UploadId! };
    }
    if (cut) break;
    if (pastEnd)
      page.last = true; // the next lane lists the rest
    else if (answer.IsTruncated) cursor = { keyMarker: answer.NextKeyMarker ?? cursor.keyMarker, uploadIdMarker: answer.NextUploadIdMarker ?? '' };
    else page.last = true;
  }
  page.cursor = cursor;
  if (limit - state.totals.listed - page.listed <= 0 && !page.last) page.truncated = true;

  const busy = await busyIds(
    deps,
    selected.map((item) => recordId(target.bucket, item.k, item.u)),
    target.bucket,
    sweep.executionArn,
  );
  const free = selected.filter((item) => !busy.has(recordId(target.bucket, item.k, item.u)));
  page.busy = selected.length - free.length;
  // a dry run always measures (the plan sees to it): every upload comes back decided, WOULD_ABORT or NOT_FOUND
  ({ uploads: page.uploads, decided: page.decided } = await measured(deps, state, free));
  // what the page is about to abort, written before any abort: a page that dies unrecorded is reconciled from it
  await writeIntent(deps, state, page.listedAt, page.uploads);
  return result(page.uploads.length > 0 ? 'abort' : 'record');
}
