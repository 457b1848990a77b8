/**
 * The local stack's moto_server processes: DynamoDB in a process of its own (2, the default) against one moto_server
 * serving S3 and DynamoDB (1), side by side in one run, alternating which goes first; and the whole stack's memory
 * (the node process and every moto_server) during a large sweep and a minute after it. `npm run bench` runs both; alone:
 * `node --expose-gc test/bench/moto-processes.ts` (BENCH_MOTO_UPLOADS 2000, BENCH_MOTO_ROUNDS 2, BENCH_MEMORY_UPLOADS
 * 20000, BENCH_ONLY=compare or memory), which writes test/bench/results/moto-processes.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, round, type MemorySample } from './measure.ts';
import type { SweepRun } from './project.ts';
import { table } from './report.ts';
import { runProjectSweepInItsOwnProcess } from './sweep-process.ts';

export interface ArrangementRun {
  motoProcesses: 1 | 2;
  round: number;
  n: number;
  wallSeconds: number;
  uploadsPerSecond: number;
  /** % of a core over the sweep's wall time */
  s3MotoBusy: number;
  dynamodbMotoBusy?: number;
  nodeBusy: number;
  /** moto_server CPU ms per upload, every moto_server together: what the load on the machine changes least */
  motoCpuMsPerUpload: number;
  verified: boolean;
  recorded: boolean;
}

const busy = (cpuSeconds: number, wall: number) => round((cpuSeconds / wall) * 100, 0);

function arrangementRun(run: SweepRun, motoProcesses: 1 | 2, roundNo: number): ArrangementRun {
  const { wallSeconds, motoCpuSeconds, dynamodbMotoCpuSeconds, nodeCpuSeconds } = run.cpu;
  return {
    motoProcesses,
    round: roundNo,
    n: run.n,
    wallSeconds: round(wallSeconds, 2),
    uploadsPerSecond: round(run.n / wallSeconds),
    s3MotoBusy: busy(motoCpuSeconds, wallSeconds),
    dynamodbMotoBusy: dynamodbMotoCpuSeconds === undefined ? undefined : busy(dynamodbMotoCpuSeconds, wallSeconds),
    nodeBusy: busy(nodeCpuSeconds, wallSeconds),
    motoCpuMsPerUpload: round(((motoCpuSeconds + (dynamodbMotoCpuSeconds ?? 0)) * 1000) / run.n, 1),
    verified: run.verified,
    recorded: run.recorded,
  };
}

/** `rounds` rounds of the verified and recorded sweep of n uploads on each arrangement, the first one alternating */
export async function compareMotoProcesses(n: number, rounds: number, log: (line: string) => void = () => undefined): Promise<ArrangementRun[]> {
  const runs: ArrangementRun[] = [];
  for (let r = 1; r <= rounds; r += 1) {
    for (const motoProcesses of r % 2 ? ([1, 2] as const) : ([2, 1] as const)) {
      const run = arrangementRun(await runProjectSweepInItsOwnProcess({ n, motoProcesses }), motoProcesses, r);
      runs.push(run);
      log(motoProcessesTable([run], false).split('\n')[2]);
    }
  }
  return runs;
}

const ARRANGEMENT = { 1: 'one moto_server (S3 + DynamoDB)', 2: 'two moto_servers (S3; DynamoDB)' } as const;
const HEADER = [
  'round',
  'arrangement',
  'N',
  'wall s',
  'uploads/s',
  'moto S3 busy',
  'moto DynamoDB busy',
  'node busy',
  'moto CPU ms per upload',
  'verified, recorded',
];

/** every run (not the best), then the medians of each arrangement */
export function motoProcessesTable(runs: ArrangementRun[], withMedians = true): string {
  const rows = runs.map((r) => [
    r.round,
    ARRANGEMENT[r.motoProcesses],
    r.n.toLocaleString('en-US'),
    r.wallSeconds,
    r.uploadsPerSecond,
    `${r.s3MotoBusy} %${r.motoProcesses === 1 ? ' (both)' : ''}`,
    r.dynamodbMotoBusy === undefined ? '—' : `${r.dynamodbMotoBusy} %`,
    `${r.nodeBusy} %`,
    r.motoCpuMsPerUpload,
    r.verified && r.recorded ? 'yes' : 'NO',
  ]);
  if (withMedians) {
    for (const p of [1, 2] as const) {
      const of = runs.filter((r) => r.motoProcesses === p);
      if (!of.length) continue;
      const m = (pick: (r: ArrangementRun) => number) => round(median(of.map(pick)), 1);
      rows.push([
        'median',
        ARRANGEMENT[p],
        of[0].n.toLocaleString('en-US'),
        m((r) => r.wallSeconds),
        m((r) => r.uploadsPerSecond),
        `${m((r) => r.s3MotoBusy)} %`,
        p === 1 ? '—' : `${m((r) => r.dynamodbMotoBusy ?? 0)} %`,
        `${m((r) => r.nodeBusy)} %`,
        m((r) => r.motoCpuMsPerUpload),
        of.every((r) => r.verified && r.recorded) ? 'yes' : 'NO',
      ]);
    }
  }
  return table(HEADER, rows);
}

/** the targets: the whole stack under 600 MB at the sweep's peak, back within 50 MB of its pre-sweep size a minute after */
export const MEMORY_TARGET = { peakMb: 600, settledWithinMb: 50, afterSeconds: 60 };

export interface StackMemory {
  n: number;
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  afterSeconds: number;
  ok: boolean;
}

const stackMb = (s: MemorySample) => s.nodeMb + s.motoMb;

export function stackMemory(run: SweepRun): StackMemory {
  const { before, peak, after, afterSeconds = 1 } = run.memory;
  const [beforeMb, afterMb] = [stackMb(before), stackMb(after)];
  const ok = peak.stackMb < MEMORY_TARGET.peakMb && afterMb - beforeMb <= MEMORY_TARGET.settledWithinMb;
  return { n: run.n, beforeMb: round(beforeMb, 0), peakMb: round(peak.stackMb, 0), afterMb: round(afterMb, 0), afterSeconds, ok };
}

/** RSS of each process of the stack: before the sweep, at the whole stack's peak, and after the idle time */
export function stackMemoryTable(run: SweepRun): string {
  const { before, samples, after, afterSeconds = 1 } = run.memory;
  const atPeak = samples.reduce((a, b) => (stackMb(b) > stackMb(a) ? b : a));
  const mb = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x)} MB`);
  const node = (s: MemorySample) => `${mb(s.nodeMb)} (V8 heap ${mb(s.heapMb)} of ${mb(s.heapTotalMb)}, external ${mb(s.externalMb)})`;
  const row = (label: string, s: MemorySample) => [label, node(s), mb(s.motoMbs?.[0]), mb(s.motoMbs?.[1]), mb(stackMb(s))];
  const m = stackMemory(run);
  return `${table(
    ['', 'node (stack, runtime, Lambdas)', 'moto_server S3', 'moto_server DynamoDB', 'whole stack'],
    [row('before the sweep (uploads seeded)', before), row("at the whole stack's peak", atPeak), row(`${afterSeconds} s after it ended (then a GC)`, after)],
  )}\n\nTarget: peak < ${MEMORY_TARGET.peakMb} MB, ${afterSeconds} s after within ${MEMORY_TARGET.settledWithinMb} MB of before: ${m.ok ? 'met' : 'NOT MET'} (peak ${m.peakMb} MB, ${m.afterMb - m.beforeMb >= 0 ? '+' : ''}${m.afterMb - m.beforeMb} MB after).`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.env.BENCH_MOTO_UPLOADS ?? 2000);
  const rounds = Number(process.env.BENCH_MOTO_ROUNDS ?? 2);
  const memoryUploads = Number(process.env.BENCH_MEMORY_UPLOADS ?? 20000);
  const only = process.env.BENCH_ONLY;
  process.env.LOG_LEVEL ??= 'ERROR';
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const results: Record<string, unknown> = { date: new Date().toISOString() };
  if (only !== 'memory') {
    say(`## Two moto_server processes against one, ${n.toLocaleString('en-US')} uploads, ${rounds} rounds\n${table(HEADER, [])}`);
    const runs = await compareMotoProcesses(n, rounds, say);
    say(`\n${motoProcessesTable(runs)}`);
    results.compare = runs;
  }
  if (only !== 'compare') {
    const run = await runProjectSweepInItsOwnProcess({ n: memoryUploads, afterSeconds: MEMORY_TARGET.afterSeconds });
    say(`\n## Memory of the whole stack, ${memoryUploads.toLocaleString('en-US')}-upload sweep\n${stackMemoryTable(run)}`);
    results.memory = { ...stackMemory(run), wallSeconds: run.cpu.wallSeconds, before: run.memory.before, peak: run.memory.peak, after: run.memory.after };
  }
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('moto-processes.json', dir), `${JSON.stringify(results, null, 2)}\n`);
}
