/**
 * "Split targets into lanes" (Lambda sweep-lanes, once per target before the sweep): walks the target's listing with
 * ListMultipartUploads (1,000 uploads a call, markers only, nothing else read) and cuts it into lanes, each swept by its
 * own sweep-target executions side by side. A target's pages run one after another (a wait each), so lanes are what
 * makes a target fast. A lane holds about `laneSize` listed uploads: SweepLaneUploads for a large target, less for a
 * smaller one so that its lanes fill SweepLanesAtOnce, never less than MIN_LANE_PAGES pages: a 200,000-upload target is
 * 20 lanes of 10,000 (10 pages each, about a minute on AWS), not 4 lanes of 50,000.
 *
 * Lanes are cut only at key boundaries: a lane ends after ALL the uploads of its last key (`end`), the next one starts
 * with KeyMarker = that key and no UploadIdMarker, which lists the keys greater than it. S3 lists a general purpose
 * bucket's uploads sorted by key (UTF-8 byte order), so the lanes are disjoint and together cover the listing. Uploads
 * initiated after the plan are initiated after the cutoff, never old enough: between the walk and the sweep a lane's
 * old-enough uploads can only go (completed or aborted by others), never come, so nothing old is missed; new uploads
 * that crowd into a lane's range are listed (and left alone) by the lane's own cursor, which stops past `end`.
 *
 * Directory buckets (names ending --x-s3) are never split: the ListMultipartUploads API reference ("Sorting of multipart
 * uploads in response", https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html) says a general
 * purpose bucket's uploads are sorted by key, lexicographically, then by initiation time, and a directory bucket's are
 * NOT sorted lexicographically by key (and it ignores UploadIdMarker): a key range means nothing there.
 *
 * A walk that fails is no reason to sweep less: a permanent error (NoSuchBucket, AccessDenied: lib/task-errors.ts
 * classifies it) gives the whole target as one lane, whose sweep meets the error and records it as a target's failed
 * listing always has; a transient one is thrown (Step Functions retries; after the retries sweep-uploads' Catch gives the
 * whole target one lane too). A walk that runs out of time (WALK_SECONDS) leaves the rest of the listing to its last lane.
 */
import type { MultipartUpload } from '@aws-sdk/client-s3';
import { classifySdkError } from '../task-errors.ts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { listUploads } from './list.ts';
import { planLanes } from './plan-pages.ts';
import { InvalidSweepState } from './record.ts';
import { jsonBytes } from './page.ts';
import type { SweepDeps } from './requests.ts';
import { MAX_LANES, type Lane, type SweepContext, type SweepTargetPlan } from './state.ts';

export { MAX_LANES };
/**
 * The lanes' share of sweep-uploads' state (256 KiB a state): its plan of 20 targets with 1,024-byte prefixes escaped
 * 6× is ~130 KB, the lanes may use 96 KiB more (test/unit/sweep-lanes.test.ts adds them up).
 */
export const LANE_BYTES = 96 * 1024;
/** a lane's descriptor without its keys: {"target":19,"lane":399,"after":"","end":"","limit":1000000}, */
const LANE_FIXED_BYTES = 64;
/**
 * A lane holds at least this many pages (SweepPageSize each): a lane's first page has no pace to size it by, so every
 * lane starts with a full page, and lanes of a page or two would put SweepLanesAtOnce full pages on S3 at once (on the
 * local stack a 20,000-upload sweep in 20 lanes of 1,000 lost pages to the Express 5-minute cap on moto_server's one
 * core). Ten pages is about a minute of a lane on AWS, the lane's fixed costs (a walk's share, a sweep-target
 * execution) spread over 10,000 uploads.
 */
export const MIN_LANE_PAGES = 10;
/** the walk stops cutting after this long (its Lambda's timeout is 900 s): the rest of the listing is its last lane */
export const WALK_SECONDS = 600;

export const isDirectoryBucket = (bucket: string) => bucket.endsWith('--x-s3');

/**
 * The uploads a lane of a target of `walked` listed uploads aims at: enough lanes to fill lanesAtOnce, each at least
 * minLaneUploads (the walk: MIN_LANE_PAGES pages) and at most laneUploads. Lanes are of key ranges: a lane ends after
 * all the uploads of its last key.
 */
export function laneSize(walked: number, options: { laneUploads: number; minLaneUploads?: number; lanesAtOnce?: number }): number {
  const { laneUploads, minLaneUploads = laneUploads, lanesAtOnce = 1 } = options;
  return Math.max(1, Math.min(laneUploads, Math.max(minLaneUploads, Math.ceil(walked / Math.max(1, lanesAtOnce)))));
}

export interface CutOptions {
  /** at most about this many listed uploads a lane (more when one key has more, or when the caps double it) */
  laneUploads: number;
  /** at least about this many a lane (default laneUploads: every lane of laneUploads) */
  minLaneUploads?: number;
  /** lanes that run at once: a smaller target is cut into up to this many lanes of at least minLaneUploads */
  lanesAtOnce?: number;
  /** lanes of this target at most */
  maxLanes: number;
  /** bytes of this target's lane descriptors at most */
  maxBytes: number;
}

interface Closed {
  end: string;
  uploads: number;
}

/**
 * Cuts a listing, fed key by key in listing order (one call per upload: equal keys come together), into pieces of at
 * least minLaneUploads, then (lanes()) joins neighbouring pieces into lanes of about laneSize(walked). When the pieces
 * would pass maxLanes or maxBytes, neighbouring pieces are merged two by two and the piece size doubles: lanes stay at
 * key boundaries, just fewer.
 */
export class LaneCutter {
  private closed: Closed[] = [];
  private open = 0;
  private last: string | undefined;
  private size: number;
  private keyBytes = 0;
  walked = 0;

  private readonly options: CutOptions;

  constructor(options: CutOptions) {
    this.options = options;
    this.size = Math.max(1, Math.min(options.laneUploads, options.minLaneUploads ?? options.laneUploads));
  }

  add(key: string): void {
    if (this.last !== undefined && key !== this.last && this.open >= this.size) {
      this.closed.push({ end: this.last, uploads: this.open });
      this.keyBytes += 2 * jsonBytes(this.last); // the end of one lane, the start of the next
      this.open = 0;
      while (this.closed.length > 0 && (this.closed.length + 1 > this.options.maxLanes || this.bytes() > this.options.maxBytes)) this.coarsen();
    }
    this.open += 1;
    this.walked += 1;
    this.last = key;
  }

  private bytes(): number {
    return (this.closed.length + 1) * LANE_FIXED_BYTES + this.keyBytes;
  }

  /** every two lanes one; an odd last lane joins the open one */
  private coarsen(): void {
    const merged: Closed[] = [];
    for (let i = 0; i + 1 < this.closed.length; i += 2) {
      merged.push({ end: this.closed[i + 1].end, uploads: this.closed[i].uploads + this.closed[i + 1].uploads });
    }
    if (this.closed.length % 2 === 1) this.open += this.closed.at(-1)!.uploads;
    this.closed = merged;
    this.keyBytes = merged.reduce((sum, lane) => sum + 2 * jsonBytes(lane.end), 0);
    this.size *= 2;
  }

  /**
   * The lanes of target `target`, each with its limit: maxUploads less the uploads walked in the lanes before it. The
   * pieces are joined, in order, into ceil(walked / laneSize) lanes of about equal uploads (a piece is never split).
   */
  lanes(target: number, maxUploads: number): Array<Lane & { walked: number }> {
    const wanted = Math.max(1, Math.ceil(this.walked / laneSize(this.walked, this.options)));
    const joined: Closed[] = [];
    let [uploads, passed] = [0, 0]; // of the lane being joined, of the pieces so far
    for (const piece of this.closed) {
      uploads += piece.uploads;
      passed += piece.uploads;
      // lane k closes once the pieces so far hold k/wanted of the walk (integers: passed / walked >= k / wanted)
      if (passed * wanted >= this.walked * (joined.length + 1)) {
        joined.push({ end: piece.end, uploads });
        uploads = 0;
      }
    }
    let before = 0;
    const lanes = joined.map((lane, i): Lane & { walked: number } => {
      const result = { target, lane: i, after: i === 0 ? '' : joined[i - 1].end, end: lane.end, limit: maxUploads - before, walked: lane.uploads };
      before += lane.uploads;
      return result;
    });
    lanes.push({ target, lane: lanes.length, after: joined.at(-1)?.end ?? '', limit: maxUploads - before, walked: uploads + this.open });
    return lanes;
  }
}

/** The lanes of keys already listed (tests, the model): the walk without S3. */
export function cutLanes(keys: Iterable<string>, options: CutOptions & { target?: number; maxUploads?: number }): Array<Lane & { walked: number }> {
  const cutter = new LaneCutter(options);
  const maxUploads = options.maxUploads ?? Number.MAX_SAFE_INTEGER;
  for (const key of keys) {
    if (cutter.walked >= maxUploads) break;
    cutter.add(key);
  }
  return cutter.lanes(options.target ?? 0, maxUploads);
}

export interface LanesEvent {
  sweep: SweepContext;
  target: SweepTargetPlan;
  /** targets of the sweep: MAX_LANES and LANE_BYTES are shared among them */
  targets: number;
}

export interface LanesResult {
  lanes: Lane[];
  /** uploads listed by the walk, ListMultipartUploads calls it made */
  walked: number;
  calls: number;
  /** why the target is one lane without a walk's cuts: directory bucket, a permanent listing error's code, time */
  unsplit?: string;
}

/** the whole target as one lane: what sweeps it exactly as before lanes */
export const wholeTarget = (target: SweepTargetPlan): Lane => ({ target: target.index, lane: 0, after: '', limit: target.maxUploads });

/** applying a plan: the target's lanes are the dry run's, each with its plan pages (lib/sweep/apply.ts reads them) */
async function planTargetLanes(deps: SweepDeps, planId: string, target: SweepTargetPlan): Promise<Lane[]> {
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: planId }, ConsistentRead: true }));
  if (!Item) throw new InvalidSweepState(`the plan ${planId} is not in the table`);
  const lanes = (await planLanes(deps, { id: planId, targetResults: Item.targetResults })).filter((l) => l.target === target.index);
  return lanes.map((l) => ({ target: target.index, lane: l.lane, after: '', limit: target.maxUploads, planPages: l.pages }));
}

export async function walkLanes(deps: SweepDeps, event: LanesEvent, walkSeconds = WALK_SECONDS): Promise<LanesResult> {
  const { target, sweep } = event;
  if (!target || !sweep?.settings || !Number.isInteger(target.maxUploads)) throw new InvalidSweepState('a walk needs { sweep, target, targets }');
  if (sweep.planId) return { lanes: await planTargetLanes(deps, sweep.planId, target), walked: 0, calls: 0, unsplit: 'Plan' };
  if (isDirectoryBucket(target.bucket)) return { lanes: [wholeTarget(target)], walked: 0, calls: 0, unsplit: 'DirectoryBucket' };
  const targets = Math.max(1, event.targets);
  const cutter = new LaneCutter({
    laneUploads: sweep.settings.laneUploads,
    minLaneUploads: MIN_LANE_PAGES * sweep.settings.pageUploads,
    lanesAtOnce: sweep.settings.lanesAtOnce,
    maxLanes: Math.max(1, Math.floor(MAX_LANES / targets)),
    maxBytes: Math.floor(LANE_BYTES / targets),
  });
  const started = (deps.now?.() ?? new Date()).getTime();
  let marker: { keyMarker?: string; uploadIdMarker?: string } = {};
  let calls = 0;
  let unsplit: string | undefined;
  while (cutter.walked < target.maxUploads) {
    if (calls > 0 && ((deps.now?.() ?? new Date()).getTime() - started) / 1000 >= walkSeconds) {
      unsplit = 'WalkTimeUp'; // the last lane takes the rest
      break;
    }
    let answer: Awaited<ReturnType<typeof listUploads>>;
    try {
      answer = await listUploads(deps.s3, target, { maxUploads: Math.min(1000, target.maxUploads - cutter.walked), ...marker });
    } catch (error) {
      const classified = classifySdkError(error);
      if (classified.transient) throw error;
      return { lanes: [wholeTarget(target)], walked: cutter.walked, calls, unsplit: classified.code };
    }
    calls += 1;
    const uploads: MultipartUpload[] = answer.Uploads ?? [];
    for (const upload of uploads) {
      if (cutter.walked >= target.maxUploads) break;
      cutter.add(upload.Key!);
    }
    if (!answer.IsTruncated || uploads.length === 0) break;
    const lastUpload = uploads.at(-1)!;
    marker = { keyMarker: answer.NextKeyMarker ?? lastUpload.Key, uploadIdMarker: answer.NextUploadIdMarker ?? lastUpload.UploadId };
  }
  const lanes = cutter.lanes(target.index, target.maxUploads).map(({ walked: _, ...lane }) => lane);
  return { lanes, walked: cutter.walked, calls, ...(unsplit ? { unsplit } : {}) };
}
