/**
 * The per-upload Standard path (abort-upload: API, CLI and event aborts, stubborn sweep uploads): one clean abort of a
 * 3-part upload, its state transitions and every S3/DynamoDB request (Tasks and Lambdas, counted by a proxy in front
 * of moto_server), side by side with a bare AbortMultipartUpload; and POST /aborts on the local stack, warm and cold.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { startChaosProxy } from '../../emulator/chaos.ts';
import { startLocalStack } from '../../emulator/stack.ts';
import { ABORT_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';
import { awsClients, createBucket, createTable, createUpload, runAbort, startMoto } from '../support/workflow.ts';
import { countRequests, median, round } from './measure.ts';

const run = promisify(execFile);

export interface CleanAbort {
  rounds: number;
  stateTransitions: number;
  historyEvents: number;
  /** S3 and DynamoDB requests of one run, by "service:Operation" (Tasks and Lambdas) */
  requests: Record<string, number>;
  awsRequests: number;
  sameEveryRound: boolean;
  medianMs: number;
  oneShotMedianMs: number;
}

export async function benchCleanAbort(rounds: number): Promise<CleanAbort> {
  const moto = await startMoto();
  const proxy = await startChaosProxy({ target: moto.endpoint });
  const direct = awsClients(moto.endpoint);
  const counted = awsClients(proxy.endpoint);
  const counter = countRequests(proxy.chaos);
  try {
    await createTable(direct.dynamodb);
    await createBucket(direct.s3, 'bench-abort');
    const runs: Array<{ ms: number; transitions: number; events: number; requests: Record<string, number> }> = [];
    const oneShot: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // side by side in the same round: one upload per method, same size
      const a = await createUpload(direct.s3, 'bench-abort', `workflow/${round}`, [1024, 1024, 512]);
      const b = await createUpload(direct.s3, 'bench-abort', `one-shot/${round}`, [1024, 1024, 512]);
      counter.reset();
      let started = performance.now();
      const { execution, record } = await runAbort({ dispatcherEndpoint: proxy.endpoint, doc: counted.doc, upload: a, waitMs: 0 });
      const ms = performance.now() - started;
      if (record?.status !== 'ABORTED') throw new Error(`round ${round}: ${record?.status}`);
      // runAbort reads the record back through the counted client once the run has ended: that GetItem is the
      // harness's, not the workflow's
      const requests = Object.fromEntries(
        Object.entries(counter.counts)
          .filter(([key]) => /^(s3|dynamodb):/.test(key))
          .map(([key, count]) => [key, key === 'dynamodb:GetItem' ? count - 1 : count] as const)
          .filter(([, count]) => count > 0),
      );
      runs.push({ ms, events: execution.history.length, transitions: execution.history.filter((e) => e.type.endsWith('StateEntered')).length, requests });
      started = performance.now();
      await direct.s3.send(new AbortMultipartUploadCommand({ Bucket: b.bucket, Key: b.key, UploadId: b.uploadId }));
      oneShot.push(performance.now() - started);
    }
    const [one] = runs;
    const total = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);
    return {
      rounds,
      stateTransitions: one.transitions,
      historyEvents: one.events,
      requests: one.requests,
      awsRequests: total(one.requests),
      sameEveryRound: runs.every((r) => r.transitions === one.transitions && total(r.requests) === total(one.requests)),
      medianMs: round(median(runs.map((r) => r.ms))),
      oneShotMedianMs: round(median(oneShot)),
    };
  } finally {
    for (const c of [direct, counted]) {
      c.s3.destroy();
      c.dynamodb.destroy();
    }
    await proxy.close();
    await moto.stop();
  }
}

export interface PostAborts {
  warm: number;
  cold: number;
  warmMedianMs: number;
  coldMedianMs: number;
  coldImportMedianMs: number;
}

/** POST /aborts: warm (requests to the running API) and cold (fresh processes, each importing the handler and serving one request) */
export async function benchPostAborts(warmRequests: number, coldRequests: number): Promise<PostAborts> {
  const stack = await startLocalStack({ apiPort: 0, waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 0 } });
  try {
    const { s3 } = awsClients(stack.endpoint);
    await createBucket(s3, 'bench-api');
    const uploads = await Promise.all(Array.from({ length: warmRequests + coldRequests }, (_, i) => createUpload(s3, 'bench-api', `api/${i}`, [16])));
    const warm: number[] = [];
    for (const upload of uploads.slice(0, warmRequests)) {
      const started = performance.now();
      const response = await fetch(`${stack.apiUrl}/aborts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(upload) });
      await response.text();
      warm.push(performance.now() - started);
      if (response.status !== 202) throw new Error(`POST /aborts answered ${response.status}`);
    }
    const [cold, coldImport]: number[][] = [[], []];
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: stack.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      RECORDS_TABLE: stack.tableName,
      ABORT_STATE_MACHINE_ARN: stack.stateMachineArns.abortUpload,
      ALLOWED_BUCKETS: '*',
      LOG_LEVEL: 'ERROR',
      RECORD_RETENTION_SECONDS: String(ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds),
    };
    for (const upload of uploads.slice(warmRequests)) {
      const { stdout } = await run(process.execPath, [fileURLToPath(new URL('./cold-post.ts', import.meta.url)), JSON.stringify(upload)], { env });
      const { importMs, firstRequestMs } = JSON.parse(stdout.trim().split('\n').pop()!) as { importMs: number; firstRequestMs: number };
      coldImport.push(importMs);
      cold.push(importMs + firstRequestMs);
    }
    s3.destroy();
    return {
      warm: warm.length,
      cold: cold.length,
      warmMedianMs: round(median(warm)),
      coldMedianMs: round(median(cold)),
      coldImportMedianMs: round(median(coldImport)),
    };
  } finally {
    await stack.stop();
  }
}
