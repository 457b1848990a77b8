/**
 * What the bench measures besides wall time: CPU seconds and RSS of this node process and of moto_server (from
 * /proc/PID/stat and /proc/PID/status), and every AWS request the local stack or a chaos proxy forwards to moto.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ChaosController } from '../../emulator/fault-rules.ts';
import type { RequestIdentity } from '../../emulator/wire.ts';

/** clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ: 100 on Linux) */
const TICKS = 100;

/** CPU seconds (user + system) a process has used, from /proc/PID/stat; undefined when it is gone */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return undefined;
  }
}

/** resident memory of a process in MB, from /proc/PID/status */
export function rssMbOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** the pid of the moto_server serving this port (startMoto does not expose its child's pid) */
export function motoPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('moto_server')) && args.includes(String(port))) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  throw new Error(`no moto_server process serves port ${port}`);
}

export interface CpuUse {
  wallSeconds: number;
  nodeCpuSeconds: number;
  /** moto_server's (the S3 one's when DynamoDB has its own) */
  motoCpuSeconds: number;
  /** the DynamoDB moto_server's, when it is a process of its own */
  dynamodbMotoCpuSeconds?: number;
}

/** wall time and CPU of this process and of moto_server (and of DynamoDB's own) from now until the returned function is called */
export function startCpuMeter(moto: number, dynamodbMoto?: number): () => CpuUse {
  const [started, node, motoCpu] = [performance.now(), process.cpuUsage(), cpuSecondsOf(moto) ?? 0];
  const own = dynamodbMoto !== undefined && dynamodbMoto !== moto ? dynamodbMoto : undefined;
  const dynamodbCpu = own === undefined ? 0 : (cpuSecondsOf(own) ?? 0);
  return () => {
    const used = process.cpuUsage(node);
    return {
      wallSeconds: (performance.now() - started) / 1000,
      nodeCpuSeconds: (used.user + used.system) / 1e6,
      motoCpuSeconds: (cpuSecondsOf(moto) ?? motoCpu) - motoCpu,
      ...(own === undefined ? {} : { dynamodbMotoCpuSeconds: (cpuSecondsOf(own) ?? dynamodbCpu) - dynamodbCpu }),
    };
  };
}

export interface MemorySample {
  atSeconds: number;
  nodeMb: number;
  heapMb: number;
  /** V8's heap as committed, and memory outside it that V8 knows of (Buffers): what of node's RSS is neither is native */
  heapTotalMb?: number;
  externalMb?: number;
  /** every moto_server of the stack together */
  motoMb: number;
  /** each moto_server's, in the order sampleMemory was given them */
  motoMbs?: number[];
}

/** RSS of this process (and its V8 heap) and of every moto_server of the stack every intervalMs until stopped */
export function sampleMemory(motos: number | number[], intervalMs = 250) {
  const started = performance.now();
  const pids = [motos].flat();
  const samples: MemorySample[] = [];
  const sample = () => {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    const motoMbs = pids.map((pid) => rssMbOf(pid) ?? 0);
    const motoMb = motoMbs.reduce((a, b) => a + b, 0);
    const s = {
      atSeconds: (performance.now() - started) / 1000,
      nodeMb: rss / 2 ** 20,
      heapMb: heapUsed / 2 ** 20,
      heapTotalMb: heapTotal / 2 ** 20,
      externalMb: external / 2 ** 20,
      motoMb,
      motoMbs,
    };
    samples.push(s);
    return s;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    samples,
    sample,
    stop() {
      clearInterval(timer);
      sample();
      const peak = (pick: (s: MemorySample) => number) => Math.max(...samples.map(pick));
      return { nodeMb: peak((s) => s.nodeMb), motoMb: peak((s) => s.motoMb), stackMb: peak((s) => s.nodeMb + s.motoMb) };
    },
  };
}

/**
 * Counts every request that passes a chaos controller, by "service:Operation": the local stack's endpoint and the
 * proxy in front of moto ask its decide() once per request, whatever the fault rules (none in the bench).
 */
export function countRequests(chaos: ChaosController) {
  const counts: Record<string, number> = {};
  /** for each ListMultipartUploads, the AbortMultipartUploads sent before it (moto lists what is left: N − these) */
  const abortsBeforeListings: number[] = [];
  const decide = chaos.decide.bind(chaos);
  chaos.decide = (request: RequestIdentity) => {
    const key = `${request.service}:${request.operation ?? '?'}`;
    counts[key] = (counts[key] ?? 0) + 1;
    if (key === 's3:ListMultipartUploads') abortsBeforeListings.push(counts['s3:AbortMultipartUpload'] ?? 0);
    return decide(request);
  };
  return {
    counts,
    abortsBeforeListings,
    reset: () => {
      for (const key of Object.keys(counts)) delete counts[key];
      abortsBeforeListings.length = 0;
    },
    /** S3 and DynamoDB requests only (Step Functions' API is served by the stack itself) */
    awsTotal: () =>
      Object.entries(counts)
        .filter(([key]) => /^(s3|dynamodb):/.test(key))
        .reduce((sum, [, n]) => sum + n, 0),
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const round = (x: number, digits = 1) => Number(x.toFixed(digits));
/** items grouped by key, groups in the order their first item comes, items in their order (ES2023 lacks Map.groupBy) */
export function groupsBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return [...groups.values()];
}
