/**
 * The sweep (sweep-uploads → sweep-target → sweep-page, stubborn uploads → abort-upload) through the local runtime
 * against moto_server, with the sweep's Lambda functions in-process. moto reports every upload's Initiated as
 * 2010-11-10T20:48:33Z: "old enough" is either everything ("1d") or nothing ("6000d"); the cutoff is unit-tested.
 * Every AWS request is counted (the Tasks' through the dispatcher, the Lambdas' through their clients) and feeds the
 * cost model (lib/sweep/cost.ts), printed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListMultipartUploadsCommand, S3Client, type MultipartUpload } from '@aws-sdk/client-s3';
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TaskDispatcher } from '../../lib/local/dispatcher.ts';
import { LocalStepFunctions, type HistoryEvent, type LocalExecution, type RuntimeOptions } from '../../lib/local/runtime.ts';
import { localLambdaHandlers } from '../../lib/local/lambdas.ts';
import {
  FUNCTIONS,
  localSubstitutions,
  loadDefinition,
  STATE_MACHINES,
  stateMachineType,
  SWEEP_SETTINGS_DEFAULTS,
  type Settings,
  type StateMachineKey,
} from '../../lib/settings.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { recordId } from '../../lib/record-id.ts';
import { sweepLambdaHandlers } from '../../lib/sweep/lambdas.ts';
import { SWEEP_SDK_ATTEMPTS } from '../../lib/sweep/clients.ts';
import { checkpointId, HISTORY_EVENTS, type TargetState } from '../../lib/sweep/state.ts';
import { walkLanes, type LanesEvent, type LanesResult } from '../../lib/sweep/lanes.ts';
import { costPerMillion, formatCostTable, OLD_DESIGN, uploadsPerPage, WORST_UPLOAD, writeUnits } from '../../lib/sweep/cost.ts';
import { measuredDesign as designFromCounts, type MeasuredDesign } from '../support/sweep-design.ts';
import { timeModel } from '../bench/model.ts';
import { awsClients, createBucket, createTable, createUpload, fastRetries, startMoto, TABLE, type MotoServer } from '../support/workflow.ts';
import type { ServerResponse } from 'node:http';
import { startFaultProxy, answerNoContent, type FaultProxy, type FaultRule } from '../support/fault-proxy.ts';

let moto: MotoServer;
let proxy: FaultProxy;
let s3: S3Client;
let doc: DynamoDBDocumentClient;
let runtime: LocalStepFunctions;
let dispatcher: TaskDispatcher;
let arns: Record<StateMachineKey, string>;
/** upload id → aborts the proxy answers 204 without forwarding (an abort that does not take) */
const lostAborts = new Map<string, number>();
/**
 * Faults on every request (S3 and DynamoDB, the Tasks' and the Lambdas'), from a seeded generator: `rate` of them
 * answered 503 without reaching moto, `lostRate` applied by moto and answered 500 (the answer lost).
 */
const faults = { rate: 0, lostRate: 0, seed: 1, injected: 0 };
const draw = (rate: number) => () => {
  if (rate === 0 || faults.rate + faults.lostRate === 0) return false;
  faults.seed = (faults.seed * 1_103_515_245 + 12_345) % 2 ** 31;
  const hit = faults.seed / 2 ** 31 < (rate === 1 ? faults.rate : faults.lostRate);
  if (hit) faults.injected += 1;
  return hit;
};
const failWith = (status: number, method: string) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': method === 'POST' ? 'application/x-amz-json-1.0' : 'application/xml' });
  res.end(
    method === 'POST'
      ? '{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}'
      : '<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
  );
};
/**
 * Upload ids the proxy answers as initiated now in every ListMultipartUploads (moto gives every upload the same old
 * Initiated): uploads created during a sweep, never old enough.
 */
const youngUploads = new Set<string>();
const asYoung = (res: ServerResponse, answer: { status: number; headers: Record<string, unknown>; body: Buffer }) => {
  const now = new Date().toISOString();
  const body = answer.body.toString('utf8').replace(/<Upload>[\s\S]*?<\/Upload>/g, (upload) => {
    const id = /<UploadId>([^<]*)<\/UploadId>/.exec(upload)?.[1];
    return id && youngUploads.has(id) ? upload.replace(/<Initiated>[^<]*<\/Initiated>/, `<Initiated>${now}</Initiated>`) : upload;
  });
  const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
  res.writeHead(answer.status, { ...headers, 'content-length': Buffer.byteLength(body) } as never).end(body);
};
/** runs after each walk of "Split targets into lanes", before its lanes are swept */
let afterWalk: ((result: LanesResult, payload: LanesEvent) => Promise<void>) | undefined;

const FAULT_RULES: FaultRule[] = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].flatMap((method) => [
  { method, times: Infinity, url: draw(1), respond: failWith(503, method) },
  { method, times: Infinity, url: draw(2), after: failWith(500, method) },
]);

/** what each page execution (EXPRESS: gone once ended) did, seen through the runtime's event callback */
interface PageRun {
  start: number;
  stop: number;
  events: number;
  waits: number;
  largestState: number;
}
const pageRuns = new Map<string, PageRun>();
function observe(execution: LocalExecution, event: HistoryEvent) {
  if (!execution.executionArn.includes(':express:')) return;
  const run = pageRuns.get(execution.executionArn) ?? { start: event.timestamp.getTime(), stop: 0, events: 0, waits: 0, largestState: 0 };
  pageRuns.set(execution.executionArn, run);
  run.events += 1;
  run.stop = event.timestamp.getTime();
  if (event.type === 'WaitStateEntered') run.waits += 1;
  const details = (event.stateEnteredEventDetails ?? event.stateExitedEventDetails) as { input?: string; output?: string } | undefined;
  run.largestState = Math.max(run.largestState, Buffer.byteLength(details?.input ?? details?.output ?? '', 'utf8'));
}
const pageRunsSince = (since: Date) => [...pageRuns.values()].filter((run) => run.start >= since.getTime());

/** AWS requests and their units, counted while a sweep runs */
interface Meter {
  requests: Record<string, number>;
  /** write units (table and GSIs) of the upload records, of the targets' checkpoints, of the rest; read units */
  recordWriteUnits: number;
  recordPuts: number;
  checkpointWriteUnits: number;
  otherWriteUnits: number;
  readUnits: number;
  lambdaCalls: number;
  /** the walks of "Split targets into lanes" and their ListMultipartUploads calls */
  walks: number;
  walkListCalls: number;
}
const newMeter = (): Meter => ({
  requests: {},
  recordWriteUnits: 0,
  recordPuts: 0,
  checkpointWriteUnits: 0,
  otherWriteUnits: 0,
  readUnits: 0,
  lambdaCalls: 0,
  walks: 0,
  walkListCalls: 0,
});
let meter = newMeter();
const count = (name: string, n = 1) => {
  meter.requests[name] = (meter.requests[name] ?? 0) + n;
};

/** counts every request a client sends (the Lambdas' S3 and DynamoDB clients), with DynamoDB's units (marshalled input: build step) */
function metered<C extends S3Client | DynamoDBClient>(client: C, service: string): C {
  type Next = (args: { input: unknown }) => Promise<unknown>;
  const stack = client.middlewareStack as unknown as { add(mw: (next: Next, context: { commandName?: string }) => Next, options: object): void };
  stack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      count(`lambda:${service}:${command}`);
      const input = args.input as Record<string, unknown>;
      if (command === 'PutItem') {
        const item = input.Item as Record<string, AttributeValue>;
        if (item.recordType?.S === 'upload') {
          meter.recordWriteUnits += writeUnits(item);
          meter.recordPuts += 1;
        } else if (item.id?.S?.includes('#target-')) meter.checkpointWriteUnits += writeUnits(item);
        else meter.otherWriteUnits += writeUnits(item);
      } else if (command === 'UpdateItem') {
        meter.otherWriteUnits += 3; // a record of ≤ 1 KB, in the table and both indexes
      } else if (command === 'BatchGetItem') {
        for (const request of Object.values(input.RequestItems as Record<string, { Keys: unknown[]; ConsistentRead?: boolean }>)) {
          meter.readUnits += request.Keys.length * (request.ConsistentRead ? 1 : 0.5);
        }
      } else if (command === 'GetItem' || command === 'Query') {
        meter.readUnits += input.ConsistentRead ? 1 : 0.5;
      }
      return next(args);
    },
    { step: 'build', name: `meter-${service}` },
  );
  return client;
}

const FAST: Partial<Settings> = { SweepPageSize: 40 };

async function deploy(settings: Partial<Settings> = FAST) {
  const substitutions = localSubstitutions(TABLE, settings);
  arns = Object.fromEntries(
    (Object.keys(STATE_MACHINES) as StateMachineKey[]).map((key) => {
      const definition = loadDefinition(STATE_MACHINES[key].file, substitutions);
      return [key, runtime.createStateMachine({ name: STATE_MACHINES[key].name, definition, type: stateMachineType(key) }).stateMachineArn];
    }),
  ) as Record<StateMachineKey, string>;
}

let runtimeOptions: RuntimeOptions;
/** a runtime with the harness's dispatcher and Lambdas, and these options on top (the previous one closed) */
async function startRuntime(options: Partial<RuntimeOptions> = {}, settings?: Partial<Settings>) {
  await runtime?.close();
  runtime = new LocalStepFunctions({ ...runtimeOptions, ...options });
  await deploy(settings);
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint, [
    ...FAULT_RULES,
    {
      method: 'GET',
      times: Infinity,
      url: (url) => youngUploads.size > 0 && url.searchParams.has('uploads'),
      after: asYoung,
    },
    {
      method: 'DELETE',
      times: Infinity,
      respond: answerNoContent,
      url: (url) => {
        const left = lostAborts.get(url.searchParams.get('uploadId') ?? '') ?? 0;
        if (left > 0) lostAborts.set(url.searchParams.get('uploadId')!, left - 1);
        return left > 0;
      },
    },
  ]);
  const clients = awsClients(proxy.endpoint);
  await createTable(clients.dynamodb);
  s3 = clients.s3;
  doc = clients.doc;
  // the Lambdas' clients as lib/sweep/clients.ts makes them: SWEEP_SDK_ATTEMPTS attempts
  const config = {
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts: SWEEP_SDK_ATTEMPTS,
  };
  const lambdaDynamodb = metered(new DynamoDBClient(config), 'dynamodb');
  const deps = { s3: metered(new S3Client(config), 's3'), doc: DynamoDBDocumentClient.from(lambdaDynamodb), tableName: TABLE };
  const counted = (handlers: Record<string, (payload: unknown) => Promise<unknown>>) =>
    Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => [
        name,
        (payload: unknown) => {
          meter.lambdaCalls += 1;
          return handler(payload);
        },
      ]),
    );
  dispatcher = new TaskDispatcher({ endpoint: proxy.endpoint, pageMultipartUploads: true, onRequest: (service, action) => count(`task:${service}:${action}`) });
  runtimeOptions = {
    dispatcher,
    waitTimeOverrides: { 'Wait for in-flight parts': 0, 'Wait for in-flight parts again': 0 },
    retryIntervalOverrides: fastRetries(),
    lambdaHandlers: counted({
      ...localLambdaHandlers({ ...deps, allowlist: parseAllowlist('*') }),
      ...sweepLambdaHandlers(deps),
      [FUNCTIONS.sweepLanes.name]: async (payload) => {
        const result = await walkLanes(deps, payload as LanesEvent);
        meter.walks += 1;
        meter.walkListCalls += result.calls;
        await afterWalk?.(result, payload as LanesEvent);
        return result;
      },
    }),
    onExecutionEvent: observe,
  };
  await startRuntime();
});

afterAll(async () => {
  await runtime?.close();
  await dispatcher?.destroy();
  await proxy?.close();
  await moto?.stop();
});

async function allUploads(bucket: string): Promise<MultipartUpload[]> {
  // moto answers the whole listing at once
  return (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
}

/** the STANDARD executions of a machine started since then, with their histories (every one has ended when the sweep has) */
const executionsOf = (key: StateMachineKey, since: Date): Promise<LocalExecution[]> =>
  Promise.all(
    runtime
      .listExecutions({ stateMachineArn: arns[key], maxResults: 100_000 })
      .executions.filter((e) => e.startDate >= since)
      .map((e) => runtime.waitForExecution(e.executionArn)),
  );

async function sweep(name: string, input: object) {
  meter = newMeter();
  const since = new Date();
  const { executionArn } = runtime.startExecution({ stateMachineArn: arns.sweepUploads, name, input: JSON.stringify(input) });
  const execution = await runtime.waitForExecution(executionArn);
  const { Item: summary } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: name }, ConsistentRead: true }));
  const records = await recordsOfSweep(name);
  return { execution, summary: summary as Record<string, unknown> & { targetResults?: string }, records, since, meter };
}

async function recordsOfSweep(sweepId: string) {
  const items: Array<Record<string, unknown>> = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'byStartedAt',
        KeyConditionExpression: 'recordType = :t',
        FilterExpression: 'sweepId = :s',
        ExpressionAttributeValues: { ':t': 'upload', ':s': sweepId },
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** the summary's counters equal the records': each status, parts and bytes; found = records + busy */
function expectCountersEqualRecords(summary: Record<string, unknown>, records: Array<Record<string, unknown>>) {
  const by = (status: string) => records.filter((r) => r.status === status).length;
  const sum = (field: string) => records.reduce((total, r) => total + Number(r[field] ?? 0), 0);
  expect(summary).toMatchObject({
    aborted: by('ABORTED'),
    notFound: by('NOT_FOUND'),
    partsRemain: by('PARTS_REMAIN'),
    failed: by('FAILED'),
    wouldAbort: by('WOULD_ABORT'),
    partsFound: sum('partsFound'),
    bytesFound: sum('bytesFound'),
    found: records.length + Number(summary.busy),
    bytesFreed: records.filter((r) => r.status === 'ABORTED').reduce((total, r) => total + Number(r.bytesFound ?? 0), 0),
  });
  expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
}

const entered = (e: LocalExecution) => e.history.filter((event) => event.type.endsWith('StateEntered')).length;

/** the measured counts of a sweep as the cost model takes them (test/support/sweep-design.ts) */
async function measuredDesign(name: string, run: Awaited<ReturnType<typeof sweep>>, uploads: number, measure: boolean): Promise<MeasuredDesign> {
  const express = pageRunsSince(run.since);
  const design = designFromCounts(name, {
    uploads,
    pages: Number(run.summary.pages),
    measure,
    requests: run.meter.requests,
    recordPuts: run.meter.recordPuts,
    recordWriteUnits: run.meter.recordWriteUnits,
    checkpointWriteUnits: run.meter.checkpointWriteUnits,
    readUnits: run.meter.readUnits,
    lambdaCalls: run.meter.lambdaCalls,
    walks: run.meter.walks,
    walkListCalls: run.meter.walkListCalls,
    pageExecutions: express.length,
    pageWaits: express.reduce((total, e) => total + e.waits, 0),
    sweepTargetTransitions: (await executionsOf('sweepTarget', run.since)).reduce((total, e) => total + entered(e), 0),
  });
  const expressEvents = express.reduce((total, e) => total + e.events, 0);
  console.log(
    `${name}: ${(expressEvents / uploads).toFixed(1)} events per upload in the page executions (CloudWatch Logs at level ALL),` +
      ` ${design.pagesPerRun} pages per page execution of ${design.seconds.express.toFixed(1)} s on AWS`,
  );
  return design;
}

const designs: MeasuredDesign[] = [];

describe('sweep-uploads', () => {
  it('aborts exactly the old-enough uploads of the prefix over several pages: one record per upload, counters equal to the records, bytes exact', async () => {
    // Arrange: 240 uploads over three prefixes in one bucket (1 to 3 parts), 20 in a second bucket
    await createBucket(s3, 'sweep-main');
    await createBucket(s3, 'sweep-other');
    const prefixes = ['logs/', 'tmp/', 'media/'];
    const sizes = (i: number) => Array.from({ length: 1 + (i % 3) }, (_, p) => 10 + ((i + p) % 7));
    for (let i = 0; i < 240; i += 40) {
      await Promise.all(
        Array.from({ length: 40 }, (_, j) =>
          createUpload(s3, 'sweep-main', `${prefixes[(i + j) % 3]}2026/11/22/part-${String(i + j).padStart(5, '0')}.parquet`, sizes(i + j)),
        ),
      );
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => createUpload(s3, 'sweep-other', `logs/o-${i}`, [5])));
    const logs = (await allUploads('sweep-main')).filter((u) => u.Key!.startsWith('logs/'));
    const expectedBytes = logs.reduce((sum, u) => sum + sizes(Number(/part-(\d+)/.exec(u.Key!)![1])).reduce((a, b) => a + b, 0), 0) + 20 * 5;

    // Act
    const run = await sweep('sweep-prefix', {
      targets: [
        { bucket: 'sweep-main', prefix: 'logs/', olderThan: '1d' },
        { bucket: 'sweep-other', olderThan: '24h' },
      ],
    });

    // Assert
    const { execution, summary, records } = run;
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const left = await allUploads('sweep-main');
    expect(left.filter((u) => u.Key!.startsWith('logs/'))).toHaveLength(0);
    expect(left).toHaveLength(240 - logs.length);
    expect(await allUploads('sweep-other')).toHaveLength(0);
    expect(summary).toMatchObject({
      recordType: 'sweep',
      status: 'COMPLETED',
      dryRun: false,
      found: logs.length + 20,
      aborted: logs.length + 20,
      busy: 0,
      bytesFound: expectedBytes,
    });
    expectCountersEqualRecords(summary, records);
    expect(records.every((r) => r.trigger === 'sweep' && r.status === 'ABORTED' && r.executionArn === execution.executionArn && r.attempts === 1)).toBe(true);
    // SweepPageSize 40: the 80 logs/ uploads in two pages and the other bucket's in one, each checkpointed
    expect(summary.pages).toBe(Math.ceil(logs.length / 40) + 1);
    expect(JSON.parse(execution.output!)).toMatchObject({ status: 'COMPLETED', aborted: logs.length + 20, bytesFound: expectedBytes });
    // requests per upload: one abort and one verifying ListParts (Tasks), one measuring ListParts and one PutItem (Lambdas)
    expect(run.meter.requests).toMatchObject({
      'task:s3:abortMultipartUpload': logs.length + 20,
      'task:s3:listParts': logs.length + 20,
      'lambda:s3:ListParts': logs.length + 20,
    });
    designs.push(await measuredDesign('new, measured (parts, bytes)', run, logs.length + 20, true));
  });

  it('without the measure: one abort, one ListParts and one PutItem per upload; records without parts and bytes', async () => {
    // Arrange
    await createBucket(s3, 'sweep-lean');
    for (let i = 0; i < 120; i += 40)
      await Promise.all(
        Array.from({ length: 40 }, (_, j) => createUpload(s3, 'sweep-lean', `data/2026/11/22/object-${String(i + j).padStart(5, '0')}.bin`, [3])),
      );

    // Act
    const run = await sweep('sweep-lean', { targets: [{ bucket: 'sweep-lean', olderThan: '1d' }], measure: false });

    // Assert
    expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 120, aborted: 120, bytesFound: 0, measure: false });
    expectCountersEqualRecords(run.summary, run.records);
    expect(run.records.every((r) => r.partsFound === undefined && r.bytesFound === undefined)).toBe(true);
    expect(await allUploads('sweep-lean')).toHaveLength(0);
    expect(run.meter.requests['lambda:s3:ListParts']).toBeUndefined();
    expect(run.meter.requests['lambda:dynamodb:PutItem']).toBe(120 + Number(run.summary.pages)); // the records, and a checkpoint per page
    // every upload gone at the first check: one wait per page, no second round
    expect(pageRunsSince(run.since).reduce((total, e) => total + e.waits, 0)).toBe(Number(run.summary.pages));
    designs.push(await measuredDesign('new, verified and recorded', run, 120, false));
  });

  it('a dry run measures, records WOULD_ABORT with parts and bytes, and aborts nothing', async () => {
    // Arrange
    await createBucket(s3, 'sweep-dry');
    await Promise.all(Array.from({ length: 30 }, (_, i) => createUpload(s3, 'sweep-dry', `k-${i}`, [7, 8])));

    // Act
    const { summary, records, meter: m } = await sweep('sweep-dry-run', { targets: [{ bucket: 'sweep-dry', olderThan: '30m' }], dryRun: true });

    // Assert
    expect(await allUploads('sweep-dry')).toHaveLength(30);
    expect(summary).toMatchObject({ status: 'COMPLETED', dryRun: true, found: 30, wouldAbort: 30, aborted: 0, partsFound: 60, bytesFound: 30 * 15 });
    expectCountersEqualRecords(summary, records);
    expect(records.every((r) => r.status === 'WOULD_ABORT' && r.partsFound === 2 && r.bytesFound === 15 && r.attempts === 0 && r.dryRun === true)).toBe(true);
    expect(m.requests['task:s3:abortMultipartUpload']).toBeUndefined();
  });

  it('sweeps the good bucket when another target is missing: COMPLETED_WITH_ERRORS with the target error', async () => {
    // Arrange
    await createBucket(s3, 'sweep-good');
    await Promise.all(Array.from({ length: 5 }, (_, i) => createUpload(s3, 'sweep-good', `k-${i}`, [1])));

    // Act
    const { summary, execution, records } = await sweep('sweep-partly-failing', {
      targets: [
        { bucket: 'sweep-missing-bucket', olderThan: '1d' },
        { bucket: 'sweep-good', olderThan: '1d' },
      ],
    });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(await allUploads('sweep-good')).toHaveLength(0);
    expect(summary).toMatchObject({
      status: 'COMPLETED_WITH_ERRORS',
      found: 5,
      aborted: 5,
      targetErrors: [{ bucket: 'sweep-missing-bucket', error: 'NoSuchBucket', cause: expect.stringMatching(/bucket/i) }],
    });
    expect(JSON.parse(summary.targetResults!)).toMatchObject([
      { bucket: 'sweep-missing-bucket', status: 'FAILED' },
      { bucket: 'sweep-good', status: 'SWEPT', aborted: 5 },
    ]);
    expectCountersEqualRecords(summary, records);
  });

  it('counts an upload whose record another execution holds RUNNING as busy, leaves it alone, and ends', async () => {
    // Arrange: an abort-upload run of the API holds one of 10 uploads
    await createBucket(s3, 'sweep-busy');
    const uploads = await Promise.all(Array.from({ length: 10 }, (_, i) => createUpload(s3, 'sweep-busy', `k-${i}`, [4])));
    const held = uploads[3];
    const other = 'arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-abort-upload:abort-held';
    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          id: recordId(held.bucket, held.key, held.uploadId),
          recordType: 'upload',
          bucket: held.bucket,
          key: held.key,
          uploadId: held.uploadId,
          status: 'RUNNING',
          attempts: 0,
          trigger: 'api',
          executionArn: other,
          startedAt: new Date().toISOString(),
          expiresAt: 2_000_000_000,
        },
      }),
    );

    // Act
    const { summary, execution, records } = await sweep('sweep-with-busy', { targets: [{ bucket: 'sweep-busy', olderThan: '1d' }] });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(summary).toMatchObject({ status: 'COMPLETED', found: 10, aborted: 9, busy: 1 });
    expect((await allUploads('sweep-busy')).map((u) => u.UploadId)).toEqual([held.uploadId]);
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: recordId(held.bucket, held.key, held.uploadId) }, ConsistentRead: true }));
    expect(Item).toMatchObject({ status: 'RUNNING', executionArn: other });
    expect(records).toHaveLength(9);
    expectCountersEqualRecords(summary, records);
  });

  it('hands an upload whose aborts do not take to abort-upload, and counts what abort-upload recorded', async () => {
    // Arrange: the first two aborts of one upload are answered 204 without reaching S3
    await createBucket(s3, 'sweep-stubborn');
    const uploads = await Promise.all(Array.from({ length: 6 }, (_, i) => createUpload(s3, 'sweep-stubborn', `k-${i}`, [9, 9])));
    lostAborts.set(uploads[2].uploadId, 2);

    // Act
    const { summary, execution, records } = await sweep('sweep-stubborn', { targets: [{ bucket: 'sweep-stubborn', olderThan: '1d' }] });

    // Assert
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(await allUploads('sweep-stubborn')).toHaveLength(0);
    expect(summary).toMatchObject({ status: 'COMPLETED', found: 6, aborted: 6, handedOver: 1, bytesFound: 6 * 18 });
    const handed = records.find((r) => r.uploadId === uploads[2].uploadId)!;
    expect(handed).toMatchObject({
      status: 'ABORTED',
      trigger: 'sweep',
      sweepId: 'sweep-stubborn',
      executionArn: expect.stringContaining(':mpu-reaper-abort-upload:'),
    });
    expectCountersEqualRecords(summary, records);
  });

  it('records PARTS_REMAIN for an upload no abort removes, and ends COMPLETED_WITH_ERRORS', async () => {
    // Arrange: every abort of one upload is lost, abort-upload's too
    await createBucket(s3, 'sweep-stuck');
    const uploads = await Promise.all(Array.from({ length: 3 }, (_, i) => createUpload(s3, 'sweep-stuck', `k-${i}`, [2])));
    lostAborts.set(uploads[1].uploadId, 1000);

    // Act
    const { summary, execution, records } = await sweep('sweep-stuck', { targets: [{ bucket: 'sweep-stuck', olderThan: '1d' }] });

    // Assert
    lostAborts.delete(uploads[1].uploadId);
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(summary).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', found: 3, aborted: 2, partsRemain: 1, handedOver: 1 });
    expectCountersEqualRecords(summary, records);
  });

  it('ends under faults on 10% of S3 and DynamoDB requests (503, or applied and answered 500), with a record per upload and counters equal to the records', async () => {
    // Arrange
    await createBucket(s3, 'sweep-faults');
    for (let i = 0; i < 150; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => createUpload(s3, 'sweep-faults', `k-${String(i + j).padStart(3, '0')}`, [3])));
    Object.assign(faults, { rate: 0.07, lostRate: 0.03, seed: Number(process.env.FAULT_SEED ?? 7), injected: 0 });

    try {
      // Act
      const { summary, execution, records } = await sweep('sweep-faults', { targets: [{ bucket: 'sweep-faults', olderThan: '1d' }] });

      // Assert
      Object.assign(faults, { rate: 0, lostRate: 0 });
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      expect(faults.injected).toBeGreaterThan(50);
      expect(summary).toMatchObject({ status: 'COMPLETED', found: 150, aborted: 150, bytesFound: 450 });
      expect(records).toHaveLength(150);
      expectCountersEqualRecords(summary, records);
      expect(await allUploads('sweep-faults')).toHaveLength(0);
    } finally {
      Object.assign(faults, { rate: 0, lostRate: 0 });
    }
  });

  it('ends when page executions keep timing out (EXPRESS, 5 minutes): three resumes, then the target FAILED and the sweep INCOMPLETE', async () => {
    // Arrange: every page execution outlives its cap in its wait, after its aborts and before its records (1.5 s leaves the
    // list and the 5 aborts ample time on a loaded machine; the 10 s wait always outlives the cap)
    await startRuntime({ expressMaxDurationMs: 1_500, waitTimeOverrides: { 'Wait for in-flight parts': 10_000 } }, { SweepPageSize: 5 });
    await createBucket(s3, 'sweep-timeouts');
    await Promise.all(Array.from({ length: 30 }, (_, i) => createUpload(s3, 'sweep-timeouts', `k-${String(i).padStart(2, '0')}`, [1])));

    try {
      // Act
      const { summary, execution, records } = await sweep('sweep-timeouts', { targets: [{ bucket: 'sweep-timeouts', olderThan: '1d' }] });

      // Assert: the sweep ends and says what it could not record (the four pages aborted by the timed-out executions);
      // each failure in a row halved the next page (lib/sweep/pace.ts): 5, then 2, 1, 1 uploads aborted without a record
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      expect(summary).toMatchObject({ status: 'INCOMPLETE', lostPages: 4, found: 0 });
      expect(JSON.parse(summary.targetResults!)).toMatchObject([{ bucket: 'sweep-timeouts', status: 'FAILED', error: 'States.Timeout' }]);
      expectCountersEqualRecords(summary, records);
      expect(await allUploads('sweep-timeouts')).toHaveLength(30 - (5 + 2 + 1 + 1));
    } finally {
      await startRuntime();
    }
  });

  it('runs a target over several sweep-target executions, each far below 25,000 history events, at a bounded number of events per page', async () => {
    // Arrange: pages of 10, one page per page execution (SweepRunSeconds 0), slices of 30 events (3 page executions)
    await deploy({ SweepPageSize: 10, SweepRunSeconds: 0, SweepSliceEvents: 30 });
    await createBucket(s3, 'sweep-slices');
    for (let i = 0; i < 100; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => createUpload(s3, 'sweep-slices', `k-${String(i + j).padStart(3, '0')}`, [1])));

    try {
      // Act
      const run = await sweep('sweep-slices', { targets: [{ bucket: 'sweep-slices', olderThan: '1d' }] });

      // Assert
      expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 100, aborted: 100, pages: 10 });
      expectCountersEqualRecords(run.summary, run.records);
      const targets = await executionsOf('sweepTarget', run.since);
      expect(targets.length).toBeGreaterThan(2);
      // each page execution costs its sweep-target at most the events the slice budget counts (AWS writes more than the local runtime)
      const perRun = targets.reduce((total, e) => total + e.history.length, 0) / pageRunsSince(run.since).length;
      expect(perRun).toBeLessThanOrEqual(HISTORY_EVENTS.pageRun + 2);
      // sweep-uploads: its fixed events (plan, record, finish) counted into each slice's share, an upper bound
      const parentPerSlice = (await executionsOf('sweepUploads', run.since))[0].history.length / targets.length;
      expect(parentPerSlice).toBeLessThanOrEqual(20);
      // 100,000 uploads of the worst shape (1,024-byte keys escaped 6×): pages of the default budget, slices of 20,000 events
      const worstPages = Math.ceil(100_000 / uploadsPerPage({ ...WORST_UPLOAD, measure: true }));
      const slices = Math.ceil((worstPages * HISTORY_EVENTS.pageRun) / SWEEP_SETTINGS_DEFAULTS.SweepSliceEvents);
      expect(slices * parentPerSlice).toBeLessThan(25_000);
      const largestStep = HISTORY_EVENTS.handoverBatch + 25 * HISTORY_EVENTS.handover + HISTORY_EVENTS.pageRun; // a full hand-over batch
      expect(SWEEP_SETTINGS_DEFAULTS.SweepSliceEvents + largestStep).toBeLessThan(25_000);
      console.log(
        `history: ${perRun.toFixed(1)} events per page execution in sweep-target, ${parentPerSlice.toFixed(1)} per slice in sweep-uploads;` +
          ` 100,000 worst-shape uploads: ${worstPages} pages, ${slices} slices`,
      );
    } finally {
      await deploy();
    }
  });

  it('keeps every state of a page with 1,024-byte keys under its byte budget', async () => {
    // Arrange: 1,024-byte keys of characters JSON escapes (" and \), long enough that the budget cuts the pages
    await deploy({ SweepPageBytes: 64 * 1024 });
    await createBucket(s3, 'sweep-long-keys');
    const key = (i: number) => `${String(i).padStart(4, '0')}/${'"\\'.repeat(509)}"`;
    await Promise.all(Array.from({ length: 40 }, (_, i) => createUpload(s3, 'sweep-long-keys', key(i), [1])));

    try {
      // Act
      const run = await sweep('sweep-long-keys', { targets: [{ bucket: 'sweep-long-keys', olderThan: '1d' }] });

      // Assert
      expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 40, aborted: 40 });
      expectCountersEqualRecords(run.summary, run.records);
      const largest = Math.max(...pageRunsSince(run.since).map((e) => e.largestState));
      expect(Number(run.summary.pages)).toBeGreaterThan(1);
      expect(largest).toBeGreaterThan(32 * 1024);
      expect(largest).toBeLessThanOrEqual(64 * 1024);
    } finally {
      await deploy();
    }
  });

  it('aborts nothing when nothing is old enough', async () => {
    // Arrange
    await createBucket(s3, 'sweep-young');
    await Promise.all(Array.from({ length: 5 }, (_, i) => createUpload(s3, 'sweep-young', `k-${i}`, [1])));

    // Act
    const { summary } = await sweep('sweep-nothing-old', { targets: [{ bucket: 'sweep-young', olderThan: '6000d' }] });

    // Assert
    expect(await allUploads('sweep-young')).toHaveLength(5);
    expect(summary).toMatchObject({ status: 'COMPLETED', found: 0, aborted: 0, listed: 5 });
  });

  it('records an invalid sweep request as FAILED and starts nothing', async () => {
    // Act
    const { execution, summary } = await sweep('sweep-invalid', { targets: [{ bucket: 'sweep-good', olderThan: 'yesterday' }] });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidSweepRequest');
    expect(summary).toMatchObject({
      recordType: 'sweep',
      status: 'FAILED',
      error: 'InvalidSweepRequest',
      cause: expect.stringContaining('targets[0].olderThan'),
    });
  });

  it('checkpoints each target: its state holds the totals the summary sums', async () => {
    // Act
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: checkpointId('sweep-prefix', 0) }, ConsistentRead: true }));

    // Assert
    const state = Item!.state as TargetState;
    expect(state).toMatchObject({ done: true, truncated: false, handovers: [], target: { bucket: 'sweep-main', prefix: 'logs/' } });
    expect(Item).not.toHaveProperty('recordType');
  });

  it('splits a large target into lanes at key boundaries and sweeps them side by side: every old upload recorded once, uploads created meanwhile left alone', async () => {
    // Arrange: 300 uploads (no parts: the lanes are the point) over 120 keys (1 to 4 uploads a key; keys with é, U+E000 and
    // U+1F600, whose UTF-8 order is not JavaScript's), lanes of about 60; a second target of 10 uploads is one lane
    await deploy({ ...FAST, SweepLaneUploads: 60 });
    await createBucket(s3, 'sweep-lanes');
    await createBucket(s3, 'sweep-lanes-small');
    const keyOf = (i: number) => `data/${['', 'é', '\uE000', '\u{1F600}'][i % 4]}${String(i).padStart(3, '0')}`;
    const old: Array<{ key: string; uploadId: string }> = [];
    for (let i = 0; i < 120; i += 20) {
      old.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, j) => j + i).flatMap((k) => Array.from({ length: 1 + (k % 4) }, () => createUpload(s3, 'sweep-lanes', keyOf(k), []))),
        )),
      );
    }
    await Promise.all(Array.from({ length: 10 }, (_, i) => createUpload(s3, 'sweep-lanes-small', `s-${i}`, [])));
    // between the walk and the sweep: new uploads (initiated after the cutoff) on the first and on the last key of each lane
    const walks: LanesResult[] = [];
    afterWalk = async (result, payload) => {
      if (payload.target.bucket !== 'sweep-lanes') return;
      walks.push(result);
      const keys = result.lanes.flatMap((lane) => [...(lane.end ? [lane.end] : []), ...(lane.after ? [`${lane.after}~`] : [])]);
      for (const upload of await Promise.all(keys.map((key) => createUpload(s3, 'sweep-lanes', key, [])))) youngUploads.add(upload.uploadId);
    };

    try {
      // Act
      const run = await sweep('sweep-lanes', {
        targets: [
          { bucket: 'sweep-lanes', olderThan: '1d' },
          { bucket: 'sweep-lanes-small', olderThan: '1d' },
        ],
        measure: false,
      });

      // Assert: every old upload aborted and recorded once, the new ones listed once (in one lane) and left alone
      expect(old).toHaveLength(300);
      const lanes = walks[0].lanes;
      expect(lanes.length).toBeGreaterThanOrEqual(4);
      expect(run.execution.status, run.execution.cause).toBe('SUCCEEDED');
      expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 310, aborted: 310, busy: 0, listed: 310 + youngUploads.size });
      expectCountersEqualRecords(run.summary, run.records);
      expect(run.records).toHaveLength(310);
      expect(
        run.records
          .filter((r) => r.bucket === 'sweep-lanes')
          .map((r) => r.uploadId)
          .sort(),
      ).toEqual(old.map((u) => u.uploadId).sort());
      expect((await allUploads('sweep-lanes')).map((u) => u.UploadId).sort()).toEqual([...youngUploads].sort());
      expect(JSON.parse(run.summary.targetResults!)).toMatchObject([
        { bucket: 'sweep-lanes', status: 'SWEPT', lanes: lanes.length, found: 300, aborted: 300, listed: 300 + youngUploads.size },
        { bucket: 'sweep-lanes-small', status: 'SWEPT', lanes: 1, found: 10, aborted: 10 },
      ]);
      // each lane its own sweep-target executions and checkpoint, ended at its end key
      const targets = await executionsOf('sweepTarget', run.since);
      expect(targets.length).toBeGreaterThanOrEqual(lanes.length + 1);
      const overlapping = (a: LocalExecution, b: LocalExecution) => a !== b && a.startDate < b.stopDate! && b.startDate < a.stopDate!;
      expect(
        targets.some((a) => targets.some((b) => overlapping(a, b))),
        'lanes side by side',
      ).toBe(true);
      for (const lane of lanes) {
        const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: checkpointId('sweep-lanes', 0, lane.lane) }, ConsistentRead: true }));
        expect(Item?.state, `lane ${lane.lane}`).toMatchObject({
          done: true,
          truncated: false,
          lane: { lane: lane.lane, ...(lane.end ? { end: lane.end } : {}) },
        });
      }
      // sweep-uploads' history: its fixed states, a walk per target, ~12 events per lane (the worst case in test/unit/sweep-lanes.test.ts)
      const [parent] = await executionsOf('sweepUploads', run.since);
      const perLane = (parent.history.length - HISTORY_EVENTS.sweepFixed - 2 * HISTORY_EVENTS.walkWorst) / (lanes.length + 1);
      console.log(
        `lanes: ${lanes.length} + 1 lanes, ${parent.history.length} events in sweep-uploads (${walks[0].calls} LIST calls walked ${walks[0].walked})`,
      );
      expect(parent.history.length).toBeLessThanOrEqual(HISTORY_EVENTS.sweepFixed + 2 * HISTORY_EVENTS.walkWorst + (lanes.length + 1) * HISTORY_EVENTS.lane);
      expect(perLane).toBeLessThanOrEqual(HISTORY_EVENTS.lane);
    } finally {
      afterWalk = undefined;
      youngUploads.clear();
      await deploy();
    }
  });

  it("sweeps a target whose walk keeps failing as one lane (after the walk's retries): a terminal summary, every upload recorded", async () => {
    // Arrange: lanes of 2, but every walk fails
    await deploy({ ...FAST, SweepLaneUploads: 2 });
    await createBucket(s3, 'sweep-walk-fails');
    await Promise.all(Array.from({ length: 6 }, (_, i) => createUpload(s3, 'sweep-walk-fails', `k-${i}`, [1])));
    let walks = 0;
    afterWalk = async () => {
      walks += 1;
      throw Object.assign(new Error('the walk broke'), { name: 'ServiceUnavailable' });
    };

    try {
      // Act
      const { execution, summary, records } = await sweep('sweep-walk-fails', { targets: [{ bucket: 'sweep-walk-fails', olderThan: '1d' }] });

      // Assert
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      expect(walks).toBe(6); // the first call and 5 retries
      expect(summary).toMatchObject({ status: 'COMPLETED', found: 6, aborted: 6 });
      expect(JSON.parse(summary.targetResults!)).toMatchObject([{ bucket: 'sweep-walk-fails', status: 'SWEPT', lanes: 1 }]);
      expectCountersEqualRecords(summary, records);
    } finally {
      afterWalk = undefined;
      await deploy();
    }
  });

  it('prices the designs from the measured counts: ≤ $7 per million verified and recorded, ≤ $12 with the measure', () => {
    const costs = [costPerMillion(OLD_DESIGN), ...designs.map(costPerMillion)];
    console.log(
      `${formatCostTable(costs)}\n(pages of ${designs.map((d) => `${d.uploadsPerPage} uploads (${d.name})`).join(', ')}; ` +
        `${designs[0]?.perRun.toFixed(1)} sweep-target transitions per page execution)`,
    );
    expect(costs[0].total).toBeGreaterThan(750);
    expect(costs.find((c) => c.name === 'new, verified and recorded')!.total).toBeLessThanOrEqual(7);
    expect(costs.find((c) => c.name === 'new, measured (parts, bytes)')!.total).toBeLessThanOrEqual(12);
  });

  it('models 1,000,000 uploads of one target on AWS in lanes from the measured counts: the walk and the lanes within 15 minutes', () => {
    const lean = designs.find((d) => d.name === 'new, verified and recorded')!;
    const model = timeModel(lean);
    console.log(model.lines.map((line) => `- ${line}`).join('\n'));
    expect(model.oneTargetMinutes).toBeGreaterThan(60); // before lanes
    expect(model.met).toBe(true);
    expect(model.minutes).toBeGreaterThanOrEqual(model.quotaFloorMinutes);
  });
});
