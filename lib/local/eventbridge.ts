/**
 * The local EventBridge (default bus): PutEvents on the local endpoint, checked as EventBridge checks it (at most 10
 * entries and 256 KB a call, errors per entry), and the events AWS services emit themselves (Step Functions'
 * "Execution Status Change"), both matched against the project's rules as serverless.yml declares them. A matching
 * rule's target (a state machine, or a function run in-process) receives the event as the target's InputPath,
 * InputTransformer or Input shapes it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { AwsJsonError } from './endpoint.ts';
import type { LocalExecution, LocalStepFunctions } from './runtime.ts';

export type EventPattern = { [field: string]: EventPattern | unknown[] };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function matchesValue(matcher: unknown, value: unknown, present: boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  if (!isPlainObject(matcher)) return present && values.some((v) => v === matcher);
  const [[operator, operand], ...rest] = Object.entries(matcher);
  if (rest.length > 0) throw new Error(`event pattern: one operator per matcher, got ${Object.keys(matcher).join(', ')}`);
  switch (operator) {
    case 'exists':
      return operand === present;
    case 'prefix':
      return present && values.some((v) => typeof v === 'string' && v.startsWith(String(operand)));
    case 'suffix':
      return present && values.some((v) => typeof v === 'string' && v.endsWith(String(operand)));
    case 'equals-ignore-case':
      return present && values.some((v) => typeof v === 'string' && v.toLowerCase() === String(operand).toLowerCase());
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return present && values.every((v) => !excluded.includes(v));
    }
    default:
      throw new Error(`event pattern: the local EventBridge does not support the "${operator}" matcher`);
  }
}

/** EventBridge content filtering: every field of the pattern must match; arrays list the accepted values. */
export function matchesPattern(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    const present = Object.hasOwn(event, field);
    const value = event[field];
    if (Array.isArray(rule)) return rule.some((matcher) => matchesValue(matcher, value, present));
    if (!isPlainObject(rule)) throw new Error(`event pattern: "${field}" must be an array or an object`);
    return present && isPlainObject(value) && matchesPattern(rule as EventPattern, value);
  });
}

const SIMPLE_PATH = /^\$(\.[A-Za-z0-9_-]+)*$/;

/** A JSONPath of the simple form EventBridge targets use ($, $.detail, $.detail.x); undefined when it selects nothing */
export function applyInputPath(event: unknown, inputPath: string | undefined): unknown {
  if (!inputPath || inputPath === '$') return event;
  if (!SIMPLE_PATH.test(inputPath)) throw new Error(`InputPath ${inputPath}: the local EventBridge supports $.a.b paths only`);
  return inputPath
    .slice(2)
    .split('.')
    .reduce<unknown>((node, key) => (isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined), event);
}

// ---------------------------------------------------------------------------------------------------------------
// Events and what a target receives
// ---------------------------------------------------------------------------------------------------------------

/** An event as EventBridge delivers it */
export interface LocalEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** InputTransformer of a rule target, as the EventBridge API names its fields */
export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

/** How a target's input is made from the event: at most one of the three; none: the whole event. */
export interface TargetInput {
  /** constant JSON text */
  input?: string;
  inputPath?: string;
  inputTransformer?: InputTransformer;
}

/** EventBridge's timestamps: ISO 8601 to the second */
const eventTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The variables EventBridge defines for every InputTemplate, besides those of InputPathsMap. */
function predefinedVariables(event: LocalEvent, rule: { name: string; arn: string }): Record<string, unknown> {
  const { detail: _detail, ...withoutDetail } = event;
  return {
    'aws.events.rule-arn': rule.arn,
    'aws.events.rule-name': rule.name,
    'aws.events.event.ingestion-time': event.time,
    'aws.events.event': withoutDetail,
    'aws.events.event.json': event,
  };
}

/**
 * A value put into a template: in a JSON value position, its JSON (strings get their quotes); inside a string, the
 * text itself, not escaped, and objects and arrays without their inner quotes (as EventBridge documents it: "removes
 * any internal quotes to ensure a valid string"). A variable whose path selects nothing leaves nothing.
 */
function renderVariable(value: unknown, insideString: boolean): string {
  if (value === undefined) return '';
  if (!insideString) return JSON.stringify(value);
  return typeof value === 'string' ? value : JSON.stringify(value).replaceAll('"', '');
}

/**
 * EventBridge's InputTransformer: each InputPathsMap variable takes the value at its path, then every <name> of the
 * template is replaced (see renderVariable). A template that starts with '{' or '[' is JSON: values in value
 * positions keep their JSON type, e.g. `{"request": <detail>, "trigger": "event"}` puts the detail object whole.
 * Returns the text the target receives.
 */
export function applyInputTransformer(event: LocalEvent, transformer: InputTransformer, rule: { name: string; arn: string }): string {
  const variables = new Map(Object.entries(predefinedVariables(event, rule)));
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) variables.set(name, applyInputPath(event, path));
  const template = transformer.InputTemplate;
  const json = /^\s*[{[]/.test(template);
  let out = '';
  let insideString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    const end = c === '<' ? template.indexOf('>', i + 1) : -1;
    const name = end > i ? template.slice(i + 1, end) : undefined;
    if (name !== undefined && variables.has(name)) {
      out += renderVariable(variables.get(name), !json || insideString);
      i = end;
      continue;
    }
    if (json && insideString && c === '\\') {
      out += template.slice(i, i + 2);
      i += 1;
      continue;
    }
    if (json && c === '"') insideString = !insideString;
    out += c;
  }
  return out;
}

/** What the target of a rule receives for an event (Input, InputPath, InputTransformer, or the event itself). */
export function targetInput(event: LocalEvent, input: TargetInput, rule: { name: string; arn: string }): string {
  if (input.input !== undefined) return input.input;
  if (input.inputTransformer) return applyInputTransformer(event, input.inputTransformer, rule);
  return JSON.stringify(applyInputPath(event, input.inputPath) ?? {});
}

// ---------------------------------------------------------------------------------------------------------------
// PutEvents as EventBridge checks it
// ---------------------------------------------------------------------------------------------------------------

export const PUT_EVENTS_MAX_ENTRIES = 10;
/** 256 KB: the most the entries of one PutEvents call may add up to (putEventsEntrySize) */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: string | number;
  EventBusName?: string;
}
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}
export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

const utf8Bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);

/**
 * An entry's size as EventBridge counts it ("Calculating PutEvents event entry size"): 14 bytes for a Time, the UTF-8
 * bytes of Source, DetailType, Detail and of each Resources entry.
 */
export function putEventsEntrySize(entry: PutEventsEntry): number {
  const resources = Array.isArray(entry.Resources) ? entry.Resources.reduce((sum, r) => sum + utf8Bytes(r), 0) : 0;
  const time = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  return time + utf8Bytes(entry.Source) + utf8Bytes(entry.DetailType) + utf8Bytes(entry.Detail) + resources;
}

const validationError = (message: string) => new AwsJsonError('ValidationException', message);

/** The request-level checks (they fail the whole call): 1 to 10 entries, 256 KB in all. */
export function checkPutEventsRequest(body: { Entries?: unknown }): PutEventsEntry[] {
  const entries = body.Entries;
  if (entries === undefined || entries === null) {
    throw validationError("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  if (!Array.isArray(entries)) throw new AwsJsonError('SerializationException', 'Entries must be a list');
  if (entries.length < 1 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
    const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${PUT_EVENTS_MAX_ENTRIES}`;
    throw validationError(`1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`);
  }
  const objects = entries.map((entry) => (isPlainObject(entry) ? (entry as PutEventsEntry) : {}));
  const size = objects.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0);
  if (size > PUT_EVENTS_MAX_BYTES) throw validationError('Total size of the entries in the request is over the limit.');
  return objects;
}

const argumentError = (name: string, reason: string): PutEventsResultEntry => ({
  ErrorCode: 'InvalidArgument',
  ErrorMessage: `Parameter ${name} is not valid. Reason: ${reason}`,
});

/** The entry-level checks (they fail that entry only): the entry's error, or its parsed Detail. */
export function checkEntry(entry: PutEventsEntry, defaultBusArn: string): { error: PutEventsResultEntry } | { detail: Record<string, unknown> } {
  for (const name of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[name] !== 'string' || entry[name] === '') return { error: argumentError(name, `${name} is a required argument.`) };
  }
  if (entry.Resources !== undefined && !(Array.isArray(entry.Resources) && entry.Resources.every((r) => typeof r === 'string'))) {
    return { error: argumentError('Resources', 'Resources must be a list of strings.') };
  }
  if (entry.Time !== undefined && Number.isNaN(entryDate(entry).getTime())) return { error: argumentError('Time', 'Time must be a timestamp.') };
  if (entry.EventBusName !== undefined && entry.EventBusName !== 'default' && entry.EventBusName !== defaultBusArn) {
    return { error: { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` } };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail!);
  } catch {
    /* not JSON: malformed */
  }
  return isPlainObject(detail) ? { detail } : { error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
}

/** An entry's Time: epoch seconds (the SDKs' wire format) or an ISO string; now when absent */
const entryDate = (entry: PutEventsEntry) => new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : (entry.Time ?? Date.now()));

// ---------------------------------------------------------------------------------------------------------------
// Rules, targets and the bus
// ---------------------------------------------------------------------------------------------------------------

export type RuleTarget = { kind: 'stateMachine'; arn: string } | { kind: 'function'; name: string; handler: string };

export interface LocalRule {
  name: string;
  pattern: EventPattern;
  target: RuleTarget;
  input?: TargetInput;
}

export interface DeliveryFailure {
  eventId: string;
  rule: string;
  error: string;
}

export interface LocalEventBus {
  /** PutEvents: throws (AwsJsonError) for a request EventBridge refuses whole, else answers per entry */
  putEvents(body: { Entries?: unknown }): PutEventsResult;
  /** routes an event an AWS service emitted (no PutEvents checks) */
  publish(event: LocalEvent): void;
  /** calls listener with every event the bus routes; returns the unsubscribe function */
  subscribe(listener: (event: LocalEvent) => void): () => void;
  /** executions started by events so far */
  readonly started: string[];
  /** deliveries that failed (the local stand-in for a rule's dead-letter queue) */
  readonly failures: DeliveryFailure[];
  /** stops routing and waits for the function targets still running */
  close(): Promise<void>;
}

export interface LocalEventBusOptions {
  runtime: LocalStepFunctions;
  rules: LocalRule[];
  /** runs a function target (its handler, as serverless.yml names it) with its input */
  invokeFunction?: (target: { name: string; handler: string }, event: unknown) => Promise<unknown>;
  log?: (line: string) => void;
}

/**
 * EventBridge invokes a function target asynchronously, and Lambda retries an asynchronous invocation that fails with a
 * function error twice (AWS Lambda Developer Guide, "Asynchronous invocation": "retries the function two more times").
 * AWS waits 1, then 2 minutes; the local bus waits retryDelayMs, doubled.
 */
export async function invokeAsynchronously<T>(invoke: () => Promise<T>, retries = 2, retryDelayMs = 50): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await invoke();
    } catch (error) {
      if (attempt >= retries) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** attempt));
    }
  }
}

export function createLocalEventBus(options: LocalEventBusOptions): LocalEventBus {
  const { runtime, log } = options;
  const started: string[] = [];
  const failures: DeliveryFailure[] = [];
  const listeners = new Set<(event: LocalEvent) => void>();
  const running = new Set<Promise<unknown>>();
  const defaultBusArn = `arn:aws:events:${runtime.region}:${runtime.accountId}:event-bus/default`;
  let closed = false;
  const ruleArn = (name: string) => `arn:aws:events:${runtime.region}:${runtime.accountId}:rule/${name}`;

  const fail = (event: LocalEvent, rule: LocalRule, error: unknown) => {
    failures.push({ eventId: event.id, rule: rule.name, error: (error as Error).message });
    log?.(`event ${event.id}: delivery to rule ${rule.name} failed: ${(error as Error).message}`);
  };

  /** one rule, one event: never throws (a failed delivery is recorded, as EventBridge sends it to the DLQ) */
  const deliver = (event: LocalEvent, rule: LocalRule) => {
    try {
      if (!matchesPattern(rule.pattern, event as unknown as Record<string, unknown>)) return;
      const input = targetInput(event, rule.input ?? {}, { name: rule.name, arn: ruleArn(rule.name) });
      if (rule.target.kind === 'stateMachine') {
        const { executionArn } = runtime.startExecution({ stateMachineArn: rule.target.arn, name: event.id, input });
        started.push(executionArn);
        log?.(`event ${event.id} matched rule ${rule.name} → ${executionArn}`);
        return;
      }
      const { name } = rule.target;
      if (!options.invokeFunction) throw new Error(`no function runner for ${name}`);
      const invocation = invokeAsynchronously(() => options.invokeFunction!(rule.target as { name: string; handler: string }, JSON.parse(input)))
        .then(
          () => log?.(`event ${event.id} matched rule ${rule.name} → function ${name}`),
          (error) => fail(event, rule, error),
        )
        .finally(() => running.delete(invocation));
      running.add(invocation);
    } catch (error) {
      fail(event, rule, error);
    }
  };

  const route = (event: LocalEvent) => {
    if (closed) return;
    for (const listener of listeners) listener(event);
    for (const rule of options.rules) deliver(event, rule);
  };

  return {
    started,
    failures,
    putEvents(body) {
      // every entry is checked before any is routed: the answer never depends on a delivery, and routing never throws
      const checked = checkPutEventsRequest(body).map((entry) => ({ entry, ...checkEntry(entry, defaultBusArn) }));
      const results = checked.map((c): PutEventsResultEntry => ('error' in c ? c.error : { EventId: randomUUID() }));
      checked.forEach((c, i) => {
        if (!('detail' in c)) return;
        const { entry, detail } = c;
        route({
          version: '0',
          id: results[i].EventId!,
          'detail-type': entry.DetailType!,
          source: entry.Source!,
          account: runtime.accountId,
          time: eventTime(entryDate(entry)),
          region: runtime.region,
          resources: entry.Resources ?? [],
          detail,
        });
      });
      return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
    },
    publish: route,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      await Promise.allSettled([...running]);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Step Functions' own events
// ---------------------------------------------------------------------------------------------------------------

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

/** the history events after which Step Functions emits a status change (RUNNING, then the final status) */
export const STATUS_CHANGE_HISTORY_EVENTS: ReadonlySet<string> = new Set([
  'ExecutionStarted',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionAborted',
]);

/**
 * The "Step Functions Execution Status Change" event of an execution, in AWS's shape: dates in epoch milliseconds,
 * input and output as JSON text, output only for SUCCEEDED, error and cause only when the execution set them.
 */
export function executionStatusChangeEvent(execution: LocalExecution, where: { region: string; accountId: string }): LocalEvent {
  const output = execution.status === 'SUCCEEDED' ? (execution.output ?? null) : null;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account: where.accountId,
    time: eventTime(execution.stopDate ?? new Date()),
    region: where.region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input,
      output,
      inputDetails: { included: true },
      outputDetails: output === null ? null : { included: true },
      error: execution.error ?? null,
      cause: execution.cause ?? null,
      stateMachineVersionArn: null,
      stateMachineAliasArn: null,
      redriveCount: 0,
      redriveDate: null,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Rules as serverless.yml declares them
// ---------------------------------------------------------------------------------------------------------------

const SERVERLESS_YML = fileURLToPath(new URL('../../serverless.yml', import.meta.url));
/** the deploy's own derivation of the allowlist's forms (custom.allowlist is `${allowlist:forms}` in serverless.yml) */
const { allowlistForms, parseAllowedBuckets } = createRequire(import.meta.url)('../serverless/allowlist.cjs') as {
  allowlistForms: (patterns: string[]) => Record<string, unknown>;
  parseAllowedBuckets: (value: unknown, stage: string) => string[];
};

interface EventBridgeEventSpec {
  event?: unknown;
  pattern?: unknown;
  input?: unknown;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate?: string };
}
type EventsOf = { events?: Array<{ eventBridge?: EventBridgeEventSpec }> };

interface ServerlessConfig {
  params?: Record<string, Record<string, unknown>>;
  provider?: { stage?: string };
  custom?: Record<string, unknown>;
  functions?: Record<string, EventsOf & { handler: string }>;
  stepFunctions?: { stateMachines?: Record<string, EventsOf & { id?: string }> };
}

/** a rule as serverless.yml declares it, before its target is known by ARN */
export interface RuleSpec {
  name: string;
  pattern: EventPattern;
  /** the state machine (its key under stepFunctions.stateMachines) or the function (its key under functions) */
  owner: { kind: 'stateMachine' | 'function'; key: string };
  inputPath?: string;
  inputTransformer?: InputTransformer;
  input?: string;
}

export interface RuleSpecOptions {
  file?: string;
  stage?: string;
  /** state machine key → ARN, for `{ Ref: <state machine id> }` in patterns */
  stateMachineArns?: Record<string, string>;
  /** only the rules of these owners (default: all) */
  include?: (owner: RuleSpec['owner']) => boolean;
}

function checkPaths(spec: RuleSpec, file: string): RuleSpec {
  const paths = [spec.inputPath, ...Object.values(spec.inputTransformer?.InputPathsMap ?? {})].filter((p): p is string => p !== undefined);
  const unsupported = paths.find((p) => !SIMPLE_PATH.test(p));
  if (unsupported) throw new Error(`${file}: rule ${spec.name} uses the path ${unsupported}; the local EventBridge supports $.a.b paths only`);
  return spec;
}

/**
 * Every EventBridge rule of serverless.yml, of state machines and of functions: the pattern (written under custom
 * and referenced as ${self:custom.NAME}, or inline), `${param:…}` values from the stage's params, `{ Ref: <state
 * machine id> }` as that machine's ARN (`stateMachineArns`, by key), and the target's input (input, inputPath or
 * inputTransformer, as both plugins name them).
 */
export function ruleSpecsFromServerlessYml(options: RuleSpecOptions = {}): RuleSpec[] {
  const file = options.file ?? SERVERLESS_YML;
  const config = parse(readFileSync(file, 'utf8')) as ServerlessConfig;
  const stage = options.stage ?? config.provider?.stage ?? 'dev';
  const params = { ...config.params?.default, ...config.params?.[stage] };
  const machines = config.stepFunctions?.stateMachines ?? {};
  const arnOfId = (id: string) => {
    const key = Object.keys(machines).find((k) => machines[k].id === id);
    const arn = key === undefined ? undefined : options.stateMachineArns?.[key];
    if (arn === undefined) throw new Error(`${file}: a rule pattern refers to { Ref: ${id} }, which is no state machine of this stack`);
    return arn;
  };
  /** `${param:NAME}` values from the stage's params, and the allowlist's forms, as the framework resolves them */
  const resolve = (node: unknown, owner: string): unknown => {
    if (typeof node === 'string') {
      const form = /^\$\{self:custom\.allowlist\.([A-Za-z]+)\}$/.exec(node);
      if (form) return allowlistForms(parseAllowedBuckets(params.allowedBuckets, stage))[form[1]];
      const param = /^\$\{param:([A-Za-z0-9_]+)(?:,\s*[^}]*)?\}$/.exec(node);
      if (!param) return node;
      if (!(param[1] in params)) throw new Error(`${file}: the rule pattern of ${owner} needs the param ${param[1]}, which the stage does not set`);
      return params[param[1]];
    }
    if (Array.isArray(node)) {
      return node.flatMap((item) => {
        const value = resolve(item, owner);
        return typeof item === 'string' && Array.isArray(value) ? value : [value];
      });
    }
    if (isPlainObject(node) && Object.keys(node).length === 1 && typeof node.Ref === 'string') return arnOfId(node.Ref);
    if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, owner)]));
    return node;
  };
  const specsOf = (kind: RuleSpec['owner']['kind'], key: string, owner: EventsOf): RuleSpec[] =>
    (owner.events ?? [])
      .filter((e) => e.eventBridge && options.include?.({ kind, key }) !== false)
      .map(({ eventBridge: spec }, i) => {
        let pattern = spec!.event ?? spec!.pattern;
        const reference = typeof pattern === 'string' ? /^\$\{self:custom\.([A-Za-z0-9_]+)\}$/.exec(pattern) : null;
        if (reference) pattern = config.custom?.[reference[1]];
        pattern = resolve(pattern, key);
        if (!isPlainObject(pattern)) throw new Error(`${file}: the eventBridge event ${i} of ${key} has no pattern the local EventBridge can read`);
        const transformer = spec!.inputTransformer;
        return checkPaths(
          {
            name: `${key}-${reference?.[1] ?? i}`,
            pattern: pattern as EventPattern,
            owner: { kind, key },
            ...(spec!.inputPath !== undefined ? { inputPath: spec!.inputPath } : {}),
            ...(spec!.input !== undefined ? { input: typeof spec!.input === 'string' ? spec!.input : JSON.stringify(spec!.input) } : {}),
            ...(transformer ? { inputTransformer: { InputPathsMap: transformer.inputPathsMap, InputTemplate: String(transformer.inputTemplate ?? '') } } : {}),
          },
          file,
        );
      });
  return [
    ...Object.entries(machines).flatMap(([key, machine]) => specsOf('stateMachine', key, machine)),
    ...Object.entries(config.functions ?? {}).flatMap(([key, fn]) => specsOf('function', key, fn)),
  ];
}

/** The rules of one state machine (its key under stepFunctions.stateMachines). */
export function stateMachineRulesFromServerlessYml(stateMachine: string, file?: string, stage?: string): RuleSpec[] {
  return ruleSpecsFromServerlessYml({ file, stage, include: (owner) => owner.kind === 'stateMachine' && owner.key === stateMachine });
}

/** The rules of serverless.yml with their targets: state machines by ARN (those of stateMachineArns), functions by handler. */
export function localRulesFromServerlessYml(options: { stateMachineArns: Record<string, string>; file?: string; stage?: string }): LocalRule[] {
  const file = options.file ?? SERVERLESS_YML;
  const functions = (parse(readFileSync(file, 'utf8')) as ServerlessConfig).functions ?? {};
  return ruleSpecsFromServerlessYml({ ...options, include: (owner) => owner.kind === 'function' || options.stateMachineArns[owner.key] !== undefined }).map(
    ({ name, pattern, owner, ...input }) => ({
      name,
      pattern,
      input,
      target:
        owner.kind === 'stateMachine'
          ? { kind: 'stateMachine', arn: options.stateMachineArns[owner.key] }
          : { kind: 'function', name: owner.key, handler: functions[owner.key].handler },
    }),
  );
}
