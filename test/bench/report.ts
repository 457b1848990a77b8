/** The bench's rows and tables: one row per (tool, N, latency), what bounds it, the ratios, Markdown for the terminal and report.md. */
import type { PeerName, PeerRun } from './peers.ts';
import type { SweepRun } from './project.ts';
import { availableParallelism } from 'node:os';
import { groupsBy, median, round } from './measure.ts';

export interface Row {
  tool: string;
  toolKey: 'project' | 'projectLean' | PeerName;
  n: number;
  latencyMs: number;
  runLabel: string;
  wallSeconds: number;
  uploadsPerSecond: number;
  msPerUpload: number;
  requestsPerUpload: number;
  requests: string;
  transitions: string;
  verified: string;
  recorded: string;
  allGone: boolean;
  /** CPU seconds; moto: the S3 moto_server (and DynamoDB's when one serves both), dynamodbMoto: DynamoDB's own */
  cpu: { node: number; moto: number; dynamodbMoto?: number; peer?: number };
  bound: string;
  /** the race round (boto3 and both sweeps alternating at one N): its ratios are taken within the round */
  round?: number;
}

export const PROJECT = "this project's sweep";
/** the sweep without the measuring ListParts (--no-measure): verified and recorded, no parts or bytes in the records */
export const PROJECT_LEAN = "this project's sweep, --no-measure";
const runLabel = (n: number, latencyMs: number) => `${n.toLocaleString('en-US')}${latencyMs ? ` +${latencyMs} ms` : ''}`;
const perUpload = (requests: Record<string, number>, n: number) =>
  Object.entries(requests)
    .sort((a, b) => b[1] - a[1])
    .filter(([, count]) => count / n >= 0.005)
    .map(([key, count]) => `${round(count / n, 2)} ${key.split(':')[1]}`)
    .join(' + ');
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** what bounds a run, from the CPU each process used over the wall time and the requests in flight under added latency */
export function bound(wall: number, cpu: Row['cpu'], requests: number, latencyMs: number): string {
  const busy = (s: number | undefined) => Math.round(((s ?? 0) / wall) * 100);
  const [s3Moto, dynamodbMoto, node, peer] = [busy(cpu.moto), busy(cpu.dynamodbMoto), busy(cpu.node), busy(cpu.peer)];
  const moto = Math.max(s3Moto, dynamodbMoto);
  const inFlight = (requests * latencyMs) / 1000 / wall;
  const motos = cpu.dynamodbMoto === undefined ? `moto ${s3Moto}%` : `moto S3 ${s3Moto}%, moto DynamoDB ${dynamodbMoto}%`;
  const shares = `${motos}, node ${node}%${cpu.peer === undefined ? '' : `, tool ${peer}%`} of a core`;
  if (moto >= 75) return `moto_server's one core (${shares})`;
  if (latencyMs && moto < 60) return `latency × concurrency: ≈ ${inFlight.toFixed(1)} requests in flight × ${latencyMs} ms (${shares})`;
  if (peer >= 75) return `the tool's own CPU (${shares})`;
  if (node >= 75) return `the node process: runtime, Lambdas, proxies (${shares})`;
  if (s3Moto + dynamodbMoto + node + peer >= 160) return `the 2 shared cores (${shares})`;
  return `no single resource (${shares})`;
}

/** CPU seconds of every process of a run: the stack's, or the tool's and its moto_server's and proxy's */
const cpuSeconds = (r: Row) => r.cpu.node + r.cpu.moto + (r.cpu.dynamodbMoto ?? 0) + (r.cpu.peer ?? 0);

/**
 * The most a design's ratio over a peer could be on `cores` cores at its measured CPU: its CPU spread over every core
 * with none idle is the least wall time it can take. A target above it is out of reach until the design uses less CPU.
 */
export const cpuCeiling = (design: Row, peer: Row, cores: number) => round((peer.wallSeconds * cores) / cpuSeconds(design), 2);

/** the figures every row has: N, latency, wall time and what it makes per upload */
function rates(n: number, latencyMs: number, wallSeconds: number, requests: Record<string, number>) {
  return {
    n,
    latencyMs,
    runLabel: runLabel(n, latencyMs),
    wallSeconds: round(wallSeconds, 2),
    uploadsPerSecond: round(n / wallSeconds),
    msPerUpload: round((wallSeconds * 1000) / n, 2),
    requestsPerUpload: round(sum(requests) / n, 2),
    requests: perUpload(requests, n),
  };
}
export function projectRow(run: SweepRun): Row {
  const { n, latencyMs, cpu } = run;
  const standard = sum(run.standardTransitions);
  const c = { node: cpu.nodeCpuSeconds, moto: cpu.motoCpuSeconds, dynamodbMoto: cpu.dynamodbMotoCpuSeconds };
  const measured = run.measure;
  return {
    tool: measured ? PROJECT : PROJECT_LEAN,
    toolKey: measured ? 'project' : 'projectLean',
    ...rates(n, latencyMs, cpu.wallSeconds, run.requests),
    transitions: `${round(standard / n, 4)} Standard (${standard} in all) + ${round(run.expressStates / n, 1)} Express`,
    verified: run.verified ? 'yes (ListParts after the wait)' : 'NO',
    recorded: run.recorded ? 'yes (a record per upload)' : 'NO',
    allGone: run.left === 0,
    cpu: c,
    bound: bound(cpu.wallSeconds, c, sum(run.requests), latencyMs),
  };
}

const TOOL_LABEL: Record<PeerName, string> = { boto3: 'boto3, 16 threads', rclone: 'rclone backend cleanup', awsCli: 'AWS CLI loop' };

export function peerRow(run: PeerRun): Row {
  const { n, latencyMs, cpu, tool } = run;
  const c = { node: cpu.nodeCpuSeconds, moto: cpu.motoCpuSeconds, peer: cpu.peerCpuSeconds };
  const verified = tool === 'boto3' ? (JSON.parse(run.output) as { verified: number }) : undefined;
  return {
    tool: TOOL_LABEL[tool],
    toolKey: tool,
    ...rates(n, latencyMs, cpu.wallSeconds, run.requests),
    transitions: '—',
    verified: verified ? `once (${verified.verified} of ${n} gone at its ListParts)` : 'no',
    recorded: 'no',
    allGone: run.left === 0,
    cpu: c,
    bound: bound(cpu.wallSeconds, c, sum(run.requests), latencyMs),
  };
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const RESULT_HEADER = [
  'N',
  'tool',
  'wall s',
  'uploads/s',
  'ms/upload',
  'requests/upload',
  'of which',
  'states entered/upload',
  'verified',
  'recorded',
  'all gone',
  'CPU s (node / moto / tool)',
  'bound by',
];
export const resultCells = (r: Row) => [
  r.runLabel,
  r.tool,
  r.wallSeconds,
  r.uploadsPerSecond,
  r.msPerUpload,
  r.requestsPerUpload,
  r.requests,
  r.transitions,
  r.verified,
  r.recorded,
  r.allGone ? 'yes' : 'NO',
  `${round(r.cpu.node)} / ${round(r.cpu.moto)}${r.cpu.dynamodbMoto === undefined ? '' : ` + ${round(r.cpu.dynamodbMoto)} DynamoDB`} / ${r.cpu.peer === undefined ? '—' : round(r.cpu.peer)}`,
  r.bound,
];

/**
 * Each design of the project: its uploads/s over each peer's, per (N, latency) measured in this run. A run of a race
 * round is paired with the peer's run of the same round (the machine's speed drifts between minutes), or else with the
 * peer's only run at that N; a design raced in more than one round also gets a median row of its rounds' ratios.
 */
export function ratios(rows: Row[], cores = availableParallelism()) {
  const paired = rows
    .filter((r) => r.toolKey === 'project' || r.toolKey === 'projectLean')
    .flatMap((p) => {
      const peer = (key: PeerName) => {
        const at = rows.filter((r) => r.toolKey === key && r.n === p.n && r.latencyMs === p.latencyMs);
        return at.find((r) => r.round !== undefined && r.round === p.round) ?? at.find((r) => r.round === undefined);
      };
      const [boto3, rclone] = [peer('boto3'), peer('rclone')];
      if (!boto3 && !rclone) return [];
      return [
        {
          run: p.runLabel,
          round: p.round === undefined ? '—' : String(p.round),
          design: p.tool,
          project: p.uploadsPerSecond,
          vsBoto3: boto3 ? round(p.uploadsPerSecond / boto3.uploadsPerSecond, 2) : undefined,
          vsRclone: rclone ? round(p.uploadsPerSecond / rclone.uploadsPerSecond, 2) : undefined,
          ceilingVsBoto3: boto3 ? cpuCeiling(p, boto3, cores) : undefined,
          ceilingVsRclone: rclone ? cpuCeiling(p, rclone, cores) : undefined,
        },
      ];
    });
  const raced = paired.filter((x) => x.round !== '—');
  const medians = groupsBy(raced, (x) => `${x.run}\n${x.design}`).flatMap((of) => {
    if (of.length < 2) return [];
    const mid = (pick: (x: (typeof of)[number]) => number | undefined) => {
      const values = of.map(pick).filter((v): v is number => v !== undefined);
      return values.length ? round(median(values), 2) : undefined;
    };
    return [
      {
        run: of[0].run,
        round: `median of ${of.length}`,
        design: of[0].design,
        project: mid((x) => x.project) ?? 0,
        vsBoto3: mid((x) => x.vsBoto3),
        vsRclone: mid((x) => x.vsRclone),
        ceilingVsBoto3: mid((x) => x.ceilingVsBoto3),
        ceilingVsRclone: mid((x) => x.ceilingVsRclone),
      },
    ];
  });
  return [...paired, ...medians];
}

/** the speed targets: each design over a peer, without or with the added latency; the median of its race rounds where it raced */
export const SPEED_TARGETS = [
  { design: PROJECT, peer: 'boto3', latency: false, atLeast: 1 },
  { design: PROJECT_LEAN, peer: 'boto3', latency: false, atLeast: 1.3 },
  { design: PROJECT, peer: 'rclone', latency: true, atLeast: 2.5 },
  { design: PROJECT_LEAN, peer: 'rclone', latency: true, atLeast: 2.5 },
] as const;

/**
 * Each target against this run's ratio (a median row when the design raced in rounds); ratio undefined: not run.
 * ceiling: the most the machine's cores allow at the design's measured CPU (cpuCeiling).
 */
export function speedTargets(rows: Row[], at: { raceUploads: number; latencyUploads: number; latencyMs: number }, cores = availableParallelism()) {
  const all = ratios(rows, cores);
  return SPEED_TARGETS.map((t) => {
    const run = t.latency ? runLabel(at.latencyUploads, at.latencyMs) : runLabel(at.raceUploads, 0);
    const of = all.filter((x) => x.run === run && x.design === t.design);
    const x = of.find((r) => r.round.startsWith('median')) ?? of[0];
    const ratio = x ? (t.peer === 'boto3' ? x.vsBoto3 : x.vsRclone) : undefined;
    const ceiling = x ? (t.peer === 'boto3' ? x.ceilingVsBoto3 : x.ceilingVsRclone) : undefined;
    return { ...t, run, ratio, ceiling, met: ratio !== undefined && ratio >= t.atLeast };
  });
}

export function speedTargetTable(targets: ReturnType<typeof speedTargets>): string {
  const peerLabel = { boto3: 'boto3, 16 threads', rclone: 'rclone backend cleanup' };
  return table(
    ['N', 'design', 'against', 'target', 'this run', 'at most, every core busy', ''],
    targets.map((t) => [
      t.run,
      t.design,
      peerLabel[t.peer],
      `≥ ${t.atLeast} ×`,
      t.ratio === undefined ? 'not run' : `${t.ratio} ×`,
      t.ceiling === undefined ? '—' : `${t.ceiling} ×`,
      t.ratio === undefined ? '—' : t.met ? 'met' : t.ceiling !== undefined && t.ceiling < t.atLeast ? 'NOT MET: above what its CPU allows' : 'NOT MET',
    ]),
  );
}
