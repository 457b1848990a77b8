/**
 * The tools users run instead of this project, run against moto_server exactly as a user would: rclone's
 * `backend cleanup`, an AWS CLI loop, a boto3 script with 16 threads that verifies each abort. The bench installs none
 * of them: it runs the ones present and says which it could not run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startChaosProxy } from '../../emulator/chaos.ts';
import { startMoto } from '../../emulator/moto.ts';
import { countRequests, motoPid, startCpuMeter, type CpuUse } from './measure.ts';
import { BUCKET } from './project.ts';
import { seedUploads, uploadsLeft } from './seed.ts';

const exec = promisify(execFile);

export type PeerName = 'boto3' | 'rclone' | 'awsCli';

export interface Peer {
  name: PeerName;
  label: string;
  verified: 'once' | 'no';
  available: boolean;
  version?: string;
  /** why it cannot run, and how to install it */
  missing?: string;
}

const LABELS: Record<PeerName, string> = {
  boto3: 'boto3, 16 threads: ListParts + abort + ListParts',
  rclone: 'rclone backend cleanup',
  awsCli: 'AWS CLI loop (aws s3api)',
};

/** rclone 1.60 fails while AWS_CA_BUNDLE is set (shared/local-stack.md); its remote comes from the environment */
function rcloneEnv(endpoint: string): NodeJS.ProcessEnv {
  const { AWS_CA_BUNDLE: _unset, ...env } = process.env;
  return {
    ...env,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_S3_TYPE: 's3',
    RCLONE_CONFIG_S3_PROVIDER: 'Other',
    RCLONE_CONFIG_S3_ENDPOINT: endpoint,
    RCLONE_CONFIG_S3_ACCESS_KEY_ID: 'bench',
    RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: 'bench',
    RCLONE_CONFIG_S3_REGION: 'us-east-1',
    RCLONE_CONFIG_S3_FORCE_PATH_STYLE: 'true',
  };
}

const awsEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
});

async function probe(name: PeerName, command: string, args: string[], hint: string, env?: NodeJS.ProcessEnv): Promise<Peer> {
  const peer = { name, label: LABELS[name], verified: name === 'boto3' ? 'once' : 'no' } as const;
  try {
    const { stdout, stderr } = await exec(command, args, { env, timeout: 30_000 });
    return { ...peer, available: true, version: `${stdout}${stderr}`.trim().split('\n')[0] };
  } catch (error) {
    return { ...peer, available: false, missing: `${(error as Error).message.split('\n')[0]} — install: ${hint}` };
  }
}

/** which peers can run here (nothing is installed) */
export function detectPeers(): Promise<Peer[]> {
  return Promise.all([
    probe('boto3', 'python3', ['-c', 'import boto3; print("boto3", boto3.__version__)'], 'pip install boto3 (moto depends on it)'),
    probe('rclone', 'rclone', ['version'], 'apt-get install rclone', rcloneEnv('http://127.0.0.1:1')),
    probe('awsCli', 'aws', ['--version'], 'pip install awscli, or apt-get install awscli', awsEnv()),
  ]);
}

const SCRIPT = fileURLToPath(new URL('./peers/boto3_sweep.py', import.meta.url));
/** GNU time reports the CPU a peer's process used (absent: the peer's CPU is not reported) */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export interface PeerResult {
  cpuSeconds?: number;
  output: string;
}

/** runs one peer against the endpoint (a proxy in front of moto_server); throws if it fails */
export async function runPeer(name: PeerName, endpoint: string, bucket: string): Promise<PeerResult> {
  const [command, args, env]: [string, string[], NodeJS.ProcessEnv] = {
    boto3: (): [string, string[], NodeJS.ProcessEnv] => ['python3', [SCRIPT, endpoint, bucket, '16'], process.env],
    rclone: (): [string, string[], NodeJS.ProcessEnv] => ['rclone', ['backend', 'cleanup', `s3:${bucket}`, '-o', 'max-age=0s'], rcloneEnv(endpoint)],
    awsCli: (): [string, string[], NodeJS.ProcessEnv] => [
      'bash',
      [
        '-c',
        [
          'set -euo pipefail',
          `aws s3api list-multipart-uploads --endpoint-url "$0" --bucket "$1" --query 'Uploads[].[Key,UploadId]' --output text |`,
          "  while IFS=$'\\t' read -r key id; do",
          '    [ "$key" = None ] || aws s3api abort-multipart-upload --endpoint-url "$0" --bucket "$1" --key "$key" --upload-id "$id"',
          '  done',
        ].join('\n'),
        endpoint,
        bucket,
      ],
      awsEnv(),
    ],
  }[name]();
  const timed = TIME ? ([TIME, ['-f', 'peer-cpu %U %S', command, ...args]] as const) : ([command, args] as const);
  const { stdout, stderr } = await exec(timed[0], [...timed[1]], { env, maxBuffer: 64 * 2 ** 20, timeout: 900_000 });
  const cpu = /peer-cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined, output: stdout.trim() };
}

export interface PeerRun {
  tool: PeerName;
  n: number;
  latencyMs: number;
  cpu: CpuUse & { peerCpuSeconds?: number };
  seedSeconds: number;
  /** S3 requests by "s3:Operation", counted by the proxy in front of moto_server */
  requests: Record<string, number>;
  left: number;
  output: string;
}

/** one peer on its own fresh moto_server with N fresh uploads, through a proxy that adds latencyMs to every request */
export async function benchPeer(tool: PeerName, n: number, latencyMs = 0): Promise<PeerRun> {
  const moto = await startMoto();
  try {
    const { seconds: seedSeconds } = await seedUploads(moto.endpoint, BUCKET, n);
    const proxy = await startChaosProxy({ target: moto.endpoint, chaos: { effects: { latency: latencyMs } } });
    try {
      const counter = countRequests(proxy.chaos);
      const meter = startCpuMeter(motoPid(moto.port));
      const { cpuSeconds, output } = await runPeer(tool, proxy.endpoint, BUCKET);
      const cpu = { ...meter(), peerCpuSeconds: cpuSeconds };
      return { tool, n, latencyMs, cpu, seedSeconds, requests: { ...counter.counts }, left: await uploadsLeft(moto.endpoint, BUCKET), output };
    } finally {
      await proxy.close();
    }
  } finally {
    await moto.stop();
  }
}
