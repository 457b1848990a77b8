/**
 * One execution of the local Step Functions runtime: the engine runs the definition, every Task goes through the
 * runtime's runTask, and the execution keeps an AWS-shaped history. Limits of AWS's that the engine does not know
 * (history events, EXPRESS duration, payload size) end it as AWS would.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import { parseResource } from './dispatcher.ts';
import { assertWithinPayloadLimit, EXPRESS_MAX_DURATION_MS, HISTORY_EVENT_LIMIT, TerminalStatesError } from './asl-limits.ts';
import { checkResultSelector, runFailure, strictRun } from './engine-hooks.ts';

export type StateMachineType = 'STANDARD' | 'EXPRESS';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

export interface LocalStateMachine {
  name: string;
  arn: string;
  roleArn: string;
  type: StateMachineType;
  definition: string;
  machine: StateMachine;
  creationDate: Date;
  taskStates: Map<string, string>; // state name → Resource
  /** every state by name, those inside Map and Parallel states included (names are unique in a machine) */
  states: Map<string, Record<string, unknown>>;
}

export interface LocalExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: HistoryEvent[];
  /** AWS requests made by this execution's Tasks, by "service:action" */
  requests: Record<string, number>;
  done: Promise<void>;
  abort: () => void;
}

/** how an execution ended when the runtime, not the engine, ended it (a limit of AWS's) */
type Stop = { status: 'FAILED' | 'TIMED_OUT'; error: string; cause: string };

const ENDED_EVENT: Record<Exclude<ExecutionStatus, 'RUNNING'>, string> = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  ABORTED: 'ExecutionAborted',
  TIMED_OUT: 'ExecutionTimedOut',
};

/** how a Task's Resource appears in history events (AWS: resourceType `aws-sdk:s3` / `dynamodb` / `states` / `lambda`) and request counts */
function taskResource(resource: string): { resourceType: string; resource: string; requestKey: string } {
  const own = /^arn:aws[a-z-]*:states:::(states|lambda):([A-Za-z.:0-9]+)$/.exec(resource);
  if (own) return { resourceType: own[1], resource: own[2], requestKey: `${own[1]}:${own[2]}` };
  const { service, action, optimized } = parseResource(resource);
  return { resourceType: optimized ? service : `aws-sdk:${service}`, resource: action, requestKey: `${service}:${action}` };
}

/** what an execution needs of the runtime that runs it (options read as the execution goes, as RuntimeOptions gives them) */
export interface ExecutionEnvironment {
  region: string;
  options: {
    waitTimeOverrides?: Record<string, number>;
    retryIntervalOverrides?: Record<string, number>;
    onExecutionEvent?: (execution: LocalExecution, event: HistoryEvent) => void;
    expressMaxDurationMs?: number;
  };
  /** the Task's integration: nested executions and Lambda in the runtime, everything else through the dispatcher */
  runTask(resource: string, parameters: unknown): Promise<unknown>;
  /** called once the execution has ended and its last history event is written */
  finished(execution: LocalExecution, express: boolean): void;
}

export function runExecution(
  m: LocalStateMachine,
  executionArn: string,
  name: string,
  rawInput: string,
  parsedInput: unknown,
  env: ExecutionEnvironment,
): LocalExecution {
  const express = m.type === 'EXPRESS';
  const startDate = new Date();
  const history: HistoryEvent[] = [];
  const execution = {
    executionArn,
    stateMachineArn: m.arn,
    name,
    status: 'RUNNING',
    input: rawInput,
    startDate,
    history,
    requests: {},
  } as unknown as LocalExecution;
  let stop: Stop | undefined;
  /** ends the execution for a limit the engine does not know; nothing more is recorded after it */
  const stopWith = (how: Stop) => {
    if (stop || execution.status !== 'RUNNING') return;
    stop = how;
    execution.abort();
  };
  let events = 0;
  const append = (type: string, details: Record<string, unknown>) => {
    events += 1;
    const event: HistoryEvent = { id: events, previousEventId: events - 1, timestamp: new Date(), type, ...details };
    // EXPRESS keeps no history (AWS: only CloudWatch Logs; GetExecutionHistory does not serve it): observers get each
    // event and only the newest is held, so a page of 1,000 uploads does not hold every state's input and output
    if (express) history[0] = event;
    else history.push(event);
    env.options.onExecutionEvent?.(execution, event);
  };
  const record = (type: string, details: Record<string, unknown> = {}) => {
    if (stop) return;
    // "The execution reached the maximum number of history events (25000)." fails a STANDARD execution with
    // States.Runtime (the error AWS reports, e.g. github.com/loads/ardere/issues/86); its last event is the failure
    if (!express && history.length >= HISTORY_EVENT_LIMIT - 1) {
      stopWith({ status: 'FAILED', error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).` });
      return;
    }
    append(type, details);
  };
  const now = () => new Date().toISOString();
  const context = {
    Execution: { Id: executionArn, Input: parsedInput, Name: name, RoleArn: m.roleArn, StartTime: startDate.toISOString() },
    StateMachine: { Id: m.arn, Name: m.name },
    // evaluated when a path reads it, as close to "when the state was entered" as this engine allows
    State: {
      get EnteredTime() {
        return now();
      },
    },
  };
  const taskHandlers = Object.fromEntries(
    [...m.taskStates].map(([stateName, resourceArn]) => [
      stateName,
      async (parameters: unknown) => {
        await new Promise((resolve) => setImmediate(resolve)); // let the state's Entered event land first
        if (stop) throw new TerminalStatesError(stop.error, stop.cause); // no more side effects once a limit ended the execution
        const { resourceType, resource, requestKey } = taskResource(resourceArn);
        assertWithinPayloadLimit(parameters, stateName, 'input');
        execution.requests[requestKey] = (execution.requests[requestKey] ?? 0) + 1;
        record('TaskScheduled', { taskScheduledEventDetails: { resourceType, resource, region: env.region, parameters: JSON.stringify(parameters) } });
        let output: unknown;
        try {
          output = await env.runTask(resourceArn, parameters);
          assertWithinPayloadLimit(output, resourceType);
        } catch (error) {
          record('TaskFailed', { taskFailedEventDetails: { resourceType, resource, error: (error as Error).name, cause: (error as Error).message } });
          throw error;
        }
        record('TaskSucceeded', { taskSucceededEventDetails: { resourceType, resource, output: JSON.stringify(output) } });
        checkResultSelector(m.states.get(stateName)!, output, context);
        return output;
      },
    ]),
  );
  const { result, abort, eventLogs } = strictRun(m.machine, parsedInput, {
    overrides: {
      taskResourceLocalHandlers: taskHandlers,
      waitTimeOverrides: env.options.waitTimeOverrides,
      retryIntervalOverrides: env.options.retryIntervalOverrides,
    },
    context,
  });
  execution.abort = abort;
  const logging = (async () => {
    for await (const event of eventLogs as AsyncIterable<Record<string, unknown>>) {
      const state = event.state as { name: string; type?: string; input?: unknown; output?: unknown } | undefined;
      const type = state ? (m.states.get(state.name)?.Type ?? state.type ?? 'Task') : '';
      switch (event.type) {
        case 'ExecutionStarted':
          record('ExecutionStarted', { executionStartedEventDetails: { input: rawInput, roleArn: m.roleArn } });
          break;
        case 'StateEntered':
          record(`${type}StateEntered`, { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input) } });
          break;
        case 'StateExited':
          record(`${type}StateExited`, { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output) } });
          break;
        default:
          break;
      }
    }
  })();
  const expressTimer = express
    ? setTimeout(
        () =>
          stopWith({
            status: 'TIMED_OUT',
            error: 'States.Timeout',
            cause: 'The execution ran longer than the maximum duration of an EXPRESS execution (5 minutes).',
          }),
        env.options.expressMaxDurationMs ?? EXPRESS_MAX_DURATION_MS,
      ).unref()
    : undefined;
  execution.done = (async () => {
    try {
      const output = await result;
      execution.status = 'SUCCEEDED';
      execution.output = JSON.stringify(output ?? null);
    } catch (error) {
      const e = error as Error;
      if (e.name === 'ExecutionAbortedError') {
        execution.status = 'ABORTED';
      } else if (e.name === 'ExecutionTimeoutError') {
        execution.status = 'TIMED_OUT';
        execution.error = 'States.Timeout';
      } else {
        execution.status = 'FAILED';
        Object.assign(execution, runFailure(e));
      }
    }
    clearTimeout(expressTimer);
    await logging.catch(() => undefined);
    if (stop) Object.assign(execution, { status: stop.status, error: stop.error, cause: stop.cause, output: undefined });
    execution.stopDate ??= new Date();
    const status = execution.status as Exclude<ExecutionStatus, 'RUNNING'>;
    const detailsKey = `${ENDED_EVENT[status][0].toLowerCase()}${ENDED_EVENT[status].slice(1)}EventDetails`;
    append(ENDED_EVENT[status], { [detailsKey]: status === 'SUCCEEDED' ? { output: execution.output } : { error: execution.error, cause: execution.cause } });
    env.finished(execution, express);
  })();
  return execution;
}
