/**
 * The local EventBridge (default bus): PutEvents on the local endpoint, checked as EventBridge checks it (at most 10
 * entries and 256 KB a call, errors per entry), and the events AWS services emit themselves (Step Functions'
 * "Execution Status Change"), both matched against the project's rules as serverless.yml declares them
 * (emulator/eventbridge-rules.ts). A matching rule's target (a state machine, or a function run in-process) receives the event as the target's InputPath,
 * InputTransformer or Input shapes it.
 */
import { randomUUID } from 'node:crypto';
import { AwsJsonError } from './endpoint.ts';
import { eventTime, isPlainObject, matchesPattern, targetInput, type EventPattern, type LocalEvent, type TargetInput } from './event-input.ts';
import type { LocalExecution } from './execution.ts';
import type { LocalStepFunctions } from './runtime.ts';

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
