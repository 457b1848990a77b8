/**
 * The time model checked against a measurement: a real sweep on the local stack as `npm start` runs it (LOCAL_SETTINGS:
 * its 1 s verify wait), every request delayed by the Chaos API's latency effect, a load that leaves moto_server idle
 * most of the time (its busy share is reported), against the model's prediction for exactly that workload. The model's
 * inputs: the page's request counts measured in the run (counts, as the AWS model takes them), the idle stack's round
 * trips measured before the sweep (round-trips.ts), the settings; nothing is fitted to the sweep's wall time.
 */
import { loadavg } from 'node:os';
import { CONCURRENCY, uploadsPerPage } from './cost.ts';
import type { TimeAssumptions } from './time-model.ts';
import { LOCAL_SETTINGS, SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { pageShape } from '../support/sweep-design.ts';
import { median } from './measure.ts';
import { sweepSeconds, type SweepSeconds, type Workload } from './model.ts';
import type { RoundTrips } from './round-trips.ts';
import { table } from './report.ts';
import { runProjectSweepInItsOwnProcess } from './sweep-process.ts';

/** the model may be off by this share of the measured wall time at most */
export const MODEL_TOLERANCE = 0.25;

const LOCAL = { ...SWEEP_SETTINGS_DEFAULTS, ...LOCAL_SETTINGS };

/**
 * The local stack's assumptions: a request takes its idle round trip (the latency effect and moto_server's answer), each
 * further request of a wave what a wave of them adds on the idle stack (moto_server answers one at a time), a Lambda
 * invocation nothing more (in-process, no HTTP: the latency effect does not apply to it, docs/chaos-api.md); a page's
 * ListMultipartUploads costs the whole bucket's listing (moto_server ignores MaxUploads: emulator/list-uploads-paging.ts);
 * the verify wait is the local profile's SweepWaitSeconds; the concurrency is the code's, as on AWS.
 */
export function localTime(trips: RoundTrips, waitSeconds = LOCAL.SweepWaitSeconds): TimeAssumptions {
  // the probe listed `listed` uploads: extended to a 1,000-upload answer as listCallsSeconds shares it out
  const perUpload = Math.max(0, trips.listUploadsSeconds - trips.s3Seconds) / Math.max(1, trips.listed);
  return {
    s3Seconds: trips.s3Seconds,
    dynamodbSeconds: trips.dynamodbSeconds,
    s3PerRequestInWave: trips.s3PerRequestInWave,
    dynamodbPerRequestInWave: trips.dynamodbPerRequestInWave,
    lambdaOverheadSeconds: 0,
    stateSeconds: trips.stateSeconds,
    listUploadsSeconds: trips.s3Seconds + 1000 * perUpload,
    pageListSeconds: trips.listUploadsSeconds,
    waitSeconds,
    concurrency: CONCURRENCY,
  };
}

export interface ModelCheckRun {
  workload: string;
  latencyMs: number;
  measuredSeconds: number;
  predicted: SweepSeconds;
  /** (predicted − measured) / measured */
  error: number;
  motoBusy: number;
  nodeBusy: number;
  /** the machine's 1-minute load average when the run started (2 cores shared: the runs' noise) */
  load: number;
  pages: { measured: number; model: number };
  roundTrips: RoundTrips;
  verified: boolean;
  recorded: boolean;
}

export interface ModelCheck {
  runs: ModelCheckRun[];
  median: { measuredSeconds: number; predictedSeconds: number; error: number; motoBusy: number };
  ok: boolean;
  table: string;
}

export async function benchModelCheck(options: {
  buckets: number;
  uploadsPerBucket: number;
  latencyMs: number;
  runs: number;
  pageSize: number;
}): Promise<ModelCheck> {
  const { buckets, uploadsPerBucket, latencyMs, pageSize } = options;
  const runs: ModelCheckRun[] = [];
  for (let i = 0; i < options.runs; i += 1) {
    const [load] = loadavg();
    const run = await runProjectSweepInItsOwnProcess({
      n: buckets * uploadsPerBucket,
      latencyMs,
      buckets,
      localProfile: true,
      settings: { SweepPageSize: pageSize },
      roundTrips: true,
    });
    const trips = run.roundTrips!;
    const workload: Workload = {
      targets: buckets,
      uploadsPerTarget: uploadsPerBucket,
      pageUploads: Math.min(pageSize, uploadsPerPage({ keyBytes: trips.keyBytes, uploadIdChars: trips.uploadIdChars, measure: run.measure })),
      settings: { laneUploads: LOCAL.SweepLaneUploads, lanesAtOnce: LOCAL.SweepLanesAtOnce, pageSize },
    };
    const predicted = sweepSeconds(pageShape(run.counts), workload, localTime(trips));
    const wall = run.cpu.wallSeconds;
    runs.push({
      workload: `${buckets} × ${uploadsPerBucket} uploads, pages of ${pageSize}, +${latencyMs} ms`,
      latencyMs,
      measuredSeconds: wall,
      predicted,
      error: (predicted.total - wall) / wall,
      motoBusy: run.cpu.motoCpuSeconds / wall,
      nodeBusy: run.cpu.nodeCpuSeconds / wall,
      load,
      pages: { measured: Number(run.summary.pages), model: predicted.lanes * predicted.pagesPerLane },
      roundTrips: trips,
      verified: run.verified,
      recorded: run.recorded,
    });
  }
  const m = {
    measuredSeconds: median(runs.map((r) => r.measuredSeconds)),
    predictedSeconds: median(runs.map((r) => r.predicted.total)),
    error: median(runs.map((r) => r.error)),
    motoBusy: median(runs.map((r) => r.motoBusy)),
  };
  const ok = Math.abs(m.error) <= MODEL_TOLERANCE && runs.every((r) => r.verified && r.recorded);
  return { runs, median: m, ok, table: modelCheckTable(runs, m) };
}

const ms = (seconds: number, digits = 0) => (seconds * 1000).toFixed(digits);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)} %`;

export function modelCheckTable(runs: ModelCheckRun[], m: ModelCheck['median']): string {
  const header = [
    'run',
    'workload',
    'round trip S3 / DynamoDB (+ a request more in a wave)',
    'pages (model)',
    'ms a state',
    'load',
    'moto busy',
    'node busy',
    'predicted',
    'measured',
    'error',
  ];
  const rows = runs.map((r, i) => [
    String(i + 1),
    r.workload,
    `${ms(r.roundTrips.s3Seconds)} (+${ms(r.roundTrips.s3PerRequestInWave, 1)}) / ${ms(r.roundTrips.dynamodbSeconds)} (+${ms(r.roundTrips.dynamodbPerRequestInWave, 1)}) ms`,
    `${r.pages.measured} (${r.pages.model})`,
    ms(r.roundTrips.stateSeconds, 1),
    r.load.toFixed(1),
    `${(r.motoBusy * 100).toFixed(0)} %`,
    `${(r.nodeBusy * 100).toFixed(0)} %`,
    `${r.predicted.total.toFixed(2)} s`,
    `${r.measuredSeconds.toFixed(2)} s${r.verified && r.recorded ? '' : ' (NOT verified and recorded)'}`,
    pct(r.error),
  ]);
  rows.push([
    'median',
    '',
    '',
    '',
    '',
    '',
    `${(m.motoBusy * 100).toFixed(0)} %`,
    '',
    `${m.predictedSeconds.toFixed(2)} s`,
    `${m.measuredSeconds.toFixed(2)} s`,
    pct(m.error),
  ]);
  return table(header, rows);
}

/** the model's parts for one run: where its seconds go */
export function modelBreakdown(r: ModelCheckRun): string {
  const p = r.predicted;
  return (
    `fixed ${p.fixed.toFixed(2)} s + walk ${p.walk.toFixed(2)} s + ${p.waves} wave × lane ${p.lane.toFixed(2)} s` +
    ` (${p.lanes} lanes side by side, ${p.pagesPerLane} page${p.pagesPerLane > 1 ? 's' : ''} of ${p.page.toFixed(2)} s each)`
  );
}
