/**
 * AWS figures from the bench's measured counts: $ per million swept uploads per design (test/bench/cost.ts, us-east-1
 * list prices) and the time 1,000,000 uploads take on AWS in lanes, from the quotas in shared/aws-behaviour.md.
 */
import { AWS_LATENCY, costPerMillion, OLD_DESIGN, WALK_PER_UPLOAD, type Cost, type DesignCounts } from './cost.ts';
import { AWS_TIME, listCallsSeconds, pageSeconds, type PageShape, type TimeAssumptions } from './time-model.ts';
import { MAX_LANES } from '../../lib/sweep/state.ts';
import { laneSize, MIN_LANE_PAGES } from '../../lib/sweep/lanes.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import type { MeasuredDesign } from '../support/sweep-design.ts';
import type { CleanAbort } from './abort-path.ts';
import { AWS_LIMITS, DEPLOYED_LAYOUT, MAX_SHARE, type RecordLayout } from './aws-limits.ts';

/** one abort-upload run as a design: its measured transitions and LIST requests, its records' writes (3 WRU each) */
export function abortUploadDesign(clean: CleanAbort): DesignCounts {
  const r = clean.requests;
  const writes = (r['dynamodb:PutItem'] ?? 0) + (r['dynamodb:UpdateItem'] ?? 0);
  return {
    name: 'abort-upload (per-upload Standard path)',
    uploadsPerPage: 1,
    perUpload: { standardTransitions: clean.stateTransitions, s3ListRequests: r['s3:ListParts'] ?? 0, dynamoWriteUnits: writes * 3, lambdaRequests: 2 },
    perPage: {},
  };
}

export function costTable(lean: MeasuredDesign, measured: MeasuredDesign, clean: CleanAbort): Cost[] {
  return [
    costPerMillion(OLD_DESIGN),
    { ...costPerMillion(lean), name: 'new sweep, verified and recorded' },
    { ...costPerMillion(measured), name: 'new sweep, measured (parts, bytes)' },
    costPerMillion(abortUploadDesign(clean)),
  ];
}

export interface LaneSettings {
  laneUploads: number;
  lanesAtOnce: number;
  /** SweepPageSize (default: the deployed one): a lane holds MIN_LANE_PAGES pages at least */
  pageSize?: number;
}
export const DEFAULT_LANES: LaneSettings = { laneUploads: SWEEP_SETTINGS_DEFAULTS.SweepLaneUploads, lanesAtOnce: SWEEP_SETTINGS_DEFAULTS.SweepLanesAtOnce };

/** The time of `uploads` uploads in one target on AWS with these lane settings: its parts, in seconds. */
export interface SweepTime {
  settings: LaneSettings;
  /** the walk: ListMultipartUploads of 1,000 uploads, one after another */
  walkCalls: number;
  walk: number;
  lanes: number;
  laneUploads: number;
  waves: number;
  /** one lane's pages, one after another (the measured page seconds) */
  lane: number;
  /** the lanes' waves; the quota floor when the lanes would go faster than the quotas let them */
  sweep: number;
  quotaFloor: number;
  total: number;
  /** S3 requests a second while all lanes of a wave run: DELETE (aborts), GET (ListParts) */
  deletesPerSecond: number;
  getsPerSecond: number;
}

/** the lanes the walk cuts a target of `uploads` into (about laneSize each, MAX_LANES at most), and the waves they run in */
export function lanesOf(uploads: number, settings: LaneSettings, targets = 1): { lanes: number; laneUploads: number; waves: number } {
  const size = laneSize(uploads, { ...settings, minLaneUploads: MIN_LANE_PAGES * (settings.pageSize ?? SWEEP_SETTINGS_DEFAULTS.SweepPageSize) });
  const perTarget = Math.min(Math.ceil(uploads / size), MAX_LANES);
  const lanes = targets * perTarget;
  return { lanes, laneUploads: Math.ceil(uploads / perTarget), waves: Math.ceil(lanes / settings.lanesAtOnce) };
}

export function sweepTime(
  design: MeasuredDesign,
  uploads: number,
  settings: LaneSettings,
  listSeconds: number = AWS_LATENCY.listUploadsSeconds,
  layout: RecordLayout = DEPLOYED_LAYOUT,
): SweepTime {
  const P = design.uploadsPerPage;
  const page = design.seconds.express;
  const walkCalls = Math.ceil(uploads / 1000);
  const walk = walkCalls * listSeconds;
  // the walk cuts lanes of about laneSize (a few more: whole keys), MAX_LANES at most
  const { lanes, laneUploads, waves } = lanesOf(uploads, settings);
  const lane = Math.ceil(laneUploads / P) * page;
  const pageGets = (design.perUpload.s3ListRequests ?? 0) - (WALK_PER_UPLOAD.s3ListRequests ?? 0);
  // sweep-target's per page, and a lane's three states entered in sweep-uploads (its Task, Choice, Pass)
  const transitions = (design.perPage.standardTransitions ?? 0) / P + 3 / laneUploads;
  const executions = (design.perPage.expressRequests ?? 0) / P + 1 / laneUploads;
  // each limit used at MAX_SHARE at most (aws-limits.ts): the record's write units land on the table and each index alike
  const recordWrites = (uploads * (design.perUpload.dynamoWriteUnits ?? 3)) / 3;
  const at = (allowed: number) => allowed * MAX_SHARE;
  const floor = Math.max(
    uploads / at(AWS_LIMITS.s3DeletePerPrefix),
    (uploads * pageGets) / at(AWS_LIMITS.s3GetPerPrefix),
    (uploads * transitions) / at(AWS_LIMITS.standardStateTransitions),
    (uploads * executions) / at(AWS_LIMITS.expressStartExecution),
    recordWrites / at(AWS_LIMITS.dynamoOnDemandTableWrites),
    recordWrites / Math.min(layout.startedAtKeys, layout.statusKeys) / at(AWS_LIMITS.dynamoWritesPerPartition),
  );
  const sweep = Math.max(waves * lane, floor);
  const atOnce = Math.min(lanes, settings.lanesAtOnce);
  return {
    settings,
    walkCalls,
    walk,
    lanes,
    laneUploads,
    waves,
    lane,
    sweep,
    quotaFloor: floor,
    total: walk + sweep,
    deletesPerSecond: (atOnce * P) / page,
    getsPerSecond: (atOnce * P * pageGets) / page,
  };
}

export interface TimeModel {
  lines: string[];
  /** 1,000,000 uploads in one target: before lanes (its pages one after another), and with the default lanes */
  oneTargetMinutes: number;
  minutes: number;
  quotaFloorMinutes: number;
  /** the default settings meet 15 minutes */
  met: boolean;
  /** settings of a small grid that meet 15 minutes, with their minutes */
  meeting: Array<LaneSettings & { minutes: number }>;
  /** the default settings' sweep, for the quota table (quotas.ts) */
  time: SweepTime;
}

/**
 * 1,000,000 uploads in one target on AWS: the walk (1,000 LIST calls one after another, at AWS_LATENCY.listUploadsSeconds
 * each: an assumption), then the lanes (SweepLanesAtOnce at a time, each lane's pages one after another at the page
 * seconds the measured counts give), never faster than the quotas (shared/aws-behaviour.md) let one prefix go.
 */
export function timeModel(design: MeasuredDesign, clean?: CleanAbort, uploads = 1_000_000, settings: LaneSettings = DEFAULT_LANES): TimeModel {
  const P = design.uploadsPerPage;
  const page = design.seconds.express;
  const oneTarget = Math.ceil(uploads / P) * page;
  const t = sweepTime(design, uploads, settings);
  const slow = sweepTime(design, uploads, settings, AWS_LATENCY.listUploadsSeconds * 2.5);
  const m = (sec: number) => (sec / 60).toFixed(1);
  const M = uploads.toLocaleString('en-US');
  const wait = SWEEP_SETTINGS_DEFAULTS.SweepWaitSeconds;
  const n = (x: number) => x.toLocaleString('en-US');
  const met = t.total <= 15 * 60;
  const grid = [10_000, 25_000, 50_000, 100_000].flatMap((laneUploads) => [10, 20, 40].map((lanesAtOnce) => ({ laneUploads, lanesAtOnce })));
  const meeting = grid.map((g) => ({ ...g, minutes: sweepTime(design, uploads, g).total / 60 })).filter((g) => g.minutes <= 15);
  const lines = [
    `page on AWS: ${P} uploads (the 192 KiB byte budget, typical keys), ${page.toFixed(2)} s = ${wait} s wait` +
      ` + ${(page - wait).toFixed(2)} s of requests (Maps of ${AWS_TIME.concurrency.map} at ${AWS_TIME.s3Seconds * 1000} ms, the Lambdas' pools and serial calls: time-model.ts pageSeconds)`,
    `before lanes, one target: ${M} / ${P} = ${n(Math.ceil(uploads / P))} pages × ${page.toFixed(2)} s = **${m(oneTarget)} min** (its pages one after another)`,
    `walk ("Split targets into lanes"): ${n(t.walkCalls)} ListMultipartUploads × ${AWS_LATENCY.listUploadsSeconds} s (assumed: 1,000 uploads, ~400 KB` +
      ` of XML a call; not measured on AWS) = **${m(t.walk)} min**`,
    `lanes (SweepLaneUploads ${n(settings.laneUploads)}, SweepLanesAtOnce ${settings.lanesAtOnce}): ${t.lanes} lanes of ~${n(t.laneUploads)} uploads,` +
      ` ${t.waves} wave${t.waves > 1 ? 's' : ''} × ${n(Math.ceil(t.laneUploads / P))} pages × ${page.toFixed(2)} s = **${m(t.waves * t.lane)} min**;` +
      ` while a wave runs: ${n(Math.round(t.deletesPerSecond))} DELETE/s, ${n(Math.round(t.getsPerSecond))} GET/s` +
      ` (${AWS_LIMITS.s3DeletePerPrefix} and ${AWS_LIMITS.s3GetPerPrefix} per prefix)`,
    `quota floor of the sweep, every limit at ${MAX_SHARE * 100} % at most: max(DELETE ${M} / ${AWS_LIMITS.s3DeletePerPrefix}/s, ListParts / ${AWS_LIMITS.s3GetPerPrefix}/s,` +
      ` Standard transitions / ${AWS_LIMITS.standardStateTransitions}/s, Express StartExecution / ${AWS_LIMITS.expressStartExecution}/s,` +
      ` record writes / ${AWS_LIMITS.dynamoOnDemandTableWrites} WRU/s of the table and / ${AWS_LIMITS.dynamoWritesPerPartition} WRU/s per index key` +
      ` × ${DEPLOYED_LAYOUT.startedAtKeys} keys) = ${m(t.quotaFloor)} min` +
      `${t.quotaFloor > t.waves * t.lane ? ': the quotas, not the lanes, bound it' : " (below the lanes' time)"}`,
    `**${M} uploads: ${m(t.walk)} + ${m(t.sweep)} = ${m(t.total)} min: the ≤ 15 minutes target is ${met ? 'MET' : 'NOT met'}` +
      ` with the defaults (SweepLaneUploads ${n(settings.laneUploads)}, SweepLanesAtOnce ${settings.lanesAtOnce})**;` +
      ` with LIST calls 2.5× as slow (${(AWS_LATENCY.listUploadsSeconds * 2.5).toFixed(1)} s) ${m(slow.total)} min`,
    `settings that meet 15 minutes (lane uploads × lanes at once): ${
      meeting.length > 0 ? meeting.map((g) => `${n(g.laneUploads)} × ${g.lanesAtOnce} (${g.minutes.toFixed(1)} min)`).join(', ') : 'none of the grid'
    }`,
    ...(clean
      ? [
          `per-upload Standard path for comparison: ${clean.stateTransitions} transitions per upload; ${M} × ${clean.stateTransitions}` +
            ` / ${AWS_LIMITS.standardStateTransitions}/s = ${m((uploads * clean.stateTransitions) / AWS_LIMITS.standardStateTransitions)} min` +
            ` and StartExecution ${M} / ${AWS_LIMITS.standardStartExecution}/s = ${m(uploads / AWS_LIMITS.standardStartExecution)} min`,
        ]
      : []),
  ];
  return { lines, oneTargetMinutes: oneTarget / 60, minutes: t.total / 60, quotaFloorMinutes: t.quotaFloor / 60, met, meeting, time: t };
}

/** A sweep's workload: `targets` buckets of `uploadsPerTarget` uploads each, pages of `pageUploads` (the byte budget's) */
export interface Workload {
  targets: number;
  uploadsPerTarget: number;
  pageUploads: number;
  settings: LaneSettings;
}

/** what sweep-uploads does once, besides its lanes: "Record sweep started" (PutItem), the finish (two BatchGetItems, an UpdateItem); plan, walk, finish Lambdas */
export const SWEEP_FIXED = { dynamodb: 4, lambdaCalls: 3 } as const;

export interface SweepSeconds {
  fixed: number;
  walk: number;
  lanes: number;
  waves: number;
  pagesPerLane: number;
  /** a full page's seconds, one lane's pages one after another */
  page: number;
  lane: number;
  total: number;
}

/**
 * A sweep's wall time from the time model: its fixed requests, the targets' walks side by side (one ListMultipartUploads
 * per 1,000 uploads), then its lanes in waves of lanesAtOnce, each lane's pages one after another (pageSeconds). Every
 * time comes from the assumptions `t` (AWS_TIME on AWS; the local stack's round trips and settings in the model check).
 */
export function sweepSeconds(shape: PageShape, w: Workload, t: TimeAssumptions = AWS_TIME): SweepSeconds {
  const { lanes, laneUploads, waves } = lanesOf(w.uploadsPerTarget, w.settings, w.targets);
  const pagesPerLane = Math.ceil(laneUploads / w.pageUploads);
  const rest = laneUploads - (pagesPerLane - 1) * w.pageUploads;
  // the lanes of a wave side by side: their requests meet at a server that answers one at a time (the local stack)
  const sideBySide = Math.min(lanes, w.settings.lanesAtOnce);
  const page = pageSeconds(shape, Math.min(w.pageUploads, laneUploads), t, sideBySide).express;
  const lane = (pagesPerLane - 1) * page + pageSeconds(shape, rest, t, sideBySide).express;
  const fixed = SWEEP_FIXED.lambdaCalls * t.lambdaOverheadSeconds + SWEEP_FIXED.dynamodb * t.dynamodbSeconds;
  const walk = listCallsSeconds(w.uploadsPerTarget, t);
  return { fixed, walk, lanes, waves, pagesPerLane, page, lane, total: fixed + walk + waves * lane };
}
