/**
 * The bench's scan row: `mpu-reaper scan` (its own node process, as a user runs it) beside a boto3 script with 16
 * threads doing ListMultipartUploads + ListParts per upload, each on a fresh moto_server with N uploads of one 1 KiB
 * part, through the stack's proxy (S3's paging, real initiation times), every request counted.
 * Alone: `node test/bench/scan.ts` (BENCH_SCAN_UPLOADS, default 5000) prints the table and the JSON.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startChaosProxy } from '../../emulator/chaos.ts';
import { startMoto } from '../../emulator/moto.ts';
import { countRequests, motoPid, round, startCpuMeter } from './measure.ts';
import { detectPeers } from './peers.ts';
import { BUCKET } from './project.ts';
import { seedUploads } from './seed.ts';

const exec = promisify(execFile);
const BOTO3_SCAN = fileURLToPath(new URL('./peers/boto3_scan.py', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/mpu-reaper.ts', import.meta.url));

export interface ScanRun {
  tool: 'mpu-reaper scan' | 'boto3 scan, 16 threads';
  n: number;
  seconds: number;
  uploadsPerSecond: number;
  uploadsFound: number;
  requests: Record<string, number>;
  motoCpuSeconds: number;
}

/** one scan of N fresh uploads on its own moto_server; the tool runs as its own process against the proxy */
export async function benchScan(tool: ScanRun['tool'], n: number): Promise<ScanRun> {
  const moto = await startMoto();
  try {
    await seedUploads(moto.endpoint, BUCKET, n);
    const proxy = await startChaosProxy({ target: moto.endpoint });
    try {
      const counter = countRequests(proxy.chaos);
      const meter = startCpuMeter(motoPid(moto.port));
      const started = performance.now();
      const env = { ...process.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
      const [command, args] =
        tool === 'mpu-reaper scan' ? [process.execPath, [CLI, 'scan', '--bucket', BUCKET, '--json']] : ['python3', [BOTO3_SCAN, proxy.endpoint, BUCKET, '16']];
      const { stdout } = await exec(command, args, { env, maxBuffer: 64 * 2 ** 20, timeout: 900_000 });
      const seconds = (performance.now() - started) / 1000;
      const out = JSON.parse(stdout);
      const uploadsFound = tool === 'mpu-reaper scan' ? out.totals.uploads : out.uploads;
      return {
        tool,
        n,
        seconds: round(seconds, 2),
        uploadsPerSecond: round(n / seconds),
        uploadsFound,
        requests: { ...counter.counts },
        motoCpuSeconds: round(meter().motoCpuSeconds, 2),
      };
    } finally {
      await proxy.close();
    }
  } finally {
    await moto.stop();
  }
}

/** both tools on N uploads (boto3 only where python3 has it) */
export async function benchScans(n: number): Promise<ScanRun[]> {
  const runs = [await benchScan('mpu-reaper scan', n)];
  if ((await detectPeers()).some((p) => p.name === 'boto3' && p.available)) runs.push(await benchScan('boto3 scan, 16 threads', n));
  return runs;
}

export function scanTable(runs: ScanRun[]): string {
  const rows = runs.map(
    (r) =>
      `| ${r.tool} | ${r.n.toLocaleString('en-US')} | ${r.uploadsFound.toLocaleString('en-US')} | ${r.seconds} s | ${r.uploadsPerSecond}/s | ${r.requests['s3:ListMultipartUploads'] ?? 0} | ${r.requests['s3:ListParts'] ?? 0} | ${r.motoCpuSeconds} s |`,
  );
  return ['| tool | uploads | found | time | uploads/s | ListMultipartUploads | ListParts | moto CPU |', '|---|---|---|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = await benchScans(Number(process.env.BENCH_SCAN_UPLOADS ?? 5000));
  process.stdout.write(`${scanTable(runs)}\n${JSON.stringify(runs)}\n`);
}
