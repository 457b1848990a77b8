/**
 * The whole local stack in one call: moto_server (S3, DynamoDB), the local Step Functions runtime whose Tasks go to
 * moto, and ONE endpoint serving S3 + DynamoDB + Step Functions, with the project deployed on it.
 */
import { deployLocal } from './deploy.ts';
import { TaskDispatcher } from './dispatcher.ts';
import { AwsJsonError, startLocalEndpoint, type LocalEndpoint, type TargetHandler } from './endpoint.ts';
import { startMoto, type MotoServer } from './moto.ts';
import { startLocalApi } from './api-server.ts';
import { localLambdaHandlers } from './lambdas.ts';
import { parseAllowlist } from '../allowlist.ts';
import { createClients, type AwsClients } from '../aws.ts';
import { createLocalEventBus, stateMachineRulesFromServerlessYml, type LocalEventBus } from './eventbridge.ts';
import { LocalStepFunctions } from './runtime.ts';
import { DEFAULT_TABLE_NAME, type Settings, type StateMachineKey } from '../settings.ts';

/** the port `npm start` serves on unless told otherwise (the port AWS emulators customarily use) */
export const DEFAULT_AWS_PORT = 4566;

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
   * Where the runtime's Tasks send their S3/DynamoDB calls; default moto's endpoint. A function gets moto once it
   * runs, so a test can put a fault-injecting proxy in between: `async (moto) => (await startFaultProxy(moto.endpoint, rules)).endpoint`.
   */
  dispatcherEndpoint?: string | ((moto: MotoServer) => string | Promise<string>);
  /** other X-Amz-Target prefixes the endpoint answers itself (see startLocalEndpoint) */
  extraTargets?: Record<string, TargetHandler>;
  /** a fixed port for moto_server (default: a free one) */
  motoPort?: number;
  /** serve the HTTP API (the functions/ handlers) on this port; undefined: no API, 0: any free port */
  apiPort?: number;
  /** the API's bucket allowlist (ALLOWED_BUCKETS); default: every bucket */
  allowedBuckets?: string;
  log?: (line: string) => void;
}

export interface LocalStack {
  /** the endpoint URL serving S3, DynamoDB and Step Functions */
  endpoint: string;
  moto: MotoServer;
  runtime: LocalStepFunctions;
  stateMachineArns: Record<StateMachineKey, string>;
  tableName: string;
  /** the HTTP API's URL, when apiPort was given */
  apiUrl?: string;
  /** PutEvents on the endpoint: rules from serverless.yml */
  eventBus: LocalEventBus;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const log = options.log;
  // startMoto throws the install hint when moto_server is missing: let it reach the caller
  const moto = await startMoto({ port: options.motoPort });
  let dispatcher: TaskDispatcher | undefined;
  let runtime: LocalStepFunctions | undefined;
  let endpoint: LocalEndpoint | undefined;
  let api: { url: string; close(): Promise<void> } | undefined;
  let eventBus: LocalEventBus | undefined;
  let functionClients: AwsClients | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await api?.close();
      await runtime?.close(); // ends running executions before their endpoints go away
      await endpoint?.close();
      await dispatcher?.destroy();
      functionClients?.s3.destroy();
      functionClients?.dynamodb.destroy();
      await moto.stop();
    })();
    return stopped;
  };
  try {
    const dispatcherEndpoint = typeof options.dispatcherEndpoint === 'function'
      ? await options.dispatcherEndpoint(moto)
      : options.dispatcherEndpoint ?? moto.endpoint;
    // filled once the endpoint is up: the functions' clients go through it, as the workflow's own calls do
    const lambdaHandlers: Record<string, (payload: unknown) => Promise<unknown>> = {};
    dispatcher = new TaskDispatcher({ endpoint: dispatcherEndpoint, pageMultipartUploads: true, serializeItemUpdates: true });
    runtime = new LocalStepFunctions({
      dispatcher,
      lambdaHandlers,
      waitTimeOverrides: options.waitTimeOverrides,
      retryIntervalOverrides: options.retryIntervalOverrides,
    });
    const events = {
      'AWSEvents.': async (action: string, body: Record<string, unknown>) => {
        if (action !== 'PutEvents') throw new AwsJsonError('UnknownOperationException', `the local EventBridge serves PutEvents only, not ${action}`);
        if (!eventBus) throw new AwsJsonError('ServiceUnavailable', 'the stack is still deploying');
        return eventBus.putEvents(body);
      },
    };
    endpoint = await startLocalEndpoint({
      port: options.awsPort ?? 0, host: options.host, runtime, motoEndpoint: moto.endpoint, extraTargets: { ...events, ...options.extraTargets },
    });
    log?.(`moto_server on ${moto.endpoint}; endpoint on ${endpoint.url}`);
    // the Lambda handlers (the state machines' functions, the API's) read their configuration from the environment
    // once, as on Lambda: set it before any of them loads
    Object.assign(process.env, { AWS_ENDPOINT_URL: endpoint.url, AWS_REGION: runtime.region, RECORDS_TABLE: tableName, ALLOWED_BUCKETS: options.allowedBuckets ?? '*' });
    functionClients = createClients({ AWS_ENDPOINT_URL: endpoint.url, AWS_REGION: runtime.region });
    Object.assign(lambdaHandlers, localLambdaHandlers({
      doc: functionClients.doc, s3: functionClients.s3, tableName, allowlist: parseAllowlist(options.allowedBuckets ?? '*'),
    }));
    const stateMachineArns = await deployLocal({ endpoint: endpoint.url, tableName, settings: options.settings, log });
    const localRuntime = runtime;
    eventBus = createLocalEventBus({
      runtime: localRuntime,
      rules: (Object.keys(stateMachineArns) as StateMachineKey[]).flatMap((key) => stateMachineRulesFromServerlessYml(key).map((rule) => ({ ...rule, stateMachineArn: stateMachineArns[key] }))),
      log,
    });
    if (options.apiPort !== undefined) {
      Object.assign(process.env, { ABORT_STATE_MACHINE_ARN: stateMachineArns.abortUpload, SWEEP_STATE_MACHINE_ARN: stateMachineArns.sweepUploads });
      api = await startLocalApi({ port: options.apiPort, host: options.host, log });
    }
    return { endpoint: endpoint.url, moto, runtime, stateMachineArns, tableName, apiUrl: api?.url, eventBus, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
