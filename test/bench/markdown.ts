/** test/bench/results/report.md: the bench's tables and what bounds each figure. */
import { formatCostTable, type Cost } from './cost.ts';
import type { CleanAbort, PostAborts } from './abort-path.ts';
import type { MemorySample } from './measure.ts';
import { round } from './measure.ts';
import type { TimeModel } from './model.ts';
import { formatQuotaTable, type QuotaTable } from './quotas.ts';
import type { Peer } from './peers.ts';
import { RESULT_HEADER, ratios, resultCells, table, type Row } from './report.ts';

export interface ReportInput {
  date: string;
  benchSeconds: number;
  /** the machine's cores and its 1-minute load average when the bench started (other work on it shows there) */
  machine?: { cores: number; loadAverageAtStart: number };
  settings: { sweepSizes: number[]; peerSizes: number[]; cliUploads: number; latencyMs: number; latencyUploads: number };
  peers: Peer[];
  rows: Row[];
  projectLabel: string;
  costs: Cost[];
  timeModel: TimeModel;
  quotas: QuotaTable;
  cleanAbort: CleanAbort;
  postAborts: PostAborts;
  memory: {
    n: number;
    fresh?: { nodeMb: number; motoMb: number };
    beforeMb: number;
    before?: MemorySample;
    peak: { nodeMb: number; motoMb: number; stackMb: number };
    after: MemorySample;
    afterStackMb: number;
  };
  memorySamples: MemorySample[];
  /** the measured sweeps' listings (SweepRun.listing), by N */
  listings?: Array<{ n: number; calls: number; motoSecondsForN: number; estimatedMotoSeconds: number }>;
}

const mb = (x: number) => `${Math.round(x)} MB`;

export function markdownReport(r: ReportInput): string {
  const s = r.settings;
  const growth = r.rows.filter((row) => row.toolKey === 'project' && row.latencyMs === 0).sort((a, b) => a.n - b.n);
  const ratioRows = ratios(r.rows, r.machine?.cores);
  const m = r.memory;
  const samples = r.memorySamples;
  const at = (fraction: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * fraction))];
  return `# npm run bench — ${r.date}

One run, ${Math.round(r.benchSeconds / 60)} minutes on a ${r.machine ? `${r.machine.cores}-core machine (load average ${r.machine.loadAverageAtStart.toFixed(2)} when it started)` : 'machine'}. Each (tool, N) ran on its own fresh
moto_server with N fresh uploads of one 1 KiB part (same keys for every tool). ${r.projectLabel}: StartExecution of sweep-uploads
on the local stack (strict runtime, sweep-page EXPRESS; each sweep in a node process of its own, as \`npm start\` runs it), waited for; the waits for in-flight parts are 0 locally (nothing is in
flight on moto; AWS waits SweepWaitSeconds, 5 s, once per page: see the time model). Peers ran against a chaos proxy in front of
moto_server that counts their requests and adds the same latency as the stack's Chaos API effect (which the project's Lambdas'
DynamoDB requests get too). The AWS CLI loop ran at ${s.cliUploads} uploads only (one process per request: ~0.7 s each).
Project sweep sizes: ${s.sweepSizes.map((n) => n.toLocaleString('en-US')).join(', ')} (5,000 dropped to keep the bench near 15 minutes);
peers at ${s.peerSizes.map((n) => n.toLocaleString('en-US')).join(', ')}.

## Peers
${r.peers
  .map((p) => `- ${p.available ? 'ran' : '**could not run**'}: ${p.label}${p.version ? ` — ${p.version}` : ''}${p.missing ? ` — ${p.missing}` : ''}`)
  .join('\n')}

## Results

![uploads per second](uploads-per-second.png)

${table(RESULT_HEADER, r.rows.map(resultCells))}

"bound by": CPU seconds of each process over the wall time (moto_server serves requests on one core: Python's GIL); under
added latency, requests × latency ÷ wall = the requests in flight on average.

## Ratios (same run, same N, same latency)
${table(
  ['N', 'round', 'design', 'uploads/s', '× boto3 16 threads', '× boto3 at most, every core busy', '× rclone'],
  ratioRows.map((x) => [x.run, x.round, x.design, x.project, x.vsBoto3 ?? '—', x.ceilingVsBoto3 ?? '—', x.vsRclone ?? '—']),
)}

A round is boto3 and both sweeps one after another, each going first in turn: the machine's speed drifts from minute to
minute (boto3 alone took 9.0 and 13.1 s two minutes apart), so each ratio is taken within its round and the medians of
the rounds are the figures; every round is listed. "At most, every core busy": boto3's wall time over the least the
design's measured CPU could take spread over all ${r.machine?.cores ?? 'the'} cores; a target above it needs less CPU per upload, not more overlap.

## Growth (${r.projectLabel}, no added latency)
${table(
  [
    'N',
    'ms per upload',
    'uploads/s',
    'moto CPU ms per upload',
    'node CPU ms per upload',
    'ListMultipartUploads calls',
    'moto CPU s of one listing of N',
    'moto CPU s in listings (est.)',
    'moto CPU ms per upload, listings excluded',
  ],
  growth.map((g) => {
    const l = r.listings?.find((x) => x.n === g.n);
    return [
      g.n.toLocaleString('en-US'),
      g.msPerUpload,
      g.uploadsPerSecond,
      round((g.cpu.moto * 1000) / g.n, 1),
      round((g.cpu.node * 1000) / g.n, 1),
      l ? l.calls : '—',
      l ? round(l.motoSecondsForN, 2) : '—',
      l ? round(l.estimatedMotoSeconds, 1) : '—',
      l ? round(((g.cpu.moto - l.estimatedMotoSeconds) * 1000) / g.n, 1) : '—',
    ];
  }),
)}

moto_server filters and sorts the whole bucket's uploads for every ListMultipartUploads and serializes the page's
(the endpoint asks for max-uploads + 1 and cuts the page S3 would send), so each listing costs moto CPU in proportion to
the uploads still in the bucket: "in listings" is that cost of one page of N, measured before the sweep, times the
uploads still there at each of the sweep's listings.

## Memory (${m.n.toLocaleString('en-US')}-upload sweep; RSS sampled every 250 ms; moto_server: both processes)
${table(
  ['', 'node (stack, runtime, Lambdas)', 'moto_server', 'whole stack'],
  [
    ...(m.fresh ? [['stack started, nothing seeded', mb(m.fresh.nodeMb), mb(m.fresh.motoMb), mb(m.fresh.nodeMb + m.fresh.motoMb)]] : []),
    ['before the sweep (uploads seeded)', m.before ? mb(m.before.nodeMb) : '', m.before ? mb(m.before.motoMb) : '', mb(m.beforeMb)],
    ['peak during the sweep', mb(m.peak.nodeMb), mb(m.peak.motoMb), mb(m.peak.stackMb)],
    [
      'after it ended (idle 1 s, or 60 s for the largest sweep; then a GC)',
      `${mb(m.after.nodeMb)} (V8 heap ${mb(m.after.heapMb)})`,
      mb(m.after.motoMb),
      mb(m.afterStackMb),
    ],
  ],
)}

Samples at 25/50/75 % of the sweep: ${[0.25, 0.5, 0.75].map((f) => `${mb(at(f).nodeMb + at(f).motoMb)} (heap ${mb(at(f).heapMb)})`).join(', ')}.
Target: < 600 MB for the whole stack. The runtime keeps nothing of an ended EXPRESS page execution and at most
retainFinishedExecutions (1,000) STANDARD histories.

## Cost on AWS ($ per million swept uploads; measured counts × us-east-1 list prices, test/bench/cost.ts)
${formatCostTable(r.costs)}

The old design's counts are the issue's measurement (30 Standard transitions, 2 ListParts, 4 UpdateItems per upload).
The new designs' are this run's (requests and states per upload and per page), priced at the page size a typical upload
gets on AWS; abort-upload's are the clean abort below (its Lambdas' GB-seconds not included).

## Per-upload Standard path (abort-upload), one clean abort of a 3-part upload
- ${r.cleanAbort.stateTransitions} state transitions (target ≤ 12), ${r.cleanAbort.historyEvents} history events
- ${r.cleanAbort.awsRequests} S3/DynamoDB requests (target ≤ 5): ${Object.entries(r.cleanAbort.requests)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')}
- the same in all ${r.cleanAbort.rounds} rounds: ${r.cleanAbort.sameEveryRound ? 'yes' : 'NO'}; median ${r.cleanAbort.medianMs} ms locally vs
  ${r.cleanAbort.oneShotMedianMs} ms for one bare AbortMultipartUpload
- POST /aborts on the local stack: warm ${r.postAborts.warmMedianMs} ms (median of ${r.postAborts.warm}), cold ${r.postAborts.coldMedianMs} ms
  (fresh process: import ${r.postAborts.coldImportMedianMs} ms + first request; median of ${r.postAborts.cold})

## 1,000,000 uploads on AWS (time model from the measured counts and the quotas)
${r.timeModel.lines.map((l) => `- ${l}`).join('\n')}

## AWS limits the 1,000,000-upload sweep touches (default settings, peak while a wave of lanes runs)
${formatQuotaTable(r.quotas)}
`;
}
