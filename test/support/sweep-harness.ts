/**
 * The sweep integration tests' harness (test/integration/sweep*.test.ts): moto_server behind a fault proxy, the local
 * runtime with the real definitions and the sweep's Lambda functions in-process, every AWS request counted (the Tasks'
 * through the dispatcher, the Lambdas' through their clients) for the cost model, and the helpers that run a sweep and
 * read its records. Importing it starts the stack for the importing test file (beforeAll) and stops it after.
 * moto reports every upload's Initiated as 2010-11-10T20:48:33Z: "old enough" is either everything ("1d") or nothing
 * ("6000d"); the cutoff is unit-tested.
 */
import { INDEX_BY_STARTED_AT, shardKeys, UPLOAD_RECORD_TYPE } from '../../lib/records.ts';
import { afterAll, beforeAll } from 'vitest';
import { ListMultipartUploadsCommand, S3Client, type MultipartUpload } from '@aws-sdk/client-s3';
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';
import type { HistoryEvent, LocalExecution } from '../../emulator/execution.ts';
import { LocalStepFunctions, type RuntimeOptions } from '../../emulator/runtime.ts';
import { localLambdaHandlers } from '../../emulator/lambdas.ts';
import { FUNCTIONS, localSubstitutions, loadDefinition, STATE_MACHINES, stateMachineType, type Settings, type StateMachineKey } from '../../lib/settings.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { sweepLambdaHandlers } from '../../lib/sweep/lambdas.ts';
import { SWEEP_SDK_ATTEMPTS } from '../../lib/sweep/clients.ts';
import { walkLanes, type LanesEvent, type LanesResult } from '../../lib/sweep/lanes.ts';
import { transactItemUnits, writeUnits } from '../bench/cost.ts';
import { measuredDesign as designFromCounts, isPartsWait, type MeasuredDesign } from './sweep-design.ts';
import { awsClients, createBucket, createTable, fastRetries, startMoto, TABLE, type MotoServer } from './workflow.ts';

/** the pages' intents (lib/sweep/intent.ts) */
const INTENTS = 'sweep-intents';
import type { ServerResponse } from 'node:http';
import { ChaosController, type FaultError } from '../../emulator/fault-rules.ts';
import { identifyRequest } from '../../emulator/wire.ts';
import { serviceErrorAnswer, writeAnswer } from '../../emulator/chaos.ts';
import { startFaultProxy, answerNoContent, type FaultProxy, type FaultRule } from './fault-proxy.ts';

export let moto: MotoServer;
export let proxy: FaultProxy;
export let s3: S3Client;
export let doc: DynamoDBDocumentClient;
export let runtime: LocalStepFunctions;
export let dispatcher: TaskDispatcher;
export let arns: Record<StateMachineKey, string>;
/** upload id → aborts the proxy answers 204 without forwarding (an abort that does not take) */
export const lostAborts = new Map<string, number>();
/**
 * Faults on every request (S3 and DynamoDB, the Tasks' and the Lambdas'), from a seeded generator: `rate` of them
 * answered 503 without reaching moto, `lostRate` applied by moto and answered 500 (the answer lost).
 */
export const faults = { rate: 0, lostRate: 0, seed: 1, injected: 0 };
export const draw = (rate: number) => () => {
  if (rate === 0 || faults.rate + faults.lostRate === 0) return false;
  faults.seed = (faults.seed * 1_103_515_245 + 12_345) % 2 ** 31;
  const hit = faults.seed / 2 ** 31 < (rate === 1 ? faults.rate : faults.lostRate);
  if (hit) faults.injected += 1;
  return hit;
};
export const failWith = (status: number, method: string) => (res: ServerResponse) => {
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
export const youngUploads = new Set<string>();
export const asYoung = (res: ServerResponse, answer: { status: number; headers: Record<string, unknown>; body: Buffer }) => {
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

export const FAULT_RULES: FaultRule[] = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].flatMap((method) => [
  { method, times: Infinity, url: draw(1), respond: failWith(503, method) },
  { method, times: Infinity, url: draw(2), after: failWith(500, method) },
]);

/**
 * The Chaos API's rules (emulator/fault-rules.ts) on the harness's proxy, error faults only: e.g. 503 SlowDown on one
 * bucket. Empty: nothing injected.
 */
export const chaos = new ChaosController();
let chaosFault: { service: string; error: FaultError } | undefined;
const CHAOS_RULES: FaultRule[] = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].map((method) => ({
  method,
  times: Infinity,
  url: () => chaos.faults().length > 0,
  request: (seen) => {
    const identity = identifyRequest({ method: seen.method, url: `${seen.url.pathname}${seen.url.search}`, headers: seen.headers });
    const action = chaos.decide(identity);
    chaosFault = action?.kind === 'error' ? { service: identity.service, error: action.error } : undefined;
    return chaosFault !== undefined;
  },
  respond: (res) => writeAnswer(res, serviceErrorAnswer(chaosFault!.service, chaosFault!.error)),
}));

/** the page executions' waits "Keep to the bucket's rate": the bucket and the seconds */
export const rateWaits: Array<{ bucket: string; seconds: number }> = [];

/** what each page execution (EXPRESS: gone once ended) did, seen through the runtime's event callback */
interface PageRun {
  start: number;
  stop: number;
  events: number;
  waits: number;
  largestState: number;
}
export const pageRuns = new Map<string, PageRun>();
export function observe(execution: LocalExecution, event: HistoryEvent) {
  if (!execution.executionArn.includes(':express:')) return;
  const run = pageRuns.get(execution.executionArn) ?? { start: event.timestamp.getTime(), stop: 0, events: 0, waits: 0, largestState: 0 };
  pageRuns.set(execution.executionArn, run);
  run.events += 1;
  run.stop = event.timestamp.getTime();
  // the waits for in-flight parts (the time model's SweepWaitSeconds); "Keep to the bucket's rate" is the rate's, apart
  if (event.type === 'WaitStateEntered' && isPartsWait(event)) run.waits += 1;
  const entered = event.stateEnteredEventDetails as { name?: string; input?: string } | undefined;
  if (event.type === 'WaitStateEntered' && entered?.name === "Keep to the bucket's rate") {
    const input = JSON.parse(entered.input ?? '{}') as { paceSeconds: number; state: { target: { bucket: string } } };
    rateWaits.push({ bucket: input.state.target.bucket, seconds: input.paceSeconds });
  }
  const details = (event.stateEnteredEventDetails ?? event.stateExitedEventDetails) as { input?: string; output?: string } | undefined;
  run.largestState = Math.max(run.largestState, Buffer.byteLength(details?.input ?? details?.output ?? '', 'utf8'));
}
export const pageRunsSince = (since: Date) => [...pageRuns.values()].filter((run) => run.start >= since.getTime());

/** AWS requests and their units, counted while a sweep runs */
interface Meter {
  requests: Record<string, number>;
  /** write units (table and GSIs) of the upload records, of the targets' checkpoints, of the rest; read units */
  recordWriteUnits: number;
  recordPuts: number;
  checkpointWriteUnits: number;
  /** the ledger's markers and ADDs (lib/ledger.ts) */
  ledgerWriteUnits: number;
  otherWriteUnits: number;
  readUnits: number;
  lambdaCalls: number;
  /** the walks of "Split targets into lanes" and their ListMultipartUploads calls */
  walks: number;
  walkListCalls: number;
}
export const newMeter = (): Meter => ({
  requests: {},
  recordWriteUnits: 0,
  recordPuts: 0,
  checkpointWriteUnits: 0,
  ledgerWriteUnits: 0,
  otherWriteUnits: 0,
  readUnits: 0,
  lambdaCalls: 0,
  walks: 0,
  walkListCalls: 0,
});
export let meter = newMeter();
export const count = (name: string, n = 1) => {
  meter.requests[name] = (meter.requests[name] ?? 0) + n;
};

/** counts every request a client sends (the Lambdas' S3 and DynamoDB clients), with DynamoDB's units (marshalled input: build step) */
export function metered<C extends S3Client | DynamoDBClient>(client: C, service: string): C {
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
      } else if (command === 'TransactWriteItems') {
        // a step's checkpoint with its ledger marker and ADD (lib/sweep/ledger-step.ts): what the transaction adds is the ledger's
        for (const entry of input.TransactItems as Array<Parameters<typeof transactItemUnits>[0]>) {
          const id = entry.Put?.Item?.id?.S ?? '';
          const checkpoint = id.includes('#target-') && !id.includes('#ledger#') ? writeUnits(entry.Put!.Item!) : 0;
          meter.checkpointWriteUnits += checkpoint;
          meter.ledgerWriteUnits += transactItemUnits(entry) - checkpoint;
        }
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

export const FAST: Partial<Settings> = { SweepPageSize: 40 };

export async function deploy(settings: Partial<Settings> = FAST) {
  // the activity guard's default window 0: the tests sweep uploads they just created (a request may still ask for it)
  const substitutions = localSubstitutions(TABLE, { SweepActiveWithin: 0, ...settings });
  arns = Object.fromEntries(
    (Object.keys(STATE_MACHINES) as StateMachineKey[]).map((key) => {
      const definition = loadDefinition(STATE_MACHINES[key].file, substitutions);
      return [key, runtime.createStateMachine({ name: STATE_MACHINES[key].name, definition, type: stateMachineType(key) }).stateMachineArn];
    }),
  ) as Record<StateMachineKey, string>;
}

export let runtimeOptions: RuntimeOptions;
/** a runtime with the harness's dispatcher and Lambdas, and these options on top (the previous one closed) */
export async function startRuntime(options: Partial<RuntimeOptions> = {}, settings?: Partial<Settings>) {
  await runtime?.close();
  runtime = new LocalStepFunctions({ ...runtimeOptions, ...options });
  await deploy(settings);
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint, [
    ...FAULT_RULES,
    ...CHAOS_RULES,
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
  const deps = { s3: metered(new S3Client(config), 's3'), doc: DynamoDBDocumentClient.from(lambdaDynamodb), tableName: TABLE, intentsBucket: INTENTS };
  await createBucket(clients.s3, INTENTS);
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
  dispatcher = new TaskDispatcher({ endpoint: proxy.endpoint, onRequest: (service, action) => count(`task:${service}:${action}`) });
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

export async function allUploads(bucket: string): Promise<MultipartUpload[]> {
  // moto answers the whole listing at once
  return (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
}

/** the STANDARD executions of a machine started since then, with their histories (every one has ended when the sweep has) */
export const executionsOf = (key: StateMachineKey, since: Date): Promise<LocalExecution[]> =>
  Promise.all(
    runtime
      .listExecutions({ stateMachineArn: arns[key], maxResults: 100_000 })
      .executions.filter((e) => e.startDate >= since)
      .map((e) => runtime.waitForExecution(e.executionArn)),
  );

export async function sweep(name: string, input: object) {
  meter = newMeter();
  const since = new Date();
  const { executionArn } = runtime.startExecution({ stateMachineArn: arns.sweepUploads, name, input: JSON.stringify(input) });
  const execution = await runtime.waitForExecution(executionArn);
  const { Item: summary } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: name }, ConsistentRead: true }));
  const records = await recordsOfSweep(name);
  return { execution, summary: summary as Record<string, unknown> & { targetResults?: string }, records, since, meter };
}

/** the sweep's upload records, read as the API reads them: every shard of the newest-first index */
export async function recordsOfSweep(sweepId: string) {
  const items: Array<Record<string, unknown>> = [];
  for (const listKey of shardKeys(UPLOAD_RECORD_TYPE)) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: TABLE,
          IndexName: INDEX_BY_STARTED_AT,
          KeyConditionExpression: 'listKey = :k',
          FilterExpression: 'sweepId = :s',
          ExpressionAttributeValues: { ':k': listKey, ':s': sweepId },
          ExclusiveStartKey,
        }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return items;
}

/** the summary's counters equal the records': each status, parts and bytes; found = records + busy */
export { expectCountersEqualRecords } from './sweep-checks.ts';

export const entered = (e: LocalExecution) => e.history.filter((event) => event.type.endsWith('StateEntered')).length;

/** the measured counts of a sweep as the cost model takes them (test/support/sweep-design.ts) */
export async function measuredDesign(name: string, run: Awaited<ReturnType<typeof sweep>>, uploads: number, measure: boolean): Promise<MeasuredDesign> {
  const express = pageRunsSince(run.since);
  const design = designFromCounts(name, {
    uploads,
    pages: Number(run.summary.pages),
    measure,
    requests: run.meter.requests,
    recordPuts: run.meter.recordPuts,
    recordWriteUnits: run.meter.recordWriteUnits,
    checkpointWriteUnits: run.meter.checkpointWriteUnits,
    ledgerWriteUnits: run.meter.ledgerWriteUnits,
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

/** what the next lane walks do once they have walked (undefined: nothing) */
export function setAfterWalk(hook: typeof afterWalk) {
  afterWalk = hook;
}
