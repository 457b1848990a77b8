/**
 * This project's sweep on the local stack (moto_server + the strict local runtime + the endpoint), as a user starts
 * it: StartExecution of sweep-uploads through the endpoint, then wait for it. Counts every AWS request (Tasks and
 * Lambdas), the states entered by every execution (STANDARD: billed transitions; EXPRESS pages: billed per request),
 * CPU of node and moto_server, and RSS while it runs.
 */
import { queryNewestFirst } from '../../lib/api/listing.ts';
import { INDEX_BY_STARTED_AT, shardKeys, UPLOAD_RECORD_TYPE } from '../../lib/records.ts';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { get } from 'node:http';
import { startLocalStack } from '../../emulator/stack.ts';
import { LISTING_PAGE_HEADER, listingPageHint } from '../../emulator/list-uploads-paging.ts';
import type { HistoryEvent, LocalExecution } from '../../emulator/execution.ts';
import { LOCAL_SETTINGS, STATE_MACHINES, type Settings, type StateMachineKey } from '../../lib/settings.ts';
import { transactItemUnits, writeUnits } from './cost.ts';
import { ledgerId, ledgerMonth } from '../../lib/ledger.ts';
import { checkpointId } from '../../lib/sweep/state.ts';
import { isPartsWait, measuredDesign, type MeasuredDesign, type SweepMeasure } from '../support/sweep-design.ts';
import { countRequests, cpuSecondsOf, median, motoPid, rssMbOf, sampleMemory, startCpuMeter, type CpuUse, type MemorySample } from './measure.ts';
import { seedUploadsInItsOwnProcess, uploadsLeft } from './seed.ts';
import { roundTrips, type RoundTrips } from './round-trips.ts';
import { pagePhaseMeter, type PagePhase } from './phases.ts';

export const BUCKET = 'bench-uploads';
/** the history event that ends an execution: its Task requests are all counted then */
const ENDED = /^Execution(Succeeded|Failed|Aborted|TimedOut)$/;

export interface SweepRun {
  n: number;
  latencyMs: number;
  /** the sweep measured each upload (ListParts before the abort) */
  measure: boolean;
  status: string;
  cpu: CpuUse;
  seedSeconds: number;
  /** S3 and DynamoDB requests by "service:Operation", all of them (Tasks and Lambdas) */
  requests: Record<string, number>;
  /** states entered: STANDARD executions (billed transitions) by machine, EXPRESS page executions */
  standardTransitions: Record<string, number>;
  expressStates: number;
  pageExecutions: number;
  summary: Record<string, unknown>;
  left: number;
  verified: boolean;
  recorded: boolean;
  design: MeasuredDesign;
  /** the counts the design was made of (the time model's page shape: test/bench/model-check.ts) */
  counts: SweepMeasure;
  /** buckets the n uploads were spread over, one target each */
  buckets: number;
  /** the idle stack's round trips, measured before the sweep (options.roundTrips) */
  roundTrips?: RoundTrips;
  /**
   * moto_server filters and sorts the whole bucket's uploads for every ListMultipartUploads, then serializes the page's
   * (emulator/list-uploads-paging.ts, emulator/python/sitecustomize.py):
   * its CPU for one listing of the N seeded uploads, measured before the sweep, and the sweep's listings estimated from
   * it (each listing costs in proportion to the uploads still in the bucket: N − the aborts sent before it)
   */
  listing: { calls: number; motoSecondsForN: number; uploadsSerialized: number; estimatedMotoSeconds: number };
  memory: {
    fresh: { nodeMb: number; motoMb: number };
    before: MemorySample;
    peak: { nodeMb: number; motoMb: number; stackMb: number };
    after: MemorySample;
    samples: MemorySample[];
    /** seconds the stack was left idle after the sweep before `after` (RSS sampled every second meanwhile: afterSamples) */
    afterSeconds?: number;
    afterSamples?: MemorySample[];
  };
  /** moto_server processes of the stack: 2 (DynamoDB in its own) or 1 */
  motoProcesses?: 1 | 2;
  /** each Task and Map state of the pages: its time and the CPU each process used meanwhile (test/bench/phases.ts) */
  phases: PagePhase[];
}

const lower = (s: string) => `${s[0].toLowerCase()}${s.slice(1)}`;

export interface ProjectSweepOptions {
  n: number;
  latencyMs?: number;
  measure?: boolean;
  /** n uploads over this many buckets, one target each (default 1) */
  buckets?: number;
  /** the settings `npm start` runs with (LOCAL_SETTINGS: its verify waits included) instead of waits of 0 */
  localProfile?: boolean;
  /** settings on top of the local profile's (the model check's page size) */
  settings?: Partial<Settings>;
  /** measure the idle stack's request round trips before the sweep */
  roundTrips?: boolean;
  /** the stack's moto_server processes (default 2: DynamoDB in its own) */
  motoProcesses?: 1 | 2;
  /** how long the stack is left idle after the sweep before its memory "after" (default 1 s) */
  afterSeconds?: number;
}

/** the bucket of target i */
export const bucketOf = (i: number) => (i === 0 ? BUCKET : `${BUCKET}-${i + 1}`);

export async function runProjectSweep(options: ProjectSweepOptions): Promise<SweepRun> {
  const { n, latencyMs = 0, measure = true, buckets: bucketCount = 1, localProfile = false, motoProcesses = 2, afterSeconds = 1 } = options;
  const buckets = Array.from({ length: bucketCount }, (_, i) => bucketOf(i));
  const pages = { executions: 0, waits: 0, entered: 0 };
  const taskRequests: Record<string, number> = {};
  const phases = pagePhaseMeter();
  const onExecutionEvent = (execution: LocalExecution, event: HistoryEvent) => {
    phases.onEvent(execution, event);
    const express = execution.executionArn.includes(':express:');
    if (express && event.type.endsWith('StateEntered')) {
      pages.entered += 1;
      if (event.type === 'WaitStateEntered' && isPartsWait(event)) pages.waits += 1;
    }
    if (!ENDED.test(event.type)) return;
    if (express) pages.executions += 1;
    for (const [key, count] of Object.entries(execution.requests)) taskRequests[key] = (taskRequests[key] ?? 0) + count;
  };
  // the waits for in-flight parts are 0 here (no part is in flight on moto); the time model adds AWS's SweepWaitSeconds
  const stack = await startLocalStack({
    ...(localProfile
      ? { settings: { ...LOCAL_SETTINGS, ...options.settings } }
      : {
          waitTimeOverrides: { 'Wait for in-flight parts': 0, 'Wait for in-flight parts again': 0 },
          // the seeded uploads are fresh: the activity guard's default window off (test/bench/cost.ts prices the guard apart)
          settings: { SweepActiveWithin: 0 },
        }),
    onExecutionEvent,
    chaos: { effects: { latency: latencyMs } },
    motoProcesses,
  });
  const dynamodb = new DynamoDBClient({ endpoint: stack.dynamodbMoto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'b', secretAccessKey: 'b' } });
  const doc = DynamoDBDocumentClient.from(dynamodb);
  const sfn = new SFNClient({ endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'b', secretAccessKey: 'b' } });
  try {
    const moto = motoPid(stack.moto.port);
    const dynamodbMoto = motoPid(stack.dynamodbMoto.port);
    // every process of the stack: this node process and each moto_server it started
    const motos = [...new Set([moto, dynamodbMoto])];
    (globalThis as { gc?: () => void }).gc?.();
    const fresh = { nodeMb: rssMbOf(process.pid) ?? 0, motoMb: motos.reduce((total, pid) => total + (rssMbOf(pid) ?? 0), 0) };
    let seedSeconds = 0;
    for (const [i, bucket] of buckets.entries()) {
      const share = Math.floor(n / bucketCount) + (i < n % bucketCount ? 1 : 0);
      seedSeconds += (await seedUploadsInItsOwnProcess(stack.moto.endpoint, bucket, share)).seconds;
    }
    const trips = options.roundTrips ? await roundTrips(stack, BUCKET) : undefined;
    const motoSecondsForN = await listingCpu(stack.moto.endpoint, moto, n);
    const counter = countRequests(stack.chaos);
    (globalThis as { gc?: () => void }).gc?.();
    const memory = sampleMemory(motos);
    const before = memory.sample();
    const cpuMeter = startCpuMeter(moto, dynamodbMoto);
    phases.watch(moto, dynamodbMoto);
    const name = `bench-${n}-${latencyMs}ms-${measure ? 'measure' : 'lean'}`;
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.stateMachineArns.sweepUploads,
        name,
        input: JSON.stringify({ targets: buckets.map((bucket) => ({ bucket, olderThan: '1d' })), measure }),
      }),
    );
    const sweep = await stack.runtime.waitForExecution(executionArn!);
    const cpu = cpuMeter();
    const peak = memory.stop();
    // memory once the sweep has ended and the stack sat idle: finished executions evicted, garbage collected (--expose-gc)
    const idle = sampleMemory(motos, 1000);
    await new Promise((resolve) => setTimeout(resolve, afterSeconds * 1000));
    idle.stop();
    (globalThis as { gc?: () => void }).gc?.();
    const after = memory.sample();

    const standardTransitions = Object.fromEntries(
      (['sweepUploads', 'sweepTarget', 'abortUpload'] as StateMachineKey[]).map((key) => {
        const { executions } = stack.runtime.listExecutions({ stateMachineArn: stack.stateMachineArns[key], maxResults: 1_000_000 });
        const entered = executions
          .map((e) => stack.runtime.getExecutionHistory({ executionArn: e.executionArn, maxResults: 25_000 }).events)
          .reduce((total, events) => total + events.filter((h) => h.type.endsWith('StateEntered')).length, 0);
        return [STATE_MACHINES[key].name, entered];
      }),
    );
    const { Item: summary = {} } = await doc.send(new GetCommand({ TableName: stack.tableName, Key: { id: name }, ConsistentRead: true }));
    const requests = Object.fromEntries(Object.entries(counter.counts).filter(([key]) => /^(s3|dynamodb):/.test(key)));
    // the Lambdas' requests: everything that reached moto minus what the Tasks sent
    const lambda = (key: string) => (requests[key] ?? 0) - (taskRequests[`${key.split(':')[0]}:${lower(key.split(':')[1])}`] ?? 0);
    const measureCounts = Object.fromEntries([
      ...Object.entries(taskRequests).map(([key, count]) => [`task:${key}`, count]),
      ...Object.keys(requests).map((key) => [`lambda:${key}`, lambda(key)]),
    ]) as Record<string, number>;
    const pageCount = Number(summary.pages);
    // one checkpoint per page: a PutItem, or with the ledger's marker and ADD a TransactWriteItems (a page that aborted)
    const transactions = lambda('dynamodb:TransactWriteItems');
    const recordPuts = lambda('dynamodb:PutItem') - (pageCount - transactions);
    const checkpoint = await item(dynamodb, stack.tableName, checkpointId(name, 0));
    const counts: SweepMeasure = {
      uploads: n,
      pages: pageCount,
      measure,
      requests: measureCounts,
      recordPuts,
      lambdaCalls: taskRequests['lambda:invoke'] ?? 0,
      // a walk a target: 1,000 uploads a ListMultipartUploads (its lanes: laneSize in lib/sweep/lanes.ts)
      walks: bucketCount,
      walkListCalls: bucketCount * Math.max(1, Math.ceil(n / bucketCount / 1000)),
      recordWriteUnits: recordPuts * (await recordUnits(doc, dynamodb, stack.tableName)),
      checkpointWriteUnits: pageCount * writeUnits(checkpoint),
      // per transaction: the checkpoint's second write, the marker's 2 units, the ledger item's (table twice, its index)
      ledgerWriteUnits:
        transactions *
        (writeUnits(checkpoint) +
          2 +
          transactItemUnits({ Put: { Item: await item(dynamodb, stack.tableName, ledgerId(buckets[0]!, ledgerMonth(new Date().toISOString()))) } })),
      readUnits: 0.5 * ['Query', 'GetItem', 'BatchGetItem'].reduce((total, c) => total + lambda(`dynamodb:${c}`), 0),
      pageExecutions: pages.executions,
      pageWaits: pages.waits,
      pageStates: pages.entered,
      sweepTargetTransitions: standardTransitions[STATE_MACHINES.sweepTarget.name],
    };
    const design = measuredDesign(`this run (${n.toLocaleString('en-US')} uploads${measure ? ', measured' : ''})`, counts);
    const uploadsSerialized = counter.abortsBeforeListings.reduce((total, aborts) => total + Math.max(0, n - aborts), 0);
    const listing = {
      calls: counter.abortsBeforeListings.length,
      motoSecondsForN,
      uploadsSerialized,
      estimatedMotoSeconds: (uploadsSerialized * motoSecondsForN) / n,
    };
    let left = 0;
    for (const bucket of buckets) left += await uploadsLeft(stack.moto.endpoint, bucket);
    return {
      n,
      latencyMs,
      measure,
      status: String(summary.status ?? sweep.status),
      cpu,
      seedSeconds,
      requests,
      standardTransitions,
      expressStates: pages.entered,
      pageExecutions: pages.executions,
      summary,
      left,
      design,
      counts,
      buckets: bucketCount,
      ...(trips ? { roundTrips: trips } : {}),
      verified: (taskRequests['s3:listParts'] ?? 0) >= n && left === 0,
      // the summary's counters are summed from the pages' checkpoints, which count the records written (tests prove
      // counters equal records); PutItems can exceed n (a record Lambda retried writes again, conditionally)
      recorded: summary.status === 'COMPLETED' && Number(summary.aborted) === n,
      listing,
      memory: { fresh, before, peak, after, samples: memory.samples, afterSeconds, afterSamples: idle.samples },
      motoProcesses,
      phases: phases.phases(),
    };
  } finally {
    sfn.destroy();
    dynamodb.destroy();
    await stack.stop();
  }
}

/**
 * moto_server's CPU seconds for one ListMultipartUploads of the bucket (straight on moto, with the page hint the endpoint
 * sends for it: one default page), median of a few. A raw request whose answer is read and dropped.
 */
async function listingCpu(motoEndpoint: string, moto: number, n: number): Promise<number> {
  const url = new URL(`${motoEndpoint}/${BUCKET}?uploads`);
  const page = listingPageHint('GET', url);
  // moto_server tells services apart by the credential scope of the Authorization header; it checks no signature
  const headers = {
    authorization: 'AWS4-HMAC-SHA256 Credential=b/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
    ...(page === undefined ? {} : { [LISTING_PAGE_HEADER]: page }),
  };
  const seconds: number[] = [];
  for (let i = 0; i < (n <= 2000 ? 5 : 1); i += 1) {
    const before = cpuSecondsOf(moto) ?? 0;
    await new Promise<void>((resolve, reject) => {
      get(url, { headers }, (answer) => {
        if (answer.statusCode !== 200) reject(new Error(`ListMultipartUploads answered ${answer.statusCode}`));
        answer.on('end', resolve).on('error', reject).resume();
      }).on('error', reject);
    });
    seconds.push((cpuSecondsOf(moto) ?? before) - before);
  }
  return median(seconds);
}

async function item(dynamodb: DynamoDBClient, table: string, id: string): Promise<Record<string, AttributeValue>> {
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }));
  if (!Item) throw new Error(`no item ${id} in ${table}`);
  return Item;
}

/** write units of one upload record as stored (table and the indexes its keys put it in) */
async function recordUnits(doc: DynamoDBDocumentClient, dynamodb: DynamoDBClient, table: string): Promise<number> {
  const { items } = await queryNewestFirst(doc, table, { index: INDEX_BY_STARTED_AT, partition: ['listKey', shardKeys(UPLOAD_RECORD_TYPE)], limit: 1 });
  return writeUnits(await item(dynamodb, table, String(items[0].id)));
}
