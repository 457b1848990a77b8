/**
 * npm run bench: what one verified abort costs, measured side by side with the one-shot abort today's tools do.
 * Prints the figures and writes them to test/bench/results/latest.json.
 *  - per clean abort (3 parts): state transitions, history events, AWS requests (counted from the execution), wall time
 *  - the same uploads aborted once with a bare AbortMultipartUpload (what `aws s3api abort-multipart-upload` does)
 *  - 100 concurrent aborts through the local runtime: wall time and executions per second
 *  - the AWS price of one run (Standard transitions + LIST-class requests; DELETE is free)
 *  - POST /aborts on the local stack: warm (50 requests to the running API) and cold (50 fresh processes, each
 *    importing the handler and serving one request), medians
 *  - a sweep of 2,500 uploads over three prefixes (BENCH_SWEEP_UPLOADS) on the local stack: wall time, executions,
 *    state transitions and AWS requests counted from every execution's history, and the price per 100,000 uploads
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalStack } from '../../lib/local/stack.ts';
import { STATE_MACHINES, type StateMachineKey } from '../../lib/settings.ts';
import { awsClients, createBucket, createTable, createUpload, runAbort, startMoto } from '../support/workflow.ts';
import { ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
const SWEEP_UPLOADS = Number(process.env.BENCH_SWEEP_UPLOADS ?? 2_500);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 100);
const PRICE = { transition: 0.025 / 1000, listRequest: 0.005 / 1000 };

const run = promisify(execFile);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const moto = await startMoto();
try {
  const { s3, dynamodb, doc } = awsClients(moto.endpoint);
  await createTable(dynamodb);
  await createBucket(s3, 'bench-uploads');

  const workflow: { ms: number; transitions: number; events: number; requests: number; listParts: number }[] = [];
  const oneShot: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // side by side in the same round: one upload per method, same size
    const a = await createUpload(s3, 'bench-uploads', `workflow/${round}`, [1024, 1024, 512]);
    const b = await createUpload(s3, 'bench-uploads', `one-shot/${round}`, [1024, 1024, 512]);
    let started = performance.now();
    const { execution, record } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: a, waitMs: 0 });
    const ms = performance.now() - started;
    if (record?.status !== 'ABORTED') throw new Error(`round ${round}: ${record?.status}`);
    workflow.push({
      ms, events: execution.history.length,
      transitions: execution.history.filter((e) => e.type.endsWith('StateEntered')).length,
      requests: Object.values(execution.requests).reduce((x, y) => x + y, 0),
      listParts: execution.requests['s3:listParts'] ?? 0,
    });
    started = performance.now();
    await s3.send(new AbortMultipartUploadCommand({ Bucket: b.bucket, Key: b.key, UploadId: b.uploadId }));
    oneShot.push(performance.now() - started);
  }

  const uploads = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => createUpload(s3, 'bench-uploads', `concurrent/${i}`, [256])));
  const started = performance.now();
  const results = await Promise.all(uploads.map((upload) => runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload, waitMs: 0 })));
  const concurrentMs = performance.now() - started;
  const aborted = results.filter((r) => r.record?.status === 'ABORTED').length;

  const one = workflow[0];
  const figures = {
    date: new Date().toISOString(),
    rounds: ROUNDS,
    cleanAbort: {
      stateTransitions: one.transitions, historyEvents: one.events, awsRequests: one.requests, listPartsRequests: one.listParts,
      medianMs: Number(median(workflow.map((w) => w.ms)).toFixed(1)),
      costUsdOnAws: Number((one.transitions * PRICE.transition + one.listParts * PRICE.listRequest).toFixed(7)),
      sameEveryRound: workflow.every((w) => w.transitions === one.transitions && w.requests === one.requests),
    },
    oneShotAbort: { awsRequests: 1, medianMs: Number(median(oneShot).toFixed(1)), verified: false, recorded: false },
    ratioWorkflowToOneShotMs: Number((median(workflow.map((w) => w.ms)) / median(oneShot)).toFixed(1)),
    concurrent: { executions: CONCURRENT, aborted, wallMs: Math.round(concurrentMs), executionsPerSecond: Number((CONCURRENT / (concurrentMs / 1000)).toFixed(1)) },
  };
  Object.assign(figures, { postAborts: await benchPostAborts() });
  Object.assign(figures, { sweep: await benchSweep() });
  console.log(JSON.stringify(figures, null, 2));
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await moto.stop();
}

async function benchPostAborts() {
  process.env.LOG_LEVEL = 'ERROR'; // the handlers' request logs would drown the figures
  const stack = await startLocalStack({ apiPort: 0, waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 0 } });
  try {
    const { s3 } = awsClients(stack.endpoint);
    await createBucket(s3, 'bench-api');
    const uploads = await Promise.all(Array.from({ length: 100 }, (_, i) => createUpload(s3, 'bench-api', `api/${i}`, [16])));
    const warm: number[] = [];
    for (const upload of uploads.slice(0, 50)) {
      const started = performance.now();
      const response = await fetch(`${stack.apiUrl}/aborts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(upload) });
      await response.text();
      warm.push(performance.now() - started);
      if (response.status !== 202) throw new Error(`POST /aborts answered ${response.status}`);
    }
    const cold: number[] = [];
    const coldImport: number[] = [];
    const env = { ...process.env, AWS_ENDPOINT_URL: stack.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', RECORDS_TABLE: stack.tableName, ABORT_STATE_MACHINE_ARN: stack.stateMachineArns.abortUpload, ALLOWED_BUCKETS: '*', LOG_LEVEL: 'ERROR' };
    for (const upload of uploads.slice(50)) {
      const { stdout } = await run(process.execPath, [fileURLToPath(new URL('./cold-post.ts', import.meta.url)), JSON.stringify(upload)], { env });
      const { importMs, firstRequestMs } = JSON.parse(stdout.trim().split('\n').pop()!) as { importMs: number; firstRequestMs: number };
      coldImport.push(importMs);
      cold.push(importMs + firstRequestMs);
    }
    return {
      requests: { warm: warm.length, cold: cold.length },
      warmMedianMs: Number(median(warm).toFixed(1)),
      coldMedianMs: Number(median(cold).toFixed(1)),
      coldImportMedianMs: Number(median(coldImport).toFixed(1)),
      ratioColdToWarm: Number((median(cold) / median(warm)).toFixed(1)),
      note: 'local stack on loopback: warm = HTTP round trip through the local API adapter; cold = module import (middy, SDK clients) + first request, in a fresh node process',
    };
  } finally {
    await stack.stop();
  }
}

async function benchSweep() {
  const stack = await startLocalStack({ waitTimeOverrides: { 'Wait for in-flight parts': 0, 'Wait for the runs': 200 } });
  try {
    const config = { endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, forcePathStyle: true };
    const { s3 } = awsClients(stack.endpoint);
    await createBucket(s3, 'bench-sweep');
    const prefixes = ['logs/', 'tmp/', 'media/'];
    for (let i = 0; i < SWEEP_UPLOADS; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, SWEEP_UPLOADS - i) }, (_, j) => createUpload(s3, 'bench-sweep', `${prefixes[(i + j) % 3]}f-${i + j}`, [64])));
    }
    const sfn = new SFNClient(config);
    const started = performance.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.stateMachineArns.sweepUploads, name: 'bench-sweep', input: JSON.stringify({ targets: [{ bucket: 'bench-sweep', olderThan: '1d' }] }) }));
    const sweep = await stack.runtime.waitForExecution(executionArn!);
    const wallMs = performance.now() - started;
    const perMachine: Record<string, { executions: number; transitions: number; requests: number; maxHistoryEvents: number }> = {};
    for (const key of Object.keys(STATE_MACHINES) as StateMachineKey[]) {
      const { executions } = stack.runtime.listExecutions({ stateMachineArn: stack.stateMachineArns[key], maxResults: 1_000_000 });
      const totals = { executions: executions.length, transitions: 0, requests: 0, maxHistoryEvents: 0 };
      for (const e of executions) {
        const full = await stack.runtime.waitForExecution(e.executionArn);
        totals.transitions += full.history.filter((h) => h.type.endsWith('StateEntered')).length;
        totals.requests += Object.values(full.requests).reduce((a, b) => a + b, 0);
        totals.maxHistoryEvents = Math.max(totals.maxHistoryEvents, full.history.length);
      }
      perMachine[key] = totals;
    }
    const transitions = Object.values(perMachine).reduce((a, m) => a + m.transitions, 0);
    const listRequests = Object.values(perMachine).reduce((a, m) => a + m.requests, 0);
    const perUpload = transitions / SWEEP_UPLOADS;
    return {
      uploads: SWEEP_UPLOADS, status: sweep.status, output: sweep.output ? JSON.parse(sweep.output) : undefined, wallMs: Math.round(wallMs),
      uploadsPerSecond: Number((SWEEP_UPLOADS / (wallMs / 1000)).toFixed(1)), perMachine, transitions, awsRequests: listRequests,
      transitionsPerUpload: Number(perUpload.toFixed(1)),
      estimateFor100k: {
        transitions: Math.round(perUpload * 100_000),
        stepFunctionsUsd: Number((perUpload * 100_000 * PRICE.transition).toFixed(2)),
        note: 'Standard transitions at $0.025/1,000; LIST requests (ListParts, ListMultipartUploads) add $0.005/1,000; DynamoDB on-demand writes ~$1.25/million',
      },
    };
  } finally {
    await stack.stop();
  }
}
