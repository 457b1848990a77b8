/**
 * The whole local stack in one call: two moto_server processes (S3; DynamoDB), the local Step Functions runtime whose
 * Tasks go to them, and ONE endpoint serving S3 + DynamoDB + Step Functions + EventBridge, with the project deployed on it.
 * One chaos controller (emulator/fault-rules.ts) rules both the endpoint and the proxy between the runtime's Tasks and
 * moto: a fault rule set through /_localstack/chaos/faults hits clients, the API's handlers and the workflow alike.
 */
import { deployLocal, LOCAL_INTENTS_BUCKET } from 's3-mpu-reaper/lib/deploy-local.ts';
import { TaskDispatcher } from './dispatcher.ts';
import { AwsJsonError, startLocalEndpoint, type LocalEndpoint, type TargetHandler } from './endpoint.ts';
import { startMoto, type MotoServer } from './moto.ts';
import { startLocalApi } from './api-server.ts';
import { invokeFunction, localLambdaHandlers } from './lambdas.ts';
import { startChaosProxy, type ChaosProxy } from './chaos.ts';
import { ChaosController, type ChaosOptions } from './fault-rules.ts';
import { UploadFacts } from './upload-facts.ts';
import { STATUS_CHANGE_HISTORY_EVENTS, createLocalEventBus, executionStatusChangeEvent, type LocalEventBus } from './eventbridge.ts';
import { localRulesFromServerlessYml } from './eventbridge-rules.ts';
import { parseAllowlist } from 's3-mpu-reaper/lib/allowlist.ts';
import { createClients, type AwsClients } from 's3-mpu-reaper/lib/aws.ts';
import { sweepDepsOf } from 's3-mpu-reaper/lib/sweep/clients.ts';
import { LocalStepFunctions, type RuntimeOptions } from './runtime.ts';
import { DEFAULT_TABLE_NAME, resolveSettings, type Settings, type StateMachineKey } from 's3-mpu-reaper/lib/settings.ts';

/** the port `npm start` serves on unless told otherwise (the port AWS emulators customarily use) */
export const DEFAULT_AWS_PORT = 4566;

/**
 * What npm start says about its state: moto_server and the local runtime keep everything in memory, so stopping the
 * stack loses it (moto_server runs without persistence; executions live in the runtime's process).
 */
export const IN_MEMORY_NOTICE = [
  'everything is kept in memory: stopping this stack (Ctrl-C, a crash, a restart) loses the buckets and their uploads,',
  'the records table with every record and sweep, and the executions and their histories; npm start begins empty again',
];

export interface LocalStackOptions {
  /** the endpoint's port; 0 (the default) picks a free one */
  awsPort?: number;
  host?: string;
  tableName?: string;
  /** DefinitionSubstitutions for the deployed state machines (defaults: ABORT_SETTINGS_DEFAULTS) */
  settings?: Partial<Settings>;
  /** Wait state name → ms, for every execution of this stack */
  waitTimeOverrides?: Record<string, number>;
  /** state name → ms between retries, for every execution of this stack */
  retryIntervalOverrides?: Record<string, number>;
  /**
   * The Chaos API's first state: faults and effects apply once the stack is deployed (the deployment itself is not
   * faulted); the seed applies from the start. Change them later through `stack.chaos` or /_localstack/chaos/*.
   */
  chaos?: Omit<ChaosOptions, 'log'>;
  /** other X-Amz-Target prefixes the endpoint answers itself (see startLocalEndpoint) */
  extraTargets?: Record<string, TargetHandler>;
  /** a fixed port for moto_server (the S3 one; default: a free one) */
  motoPort?: number;
  /**
   * 2 (the default): DynamoDB in a moto_server process of its own, as on AWS where S3 and DynamoDB are separate
   * services (one moto_server's core serving both made every record write slow the S3 calls); 1: one serves both
   * (the bench compares the two).
   */
  motoProcesses?: 1 | 2;
  /** serve the HTTP API (the functions/ handlers) on this port; undefined: no API, 0: any free port */
  apiPort?: number;
  /** the API's bucket allowlist (ALLOWED_BUCKETS); default: every bucket */
  allowedBuckets?: string;
  log?: (line: string) => void;
  /** called for every history event of every execution, after the stack's own handling (benchmarks, progress displays) */
  onExecutionEvent?: RuntimeOptions['onExecutionEvent'];
}

export interface LocalStack {
  /** the endpoint URL serving S3, DynamoDB, Step Functions, EventBridge and the Chaos API */
  endpoint: string;
  /** the moto_server of S3 (and of DynamoDB with motoProcesses: 1) */
  moto: MotoServer;
  /** the moto_server of DynamoDB: a process of its own, or `moto` itself with motoProcesses: 1 */
  dynamodbMoto: MotoServer;
  runtime: LocalStepFunctions;
  stateMachineArns: Record<StateMachineKey, string>;
  tableName: string;
  /** the HTTP API's URL, when apiPort was given */
  apiUrl?: string;
  /** PutEvents on the endpoint and Step Functions' status changes: rules from serverless.yml */
  eventBus: LocalEventBus;
  /** the fault rules of the endpoint and of the runtime's Tasks (the same state as /_localstack/chaos/*) */
  chaos: ChaosController;
  /** the URL the runtime's Tasks send their S3 and DynamoDB requests to: a chaos proxy in front of moto */
  taskEndpoint: string;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const log = options.log;
  // startMoto throws the install hint when moto_server is missing: let it reach the caller
  const started = await Promise.allSettled([startMoto({ port: options.motoPort }), ...(options.motoProcesses === 1 ? [] : [startMoto()])]);
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw failure.reason;
  }
  const [moto, dynamodbMoto = moto] = started.map((s) => (s as PromiseFulfilledResult<MotoServer>).value);
  const chaos = new ChaosController({ seed: options.chaos?.seed, log });
  // the endpoint and the Tasks' proxy both front moto: an upload created through one is listed through the other
  const facts = new UploadFacts();
  let taskProxy: ChaosProxy | undefined;
  let dispatcher: TaskDispatcher | undefined;
  let runtime: LocalStepFunctions | undefined;
  let endpoint: LocalEndpoint | undefined;
  let api: { url: string; close(): Promise<void> } | undefined;
  let eventBus: LocalEventBus | undefined;
  let functionClients: AwsClients | undefined;
  let sweepClients: ReturnType<typeof sweepDepsOf> | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await api?.close();
      await eventBus?.close(); // no more deliveries; functions still running finish first
      await runtime?.close(); // ends running executions before their endpoints go away
      await endpoint?.close();
      await taskProxy?.close();
      await dispatcher?.destroy();
      functionClients?.s3.destroy();
      functionClients?.dynamodb.destroy();
      sweepClients?.destroy();
      await Promise.all([moto.stop(), dynamodbMoto.stop()]);
    })();
    return stopped;
  };
  try {
    // filled once the endpoint is up: the functions' clients go through it, as the workflow's own calls do
    const lambdaHandlers: Record<string, (payload: unknown) => Promise<unknown>> = {};
    taskProxy = await startChaosProxy({ target: moto.endpoint, dynamodbTarget: dynamodbMoto.endpoint, chaos, facts });
    dispatcher = new TaskDispatcher({ endpoint: taskProxy.endpoint, serializeItemUpdates: true });
    runtime = new LocalStepFunctions({
      dispatcher,
      lambdaHandlers,
      waitTimeOverrides: options.waitTimeOverrides,
      retryIntervalOverrides: options.retryIntervalOverrides,
      // Step Functions emits a status change to EventBridge when an execution starts and when it ends
      onExecutionEvent: (execution, event) => {
        options.onExecutionEvent?.(execution, event);
        if (!eventBus || !STATUS_CHANGE_HISTORY_EVENTS.has(event.type)) return;
        const bus = eventBus;
        const change = executionStatusChangeEvent(execution, runtime!);
        setImmediate(() => bus.publish(change)); // delivered after the execution's own bookkeeping, as EventBridge does
      },
    });
    const events = {
      'AWSEvents.': async (action: string, body: Record<string, unknown>) => {
        if (action !== 'PutEvents') throw new AwsJsonError('UnknownOperationException', `the local EventBridge serves PutEvents only, not ${action}`);
        if (!eventBus) throw new AwsJsonError('ServiceUnavailable', 'the stack is still deploying');
        return eventBus.putEvents(body);
      },
    };
    endpoint = await startLocalEndpoint({
      port: options.awsPort ?? 0,
      host: options.host,
      runtime,
      motoEndpoint: moto.endpoint,
      dynamodbEndpoint: dynamodbMoto.endpoint,
      extraTargets: { ...events, ...options.extraTargets },
      chaos,
      facts,
    });
    log?.(`moto_server on ${moto.endpoint} (S3), ${dynamodbMoto.endpoint} (DynamoDB); endpoint on ${endpoint.url}; Tasks through ${taskProxy.endpoint}`);
    // the state machines' functions get this stack's own clients (through the endpoint, so through the fault rules)
    const functionEnv = { AWS_ENDPOINT_URL: endpoint.url, AWS_REGION: runtime.region, RECORDS_TABLE: tableName, SWEEP_INTENTS_BUCKET: LOCAL_INTENTS_BUCKET };
    functionClients = createClients(functionEnv);
    // the sweep's functions: the clients they have on Lambda (more SDK attempts than the default)
    sweepClients = sweepDepsOf(functionEnv);
    Object.assign(
      lambdaHandlers,
      localLambdaHandlers(
        {
          doc: functionClients.doc,
          s3: functionClients.s3,
          tableName,
          allowlist: parseAllowlist(options.allowedBuckets ?? '*'),
        },
        sweepClients,
      ),
    );
    const stateMachineArns = await deployLocal({ endpoint: endpoint.url, tableName, settings: options.settings, log });
    const localRuntime = runtime;
    // the functions (API handlers, EventBridge and state machine targets) read their configuration from the
    // environment once, as on Lambda: set it before any of them loads. Their SDK calls go to the endpoint, so
    // through the same fault rules as everything else.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: endpoint.url,
      AWS_REGION: localRuntime.region,
      RECORDS_TABLE: tableName,
      ABORT_STATE_MACHINE_ARN: stateMachineArns.abortUpload,
      SWEEP_STATE_MACHINE_ARN: stateMachineArns.sweepUploads,
      SWEEP_TARGET_STATE_MACHINE_ARN: stateMachineArns.sweepTarget,
      SWEEP_INTENTS_BUCKET: LOCAL_INTENTS_BUCKET,
      ALLOWED_BUCKETS: options.allowedBuckets ?? '*',
      // what serverless.yml gives createAbort and recordInterruptedRun: the stack's own retention setting
      RECORD_RETENTION_SECONDS: String(resolveSettings(options.settings).RecordRetentionSeconds),
      // what serverless.yml gives the plan's functions (GET /sweeps/{id}/plan, POST /sweeps/{id}/apply)
      SWEEP_PLAN_MAX_AGE_SECONDS: String(resolveSettings(options.settings).SweepPlanMaxAge),
      SWEEP_MINIMUM_AGE_SECONDS: String(resolveSettings(options.settings).SweepMinimumAge),
    });
    eventBus = createLocalEventBus({
      runtime: localRuntime,
      rules: localRulesFromServerlessYml({ stateMachineArns }),
      invokeFunction,
      log,
    });
    if (options.chaos?.faults) chaos.setFaults(options.chaos.faults);
    if (options.chaos?.effects) chaos.setEffects(options.chaos.effects);
    if (options.apiPort !== undefined) api = await startLocalApi({ port: options.apiPort, host: options.host, log });
    return {
      endpoint: endpoint.url,
      moto,
      dynamodbMoto,
      runtime,
      stateMachineArns,
      tableName,
      apiUrl: api?.url,
      eventBus,
      chaos,
      taskEndpoint: taskProxy.endpoint,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
