/**
 * npm run bench: this project's sweep side by side with the tools users run instead, in ONE run, each (tool, N) on a
 * fresh moto_server with N fresh uploads of one 1 KiB part; what bounds each figure (CPU of moto_server, of this node
 * process and of the tool); memory during and after the largest sweep; the AWS cost per design and the time of
 * 1,000,000 uploads on AWS from the measured counts; the per-upload Standard path and POST /aborts.
 * Prints the tables as it goes; writes test/bench/results/{latest.json,report.md,uploads-per-second.png} and copies the
 * report and the chart to test/bench/published/. Installs nothing: peers that are missing are named and skipped.
 *
 * BENCH_SWEEP_SIZES (default 500,2000,20000), BENCH_PEER_SIZES (500,2000), BENCH_CLI_UPLOADS (50), BENCH_LATENCY_MS (30),
 * BENCH_LATENCY_UPLOADS (500), BENCH_SCAN_UPLOADS (5000: `mpu-reaper scan` beside a boto3 scan, test/bench/scan.ts),
 * BENCH_MOTO_UPLOADS (2000) and BENCH_MOTO_ROUNDS (2): one moto_server against two (test/bench/moto-processes.ts).
 * BENCH_RACE_UPLOADS (2000) and BENCH_RACE_ROUNDS (3): at that N, boto3 and both sweeps run in rounds, each first in turn.
 * The time model's check (test/bench/model-check.ts): BENCH_MODEL_BUCKETS (2), BENCH_MODEL_UPLOADS (200 a bucket),
 * BENCH_MODEL_PAGE (20: SweepPageSize), BENCH_MODEL_LATENCY_MS (100), BENCH_MODEL_RUNS (3); `npm run bench -- --only
 * model-check` runs it alone; `--only memory` runs the largest sweep alone for the stack's memory.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { benchCleanAbort, benchPostAborts } from './abort-path.ts';
import { uploadsPerSecondPng } from './chart.ts';
import { markdownReport } from './markdown.ts';
import { costTable, timeModel } from './model.ts';
import { formatQuotaTable, quotaTable } from './quotas.ts';
import { DEPLOYED_LAYOUT } from './aws-limits.ts';
import { benchPeer, detectPeers, type PeerName } from './peers.ts';
import type { SweepRun } from './project.ts';
import { runProjectSweepInItsOwnProcess } from './sweep-process.ts';
import { PROJECT, PROJECT_LEAN, peerRow, projectRow, RESULT_HEADER, resultCells, speedTargets, speedTargetTable, table, type Row } from './report.ts';
import { phaseTable } from './phases.ts';
import { formatCostTable } from './cost.ts';
import { benchScans, scanTable } from './scan.ts';
import { benchModelCheck, MODEL_TOLERANCE, modelBreakdown, type ModelCheck } from './model-check.ts';
import { parseArgs } from 'node:util';
import { compareMotoProcesses, MEMORY_TARGET, motoProcessesTable, stackMemory, stackMemoryTable } from './moto-processes.ts';

const sizes = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map(Number);
const SWEEP_SIZES = sizes('BENCH_SWEEP_SIZES', '500,2000,20000');
const PEER_SIZES = sizes('BENCH_PEER_SIZES', '500,2000');
const [CLI_UPLOADS] = sizes('BENCH_CLI_UPLOADS', '50');
const [LATENCY_MS] = sizes('BENCH_LATENCY_MS', '30');
const [LATENCY_UPLOADS] = sizes('BENCH_LATENCY_UPLOADS', '500');
const [SCAN_UPLOADS] = sizes('BENCH_SCAN_UPLOADS', '5000');
const [MOTO_UPLOADS] = sizes('BENCH_MOTO_UPLOADS', '2000');
const [MOTO_ROUNDS] = sizes('BENCH_MOTO_ROUNDS', '2');
const [RACE_UPLOADS] = sizes('BENCH_RACE_UPLOADS', '2000');
const [RACE_ROUNDS] = sizes('BENCH_RACE_ROUNDS', '3');
process.env.LOG_LEVEL ??= 'ERROR'; // the handlers' request logs would drown the figures

/** what the phase tables show, under them in report.md */
const PHASES_NOTE = [
  "Each Task and Map state of sweep-page summed over the pages (one page execution at a time at this N), with each process's",
  'CPU over that time as a share of one core (node: every thread; moto_server: its process). A state is bound by whatever',
  'is busiest meanwhile: where node is, its per-request CPU (SDK, HTTP, the runtime) is what a faster moto_server cannot buy.',
].join('\n');

const benchStarted = performance.now();
const machine = { cores: availableParallelism(), loadAverageAtStart: loadavg()[0] };
const elapsed = () => `${Math.round((performance.now() - benchStarted) / 1000)} s`;
const say = (text: string) => process.stdout.write(`${text}\n`);
if (!(globalThis as { gc?: unknown }).gc) say('(run with node --expose-gc, as npm run bench does, for the memory after the sweep)');

const [MODEL_BUCKETS] = sizes('BENCH_MODEL_BUCKETS', '2');
const [MODEL_UPLOADS] = sizes('BENCH_MODEL_UPLOADS', '200');
const [MODEL_LATENCY_MS] = sizes('BENCH_MODEL_LATENCY_MS', '100');
const [MODEL_RUNS] = sizes('BENCH_MODEL_RUNS', '3');
const [MODEL_PAGE] = sizes('BENCH_MODEL_PAGE', '20');
const modelCheck = async (): Promise<ModelCheck> => {
  const check = await benchModelCheck({
    buckets: MODEL_BUCKETS,
    uploadsPerBucket: MODEL_UPLOADS,
    latencyMs: MODEL_LATENCY_MS,
    runs: MODEL_RUNS,
    pageSize: MODEL_PAGE,
  });
  say(`\n## Model check: the time model against a measured sweep (bench time so far ${elapsed()})\n${check.table}`);
  say(`the model, run 1: ${modelBreakdown(check.runs[0])}`);
  if (!check.ok)
    console.error(
      `bench: the time model is off by ${(check.median.error * 100).toFixed(0)} % (more than ${MODEL_TOLERANCE * 100} %), or a sweep was not verified and recorded`,
    );
  return check;
};
const { values: flags } = parseArgs({ options: { only: { type: 'string' } } });
if (flags.only === 'memory') {
  // the largest sweep alone, left idle a minute after it: the stack's memory table and its target
  const run = await runProjectSweepInItsOwnProcess({ n: Math.max(...SWEEP_SIZES), afterSeconds: MEMORY_TARGET.afterSeconds });
  say(`## Memory of every process of the stack, ${run.n.toLocaleString('en-US')}-upload sweep (${run.cpu.wallSeconds.toFixed(1)} s)\n${stackMemoryTable(run)}`);
  process.exit(stackMemory(run).ok ? 0 : 1);
}
if (flags.only !== undefined) {
  if (flags.only !== 'model-check') {
    console.error(`bench: --only takes model-check or memory, got '${flags.only}'`);
    process.exit(2);
  }
  process.exit((await modelCheck()).ok ? 0 : 1);
}

const peers = await detectPeers();
say('## Peers');
for (const p of peers) say(`- ${p.available ? 'runs' : 'CANNOT RUN'}: ${p.label}${p.version ? ` (${p.version})` : ''}${p.missing ? ` — ${p.missing}` : ''}`);
const available = (name: PeerName) => peers.some((p) => p.name === name && p.available);

const rows: Row[] = [];
const sweeps: SweepRun[] = [];
say(`\n## Sweeps side by side (bench time so far ${elapsed()})\n${table(RESULT_HEADER, [])}`);
const add = (row: Row) => {
  rows.push(row);
  say(table(RESULT_HEADER, [resultCells(row)]).split('\n')[2]);
};
const leanRuns: SweepRun[] = [];
// each sweep in a node process of its own, as `npm start` runs the stack (its memory is the stack's, not the harness's)
const project = async (n: number, latencyMs = 0, measure = true, afterSeconds = 1, round?: number) => {
  const run = await runProjectSweepInItsOwnProcess({ n, latencyMs, measure, afterSeconds });
  (measure ? sweeps : leanRuns).push(run);
  add({ ...projectRow(run), round });
  return run;
};
const peer = async (tool: PeerName, n: number, latencyMs = 0, round?: number) => {
  if (available(tool)) add({ ...peerRow(await benchPeer(tool, n, latencyMs)), round });
};

// the sweep both ways: measured (ListParts before the abort: parts and bytes in the record) and without the measure;
// at RACE_UPLOADS, boto3 and both sweeps in rounds, each going first in turn (report.ts ratios: within a round)
for (const n of PEER_SIZES) {
  const raced = n === RACE_UPLOADS && SWEEP_SIZES.includes(n);
  await peer('rclone', n);
  for (let round = 1; round <= (raced ? RACE_ROUNDS : 1); round += 1) {
    const inRound = raced ? round : undefined;
    const entrants = [() => peer('boto3', n, 0, inRound)];
    if (SWEEP_SIZES.includes(n)) for (const measure of [true, false]) entrants.push(() => project(n, 0, measure, 1, inRound).then(() => undefined));
    for (let i = 0; i < entrants.length; i += 1) await entrants[(i + round - 1) % entrants.length]();
  }
}
const phaseReport = [true, false].flatMap((measured) => {
  const run = (measured ? sweeps : leanRuns).find((s) => s.n === RACE_UPLOADS && s.latencyMs === 0);
  if (!run) return [];
  const label = `${measured ? PROJECT : PROJECT_LEAN}, ${run.n.toLocaleString('en-US')} uploads, its first round (${run.cpu.wallSeconds.toFixed(2)} s)`;
  return [`### ${label}\n${phaseTable(run.phases, run.cpu.wallSeconds)}`];
});
if (phaseReport.length) say(`\n## Where the sweep's time goes, state by state of its pages\n${phaseReport.join('\n\n')}`);
await peer('awsCli', CLI_UPLOADS);
await peer('boto3', LATENCY_UPLOADS, LATENCY_MS);
await peer('rclone', LATENCY_UPLOADS, LATENCY_MS);
await project(LATENCY_UPLOADS, LATENCY_MS);
await project(LATENCY_UPLOADS, LATENCY_MS, false);
const speed = speedTargets(rows, { raceUploads: RACE_UPLOADS, latencyUploads: LATENCY_UPLOADS, latencyMs: LATENCY_MS }, machine.cores);
say(`\n## Speed targets (median of the race rounds where raced)\n${speedTargetTable(speed)}`);
say(`(bench time so far ${elapsed()}; the larger sweeps next)`);
const lean = leanRuns.find((s) => s.latencyMs === 0 && s.n === 2000) ?? leanRuns[0] ?? (await project(Math.min(...SWEEP_SIZES), 0, false));
// the largest sweep: the stack left idle a minute after it, for its memory then
for (const n of SWEEP_SIZES.filter((s) => !PEER_SIZES.includes(s))) await project(n, 0, true, n === Math.max(...SWEEP_SIZES) ? MEMORY_TARGET.afterSeconds : 1);

say(`\n## Two moto_server processes against one (${MOTO_UPLOADS.toLocaleString('en-US')} uploads, alternating, every run)`);
const motoRuns = await compareMotoProcesses(MOTO_UPLOADS, MOTO_ROUNDS, say);
const motoTable = motoProcessesTable(motoRuns);
say(motoTable);

const clean = await benchCleanAbort(10);
say(
  `\n## abort-upload, one clean abort of a 3-part upload: ${clean.stateTransitions} state transitions, ${clean.awsRequests} S3/DynamoDB requests` +
    ` (${Object.entries(clean.requests)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}), median ${clean.medianMs} ms vs ${clean.oneShotMedianMs} ms one-shot`,
);
const postAborts = await benchPostAborts(30, 5);
say(`POST /aborts: warm median ${postAborts.warmMedianMs} ms, cold (fresh process) median ${postAborts.coldMedianMs} ms`);

const scans = await benchScans(SCAN_UPLOADS);
say(`\n## Scan of ${SCAN_UPLOADS.toLocaleString('en-US')} uploads of one part, side by side\n${scanTable(scans)}`);

const model = await modelCheck();

const projectRuns = sweeps.filter((s) => s.latencyMs === 0);
const reference = projectRuns.find((s) => s.n === 2000) ?? projectRuns[0];
const costs = costTable(lean.design, reference.design, clean);
say(`\n## $ per million swept uploads on AWS (measured counts × us-east-1 prices)\n${formatCostTable(costs)}`);
const time = timeModel(lean.design, clean);
say(`\n## 1,000,000 uploads on AWS\n${time.lines.map((l) => `- ${l}`).join('\n')}`);
const quotas = quotaTable(lean.design, time.time, DEPLOYED_LAYOUT);
say(`\n## AWS limits the 1,000,000-upload sweep touches (default settings)\n${formatQuotaTable(quotas)}`);

const largest = projectRuns.reduce((a, b) => (b.n > a.n ? b : a));
const memory = {
  n: largest.n,
  fresh: largest.memory.fresh,
  beforeMb: largest.memory.before.nodeMb + largest.memory.before.motoMb,
  before: largest.memory.before,
  peak: largest.memory.peak,
  after: largest.memory.after,
  afterStackMb: largest.memory.after.nodeMb + largest.memory.after.motoMb,
};
const stack = stackMemory(largest);
say(`\n## Memory of every process of the stack, ${largest.n.toLocaleString('en-US')}-upload sweep\n${stackMemoryTable(largest)}`);
say(
  `\n## Memory, ${largest.n.toLocaleString('en-US')}-upload sweep: peak ${Math.round(memory.peak.stackMb)} MB for node + moto_server` +
    ` (node ${Math.round(memory.peak.nodeMb)}, moto ${Math.round(memory.peak.motoMb)}); after it ${Math.round(memory.afterStackMb)} MB` +
    ` (before it ${Math.round(memory.beforeMb)} MB)`,
);

const results = {
  date: new Date().toISOString(),
  benchSeconds: Math.round((performance.now() - benchStarted) / 1000),
  machine,
  settings: { sweepSizes: SWEEP_SIZES, peerSizes: PEER_SIZES, cliUploads: CLI_UPLOADS, latencyMs: LATENCY_MS, latencyUploads: LATENCY_UPLOADS },
  peers,
  rows,
  sweeps: sweeps.map(({ memory: m, summary: _summary, ...rest }) => ({ ...rest, memory: { ...m, samples: m.samples.length } })),
  lean: { n: lean.n, design: lean.design, requests: lean.requests },
  cleanAbort: clean,
  postAborts,
  costs,
  timeModel: time,
  quotas,
  memory,
  stackMemory: stack,
  motoProcesses: motoRuns,
  scan: scans,
  modelCheck: model,
};
const listings = projectRuns.map((run) => ({ n: run.n, ...run.listing }));
const report = `${markdownReport({ ...results, projectLabel: PROJECT, memorySamples: largest.memory.samples, listings })}\n## Scan of ${SCAN_UPLOADS.toLocaleString('en-US')} uploads of one part\n\n${scanTable(scans)}\n
## Speed targets (median of the race rounds where raced)\n\n${speedTargetTable(speed)}\n
## Where the sweep's time goes, state by state of its pages\n\n${phaseReport.join('\n\n')}\n\n${PHASES_NOTE}\n
## Two moto_server processes against one (${MOTO_UPLOADS.toLocaleString('en-US')} uploads, alternating, every run)\n\n${motoTable}\n
## Memory of every process of the stack (${largest.n.toLocaleString('en-US')}-upload sweep)\n\n${stackMemoryTable(largest)}\n
## Model check\n\n${model.table}\n`;
const png = await uploadsPerSecondPng(rows);
const results_ = new URL('./results/', import.meta.url);
const published = new URL('./published/', import.meta.url);
mkdirSync(results_, { recursive: true });
mkdirSync(published, { recursive: true });
writeFileSync(new URL('latest.json', results_), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL('report.md', results_), report);
writeFileSync(new URL('uploads-per-second.png', results_), png);
for (const file of ['report.md', 'uploads-per-second.png']) copyFileSync(new URL(file, results_), new URL(file, published));
say(`\nbench done in ${elapsed()}: test/bench/results/{latest.json,report.md,uploads-per-second.png}, copies in test/bench/published/`);
if (!model.ok) process.exitCode = 1;
const missed = speed.filter((t) => t.ratio !== undefined && !t.met);
if (missed.length) {
  console.error(`bench: ${missed.map((t) => `${t.design} at ${t.run} is ${t.ratio} × ${t.peer} (target ≥ ${t.atLeast} ×)`).join('; ')}`);
  process.exitCode = 1;
}
if (!stack.ok) {
  console.error(
    `bench: the stack's memory misses its target: peak ${stack.peakMb} MB, ${stack.afterMb - stack.beforeMb} MB more ${stack.afterSeconds} s after`,
  );
  process.exitCode = 1;
}
if (!quotas.ok) {
  console.error(`bench: the 1,000,000-upload model needs more than 70 % of an AWS limit: ${quotas.worst.limit} at ${(quotas.worst.share * 100).toFixed(0)} %`);
  process.exitCode = 1;
}
