/**
 * The local Step Functions runtime: executes the project's real ASL definitions with aws-local-stepfunctions,
 * every Task through the TaskDispatcher, and keeps executions and an AWS-shaped history for the local endpoint.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { parseResource, type TaskDispatcher } from './dispatcher.ts';

export const LOCAL_ACCOUNT_ID = '123456789012';

export class SfnApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = code;
  }
}

type StateDefinition = { Type: string; Resource?: string; ItemProcessor?: { States: Record<string, StateDefinition> }; Iterator?: { States: Record<string, StateDefinition> }; Branches?: Array<{ States: Record<string, StateDefinition> }> };

/** every state, those inside Map and Parallel states included (state names are unique in a machine) */
function statesOf(states: Record<string, StateDefinition>): Array<[string, StateDefinition]> {
  return Object.entries(states).flatMap(([name, state]): Array<[string, StateDefinition]> => {
    const nested = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter((b): b is { States: Record<string, StateDefinition> } => Boolean(b));
    return [[name, state], ...nested.flatMap((b) => statesOf(b.States))];
  });
}

export const taskStatesOf = (states: Record<string, StateDefinition>): Array<[string, string]> =>
  statesOf(states).filter(([, s]) => s.Type === 'Task').map(([name, s]) => [name, s.Resource!]);

/** service and action of a Task's Resource, for history events and request counts */
function taskResource(resource: string): { service: string; action: string } {
  const own = /^arn:aws[a-z-]*:states:::(states|lambda):([A-Za-z.:0-9]+)$/.exec(resource);
  return own ? { service: own[1], action: own[2] } : parseResource(resource);
}

/** a Task failure with the error name Step Functions gives it */
class SfnTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

interface LocalStateMachine {
  name: string;
  arn: string;
  roleArn: string;
  definition: string;
  machine: StateMachine;
  creationDate: Date;
  taskStates: Map<string, string>; // state name → Resource
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

export interface RuntimeOptions {
  dispatcher: TaskDispatcher;
  region?: string;
  accountId?: string;
  /** Wait state name → milliseconds, to shorten waits (tests, demo) without touching the definition */
  waitTimeOverrides?: Record<string, number>;
  /** State name → milliseconds for every retry of that state */
  retryIntervalOverrides?: Record<string, number>;
  /**
   * Lambda functions a definition invokes (`arn:aws:states:::lambda:invoke`), by function name: the same handler
   * code as on Lambda, called in-process with the Task's Payload.
   */
  lambdaHandlers?: Record<string, (payload: unknown) => Promise<unknown>>;
  /** called for every history event of every execution (progress displays, tests) */
  onExecutionEvent?: (execution: LocalExecution, event: HistoryEvent) => void;
}

const NAME_RULE = /^[0-9A-Za-z_-]{1,80}$/;

function pageStart(nextToken: string | undefined): number {
  if (nextToken === undefined || nextToken === '') return 0;
  const start = Number(nextToken);
  if (!Number.isInteger(start) || start < 0) throw new SfnApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
  return start;
}

export class LocalStepFunctions {
  readonly region: string;
  readonly accountId: string;
  private readonly options: RuntimeOptions;
  private readonly machines = new Map<string, LocalStateMachine>();
  private readonly executions = new Map<string, LocalExecution>();

  constructor(options: RuntimeOptions) {
    this.options = options;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  /** CreateStateMachine; creating an existing name again replaces its definition (a local deploy). */
  createStateMachine(input: { name: string; definition: string; roleArn?: string }): { stateMachineArn: string; creationDate: Date } {
    if (!NAME_RULE.test(input.name)) throw new SfnApiError('InvalidName', `Invalid Name: '${input.name}'`);
    let parsed: { States: Record<string, StateDefinition> };
    let machine: StateMachine;
    try {
      parsed = JSON.parse(input.definition);
      machine = new StateMachine(parsed as never, { validationOptions: { checkArn: false } });
    } catch (error) {
      throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: ${(error as Error).message}`);
    }
    const arn = this.stateMachineArn(input.name);
    const taskStates = new Map(taskStatesOf(parsed.States));
    const existing = this.machines.get(arn);
    this.machines.set(arn, {
      name: input.name, arn, roleArn: input.roleArn ?? `arn:aws:iam::${this.accountId}:role/${input.name}`,
      definition: input.definition, machine, taskStates, creationDate: existing?.creationDate ?? new Date(),
    });
    return { stateMachineArn: arn, creationDate: existing?.creationDate ?? new Date() };
  }

  describeStateMachine(arn: string) {
    const m = this.machine(arn);
    return { stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', definition: m.definition, roleArn: m.roleArn, type: 'STANDARD', creationDate: m.creationDate };
  }

  listStateMachines() {
    return [...this.machines.values()].map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: m.creationDate }));
  }

  /** DeleteStateMachine: executions already started keep running to their end, as on AWS */
  deleteStateMachine(arn: string): void {
    this.machines.delete(arn);
  }

  private machine(arn: string): LocalStateMachine {
    const m = this.machines.get(arn);
    if (!m) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  /** StartExecution with AWS's name idempotency: same name and input while open → the same execution. */
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): { executionArn: string; startDate: Date } {
    const m = this.machine(input.stateMachineArn);
    const name = input.name ?? crypto.randomUUID();
    if (!NAME_RULE.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const rawInput = input.input ?? '{}';
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(rawInput);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${m.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === rawInput) return { executionArn, startDate: existing.startDate };
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = this.run(m, executionArn, name, rawInput, parsedInput);
    return { executionArn, startDate: execution.startDate };
  }

  private run(m: LocalStateMachine, executionArn: string, name: string, rawInput: string, parsedInput: unknown): LocalExecution {
    const startDate = new Date();
    const history: HistoryEvent[] = [];
    const execution = { executionArn, stateMachineArn: m.arn, name, status: 'RUNNING', input: rawInput, startDate, history, requests: {} } as unknown as LocalExecution;
    const push = (type: string, details: Record<string, unknown> = {}) => {
      const event: HistoryEvent = { id: history.length + 1, previousEventId: history.length, timestamp: new Date(), type, ...details };
      history.push(event);
      this.options.onExecutionEvent?.(execution, event);
    };
    const taskHandlers = Object.fromEntries([...m.taskStates].map(([stateName, resource]) => [stateName, async (parameters: unknown) => {
      await new Promise((resolve) => setImmediate(resolve)); // let the state's Entered event land first
      const { service, action } = taskResource(resource);
      const key = `${service}:${action}`;
      execution.requests[key] = (execution.requests[key] ?? 0) + 1;
      push('TaskScheduled', { taskScheduledEventDetails: { resourceType: service, resource: action, region: this.region, parameters: JSON.stringify(parameters) } });
      try {
        const output = await this.runTask(resource, parameters);
        push('TaskSucceeded', { taskSucceededEventDetails: { resourceType: service, resource: action, output: JSON.stringify(output) } });
        return output;
      } catch (error) {
        push('TaskFailed', { taskFailedEventDetails: { resourceType: service, resource: action, error: (error as Error).name, cause: (error as Error).message } });
        throw error;
      }
    }]));
    const now = () => new Date().toISOString();
    const context = {
      Execution: { Id: executionArn, Name: name, RoleArn: m.roleArn, StartTime: startDate.toISOString() },
      StateMachine: { Id: m.arn, Name: m.name },
      // evaluated when a path reads it, as close to "when the state was entered" as this engine allows
      State: { get EnteredTime() { return now(); } },
    };
    const { result, abort, eventLogs } = m.machine.run(parsedInput as never, {
      overrides: {
        taskResourceLocalHandlers: taskHandlers as never,
        waitTimeOverrides: this.options.waitTimeOverrides,
        retryIntervalOverrides: this.options.retryIntervalOverrides,
      },
      context,
    });
    execution.abort = abort;
    const types = new Map(statesOf(JSON.parse(m.definition).States).map(([n, s]) => [n, s.Type]));
    const logging = (async () => {
      for await (const event of eventLogs as AsyncIterable<Record<string, unknown>>) {
        const state = event.state as { name: string; type?: string; input?: unknown; output?: unknown } | undefined;
        const type = state ? (types.get(state.name) ?? state.type ?? 'Task') : '';
        switch (event.type) {
          case 'ExecutionStarted': push('ExecutionStarted', { executionStartedEventDetails: { input: rawInput, roleArn: m.roleArn } }); break;
          case 'StateEntered': push(`${type}StateEntered`, { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input) } }); break;
          case 'StateExited': push(`${type}StateExited`, { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output) } }); break;
          default: break;
        }
      }
    })();
    execution.done = (async () => {
      try {
        const output = await result;
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output ?? null);
      } catch (error) {
        const e = error as Error & { cause?: Error };
        if (e.name === 'ExecutionAbortedError') {
          execution.status = 'ABORTED';
        } else if (e.name === 'ExecutionTimeoutError') {
          execution.status = 'TIMED_OUT';
        } else {
          execution.status = 'FAILED';
          const failure = e.cause ?? e;
          execution.error = failure.name;
          execution.cause = failure.message;
        }
      }
      await logging.catch(() => undefined);
      execution.stopDate ??= new Date();
      const details = execution.status === 'SUCCEEDED'
        ? { executionSucceededEventDetails: { output: execution.output } }
        : execution.status === 'FAILED' ? { executionFailedEventDetails: { error: execution.error, cause: execution.cause } }
          : execution.status === 'ABORTED' ? { executionAbortedEventDetails: { error: execution.error, cause: execution.cause } } : {};
      push(`Execution${execution.status === 'SUCCEEDED' ? 'Succeeded' : execution.status === 'FAILED' ? 'Failed' : execution.status === 'ABORTED' ? 'Aborted' : 'TimedOut'}`, details);
    })();
    this.executions.set(executionArn, execution);
    return execution;
  }

  /**
   * Integrations this runtime serves itself: nested executions (`states:startExecution.sync:2`, as Step Functions
   * runs them: wait for the child, its output parsed; a failed child fails the Task with States.TaskFailed and the
   * child's description as cause) and Lambda invocations; everything else goes to AWS through the dispatcher.
   */
  private async runTask(resource: string, parameters: unknown): Promise<unknown> {
    const p = (parameters ?? {}) as Record<string, unknown>;
    // states:startExecution's Parameters: StateMachineArn, Name?, Input (a JSON string, or JSON that is serialised)
    const startChild = () => this.startExecution({ stateMachineArn: String(p.StateMachineArn), name: p.Name as string | undefined, input: typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input ?? {}) });
    const sync = /^arn:aws[a-z-]*:states:::states:startExecution\.sync(:2)?$/.exec(resource);
    if (sync) {
      const { executionArn } = startChild();
      const child = await this.waitForExecution(executionArn);
      const description = {
        ExecutionArn: child.executionArn, StateMachineArn: child.stateMachineArn, Name: child.name, Status: child.status,
        StartDate: child.startDate.getTime(), StopDate: child.stopDate?.getTime(),
        Input: sync[1] ? JSON.parse(child.input) : child.input,
        Output: child.output === undefined ? undefined : sync[1] ? JSON.parse(child.output) : child.output,
        Error: child.error, Cause: child.cause,
      };
      if (child.status !== 'SUCCEEDED') throw new SfnTaskError('States.TaskFailed', JSON.stringify(description));
      return description;
    }
    if (/^arn:aws[a-z-]*:states:::states:startExecution$/.test(resource)) {
      const { executionArn, startDate } = startChild();
      return { ExecutionArn: executionArn, StartDate: startDate.getTime() };
    }
    if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) {
      const functionName = String(p.FunctionName ?? '').split(':function:').pop()!.split(':')[0];
      const handler = this.options.lambdaHandlers?.[functionName];
      if (!handler) throw new SfnTaskError('Lambda.ResourceNotFoundException', `Function not found: ${String(p.FunctionName)}`);
      try {
        return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: JSON.parse(JSON.stringify((await handler(p.Payload)) ?? null)) };
      } catch (error) {
        // a function error: Step Functions names it after the error's type
        throw new SfnTaskError((error as Error).name || 'Error', (error as Error).message);
      }
    }
    return this.options.dispatcher.run(resource, parameters);
  }

  private execution(arn: string): LocalExecution {
    const e = this.executions.get(arn);
    if (!e) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  describeExecution(arn: string) {
    const e = this.execution(arn);
    return {
      executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status,
      startDate: e.startDate, stopDate: e.stopDate, input: e.input, output: e.output, error: e.error, cause: e.cause,
    };
  }

  listExecutions(input: { stateMachineArn: string; statusFilter?: string; maxResults?: number; nextToken?: string }) {
    this.machine(input.stateMachineArn);
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === input.stateMachineArn && (!input.statusFilter || e.status === input.statusFilter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const start = pageStart(input.nextToken);
    const size = input.maxResults || 100;
    const page = all.slice(start, start + size).map((e) => ({
      executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startDate, stopDate: e.stopDate,
    }));
    return { executions: page, nextToken: start + size < all.length ? String(start + size) : undefined };
  }

  getExecutionHistory(input: { executionArn: string; reverseOrder?: boolean; maxResults?: number; nextToken?: string; includeExecutionData?: boolean }) {
    const e = this.execution(input.executionArn);
    const events = input.reverseOrder ? [...e.history].reverse() : e.history;
    const start = pageStart(input.nextToken);
    const size = input.maxResults || 1000;
    return { events: events.slice(start, start + size), nextToken: start + size < events.length ? String(start + size) : undefined };
  }

  stopExecution(input: { executionArn: string; error?: string; cause?: string }): { stopDate: Date } {
    const e = this.execution(input.executionArn);
    if (e.status === 'RUNNING') {
      e.error = input.error;
      e.cause = input.cause;
      e.stopDate = new Date();
      e.abort();
    }
    return { stopDate: e.stopDate ?? new Date() };
  }

  /** Resolves when the execution has ended (tests, the demo, `--wait` against the local stack). */
  async waitForExecution(arn: string): Promise<LocalExecution> {
    const e = this.execution(arn);
    await e.done;
    return e;
  }

  /** Ends every running execution (stack shutdown). */
  async close(): Promise<void> {
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    for (const e of running) e.abort();
    await Promise.all(running.map((e) => e.done));
  }
}
