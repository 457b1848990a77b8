/**
 * The local AWS endpoint: ONE http://host:port that AWS SDKs, the AWS CLI and `mpu-reaper` (AWS_ENDPOINT_URL) talk to.
 * - Step Functions (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Action>`) is answered here by the local runtime.
 * - Other JSON targets can be plugged in through `extraTargets` (e.g. `AWSEvents.` for a local EventBridge).
 * - Everything else (S3 REST, DynamoDB JSON) is streamed byte for byte to moto_server and its answer streamed back:
 *   DynamoDB to a moto_server of its own when `dynamodbEndpoint` is given (motoUpstream in chaos.ts).
 * - /_localstack/chaos/* is the Chaos API; every other request passes through its fault rules (emulator/chaos.ts).
 */
import type { StateMachineType } from './execution.ts';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  handleChaosApi,
  isChaosApiRequest,
  motoUpstream,
  requestJsonContentType,
  serveWithChaos,
  writeAnswer,
  type Upstream,
  type WireAnswer,
} from './chaos.ts';
import { ChaosController } from './fault-rules.ts';
import { AWS_JSON_ERROR_NAMESPACES, awsJsonErrorBody } from './wire.ts';
import { SfnApiError, type LocalStepFunctions } from './runtime.ts';
import { listen } from './listen.ts';
import type { UploadFacts } from './upload-facts.ts';

export { AWS_JSON_1_0, awsJsonErrorBody, forwardedRequestHeaders, forwardedResponseHeaders } from './wire.ts';

export const SFN_TARGET_PREFIX = 'AWSStepFunctions.';
/** the namespace Step Functions puts before an error code in `__type`; SDKs and the CLI keep the part after '#' */
export const SFN_ERROR_NAMESPACE = AWS_JSON_ERROR_NAMESPACES.stepfunctions;
/** AWS's own namespace for protocol-level errors such as an unknown X-Amz-Target */
export const CORAL_ERROR_NAMESPACE = 'com.amazon.coral.service';

/** A handler for the actions of one X-Amz-Target prefix: gets the action (the part after the prefix) and the parsed body. */
export type TargetHandler = (action: string, body: Record<string, unknown>) => Promise<object>;

export interface LocalEndpointOptions {
  port: number;
  host?: string;
  runtime: LocalStepFunctions;
  /** moto_server, e.g. http://127.0.0.1:5000: receives every request this endpoint does not answer itself */
  motoEndpoint: string;
  /** a moto_server of its own for DynamoDB requests (motoUpstream in chaos.ts); default: motoEndpoint serves them too */
  dynamodbEndpoint?: string;
  /** X-Amz-Target prefix (with its trailing dot, e.g. 'AWSEvents.') → handler */
  extraTargets?: Record<string, TargetHandler>;
  /** the fault rules every request passes through, served at /_localstack/chaos (default: a controller without rules) */
  chaos?: ChaosController;
  /** each upload's real Initiated and StorageClass (emulator/upload-facts.ts), shared with the stack's other proxies */
  facts?: UploadFacts;
  log?: (line: string) => void;
}

export interface LocalEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An API error answered in the AWS JSON protocol; `namespace` goes before '#' in `__type`. */
export class AwsJsonError extends Error {
  readonly code: string;
  readonly status: number;
  readonly namespace?: string;
  constructor(code: string, message: string, options: { status?: number; namespace?: string } = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = options.status ?? 400;
    this.namespace = options.namespace;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pure protocol helpers
// ---------------------------------------------------------------------------------------------------------------

/** A Date as AWS JSON protocols send timestamps: epoch seconds, milliseconds as the fraction. */
export function toEpochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** A response value as AWS JSON: Dates become epoch seconds, undefined members are dropped, everything else is kept. */
export function toAwsJson(value: unknown): unknown {
  if (value instanceof Date) return toEpochSeconds(value);
  if (Array.isArray(value)) return value.map(toAwsJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toAwsJson(v);
    return out;
  }
  return value;
}

/** Splits `X-Amz-Target` against the known prefixes: `AWSStepFunctions.StartExecution` → prefix + action. */
export function parseTarget(target: string | undefined, prefixes: readonly string[]): { prefix: string; action: string } | undefined {
  if (!target) return undefined;
  const prefix = prefixes.find((p) => target.startsWith(p));
  return prefix === undefined ? undefined : { prefix, action: target.slice(prefix.length) };
}

/** Offset pagination as the runtime does it: nextToken is the index of the next item. */
export function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown, defaultSize = 100): { page: T[]; nextToken?: string } {
  const start = typeof nextToken === 'string' && /^\d+$/.test(nextToken) ? Number(nextToken) : 0;
  if (nextToken !== undefined && nextToken !== null && !(typeof nextToken === 'string' && /^\d+$/.test(nextToken))) {
    throw new SfnApiError('InvalidToken', `Invalid Token: '${String(nextToken)}'`);
  }
  const size = typeof maxResults === 'number' && maxResults > 0 ? maxResults : defaultSize;
  return { page: items.slice(start, start + size), nextToken: start + size < items.length ? String(start + size) : undefined };
}

// ---------------------------------------------------------------------------------------------------------------
// Step Functions actions
// ---------------------------------------------------------------------------------------------------------------

type Body = Record<string, unknown>;

function required(body: Body, ...names: string[]): void {
  const missing = names.filter((n) => typeof body[n] !== 'string' || body[n] === '');
  if (missing.length) {
    const errors = missing.map((n) => `Value null at '${n}' failed to satisfy constraint: Member must not be null`);
    throw new SfnApiError('ValidationException', `${missing.length} validation error(s) detected: ${errors.join('; ')}`);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Strips execution data (input/output) from history event details, as includeExecutionData: false does. */
function withoutExecutionData(event: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') {
      const { input: _input, output: _output, ...rest } = v as Record<string, unknown>;
      out[k] = rest;
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** Runs one Step Functions action on the local runtime; the result still holds Dates (see toAwsJson). */
export function stepFunctionsAction(runtime: LocalStepFunctions, action: string, body: Body): object {
  switch (action) {
    case 'CreateStateMachine': {
      required(body, 'name', 'definition');
      return runtime.createStateMachine({
        name: body.name as string,
        definition: body.definition as string,
        roleArn: str(body.roleArn),
        type: body.type as StateMachineType | undefined,
      });
    }
    case 'UpdateStateMachine': {
      required(body, 'stateMachineArn');
      const current = runtime.describeStateMachine(body.stateMachineArn as string);
      runtime.createStateMachine({ name: current.name, definition: str(body.definition) ?? current.definition, roleArn: str(body.roleArn) ?? current.roleArn });
      return { updateDate: new Date() };
    }
    case 'DescribeStateMachine':
      required(body, 'stateMachineArn');
      return runtime.describeStateMachine(body.stateMachineArn as string);
    case 'ListStateMachines': {
      const { page, nextToken } = paginate(runtime.listStateMachines(), body.maxResults, body.nextToken);
      return { stateMachines: page, nextToken };
    }
    case 'DeleteStateMachine': {
      required(body, 'stateMachineArn');
      // AWS answers 200 for a state machine that is already gone
      runtime.deleteStateMachine(body.stateMachineArn as string);
      return {};
    }
    case 'StartExecution':
      required(body, 'stateMachineArn');
      return runtime.startExecution({ stateMachineArn: body.stateMachineArn as string, name: str(body.name), input: str(body.input) });
    case 'DescribeExecution':
      required(body, 'executionArn');
      return runtime.describeExecution(body.executionArn as string);
    case 'ListExecutions':
      required(body, 'stateMachineArn');
      return runtime.listExecutions({
        stateMachineArn: body.stateMachineArn as string,
        statusFilter: str(body.statusFilter),
        maxResults: typeof body.maxResults === 'number' ? body.maxResults : undefined,
        nextToken: str(body.nextToken),
      });
    case 'GetExecutionHistory': {
      required(body, 'executionArn');
      const result = runtime.getExecutionHistory({
        executionArn: body.executionArn as string,
        reverseOrder: body.reverseOrder === true,
        maxResults: typeof body.maxResults === 'number' ? body.maxResults : undefined,
        nextToken: str(body.nextToken),
      });
      if (body.includeExecutionData !== false) return result;
      return { ...result, events: result.events.map((e) => withoutExecutionData(e as unknown as Record<string, unknown>)) };
    }
    case 'StopExecution':
      required(body, 'executionArn');
      return runtime.stopExecution({ executionArn: body.executionArn as string, error: str(body.error), cause: str(body.cause) });
    default:
      throw new AwsJsonError('UnknownOperationException', `the local endpoint does not implement ${SFN_TARGET_PREFIX}${action}`, {
        namespace: CORAL_ERROR_NAMESPACE,
      });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------------

async function readJson(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsJsonError('SerializationException', 'the request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsJsonError('SerializationException', 'the request body must be a JSON object');
  }
  return parsed as Body;
}

export async function startLocalEndpoint(options: LocalEndpointOptions): Promise<LocalEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const chaos = options.chaos ?? new ChaosController();
  const moto = motoUpstream({ s3: options.motoEndpoint, dynamodb: options.dynamodbEndpoint }, options.facts);
  const extraTargets = options.extraTargets ?? {};
  const prefixes = [SFN_TARGET_PREFIX, ...Object.keys(extraTargets)];

  /** the answer of an action this endpoint serves itself (the action runs here, whether or not the answer is sent) */
  const jsonAnswer = async (req: IncomingMessage, prefix: string, action: string): Promise<WireAnswer> => {
    const requestId = randomUUID();
    const isSfn = prefix === SFN_TARGET_PREFIX;
    let status = 200;
    let payload: string;
    try {
      if (req.method !== 'POST') throw new AwsJsonError('UnknownOperationException', `${prefix}${action} must be a POST`, { namespace: CORAL_ERROR_NAMESPACE });
      const body = await readJson(req);
      const result = isSfn ? stepFunctionsAction(options.runtime, action, body) : await extraTargets[prefix](action, body);
      payload = JSON.stringify(toAwsJson(result) ?? {});
    } catch (error) {
      const e = error as Error & { code?: unknown; status?: unknown; namespace?: unknown };
      const known = error instanceof SfnApiError || error instanceof AwsJsonError || typeof e.code === 'string';
      const code = known ? String(e.code) : 'InternalFailure';
      status = known ? (typeof e.status === 'number' ? e.status : 400) : 500;
      const namespace = typeof e.namespace === 'string' ? e.namespace : isSfn ? SFN_ERROR_NAMESPACE : undefined;
      payload = awsJsonErrorBody(code, e.message, namespace);
    }
    options.log?.(`${prefix}${action} → ${status}`);
    return { status, headers: { 'content-type': requestJsonContentType(req), 'x-amzn-requestid': requestId }, body: payload };
  };
  const localTarget = (prefix: string, action: string): Upstream => ({
    answer: async (req, res) => writeAnswer(res, await jsonAnswer(req, prefix, action)),
    apply: async (req) => {
      await jsonAnswer(req, prefix, action);
    },
  });

  const server = createServer((req, res) => {
    if (isChaosApiRequest(req.url)) {
      void handleChaosApi(chaos, req, res);
      return;
    }
    const targetHeader = req.headers['x-amz-target'];
    const target = parseTarget(Array.isArray(targetHeader) ? targetHeader[0] : targetHeader, prefixes);
    const upstream = target ? localTarget(target.prefix, target.action) : moto;
    serveWithChaos(chaos, req, res, upstream).catch((error: Error) => failed(res, error));
  });
  const { url, port, close } = await listen(server, options.port, host);
  return {
    url,
    port,
    close: () => {
      moto.close();
      return close();
    },
  };
}

/** an error of the endpoint itself (not of a service): 500 if nothing was sent yet, else the connection is cut */
function failed(res: ServerResponse, error: Error): void {
  if (res.headersSent) res.destroy(error);
  else writeAnswer(res, { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `the local endpoint failed: ${error.message}` });
}
