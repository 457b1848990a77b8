/**
 * npm run bench: what one verified abort costs, measured side by side with the one-shot abort today's tools do.
 * Prints the figures and writes them to test/bench/results/latest.json.
 *  - per clean abort (3 parts): state transitions, history events, AWS requests (counted from the execution), wall time
 *  - the same uploads aborted once with a bare AbortMultipartUpload (what `aws s3api abort-multipart-upload` does)
 *  - 100 concurrent aborts through the local runtime: wall time and executions per second
 *  - the AWS price of one run (Standard transitions + LIST-class requests; DELETE is free)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { awsClients, createBucket, createTable, createUpload, runAbort, startMoto } from '../support/workflow.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 100);
const PRICE = { transition: 0.025 / 1000, listRequest: 0.005 / 1000 };

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
  console.log(JSON.stringify(figures, null, 2));
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await moto.stop();
}
