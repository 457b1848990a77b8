/**
 * The local Step Functions runtime: executes the project's real ASL definitions with aws-local-stepfunctions,
 * every Task through the TaskDispatcher, and keeps executions and an AWS-shaped history for the local endpoint.
 * It is at least as strict as AWS Step Functions (asl-limits.ts names each rule and its source;
 * test/conformance/ proves each one): a definition that runs green here does not break one of AWS's rules.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { StatesTaskError, type TaskDispatcher } from './dispatcher.ts';
import { allStates, intrinsicDefinitionViolation, PAYLOAD_LIMIT_BYTES } from './asl-limits.ts';
import { runExecution, type HistoryEvent, type LocalExecution, type LocalStateMachine, type StateMachineType } from './execution.ts';
import { lambdaFunctionError, stepFunctionsTaskError } from './aws-errors.ts';
import { LOCAL_ACCOUNT_ID } from 's3-mpu-reaper/lib/settings.ts';

export { LOCAL_ACCOUNT_ID };

export class SfnApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = code;
  }
}

type StateMachineDefinition = { States: Record<string, StateDefinition> };
type StateDefinition = {
  Type: string;
  Resource?: string;
  ItemProcessor?: StateMachineDefinition;
  Iterator?: StateMachineDefinition;
  Branches?: StateMachineDefinition[];
};

export const taskStatesOf = (states: Record<string, StateDefinition>): Array<[string, string]> =>
  allStates(states)
    .filter(([, s]) => s.Type === 'Task')
    .map(([name, s]) => [name, s.Resource as string]);

const STATE_MACHINE_TYPES: readonly StateMachineType[] = ['STANDARD', 'EXPRESS'];

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
  /**
   * Finished STANDARD executions whose history is kept (default 1000). Past it the oldest finished execution keeps a
   * summary only: DescribeExecution answers, GetExecutionHistory answers ExecutionDoesNotExist.
   */
  retainFinishedExecutions?: number;
  /** the longest an EXPRESS execution may run, in milliseconds: AWS's 5 minutes unless a test shortens it */
  expressMaxDurationMs?: number;
}

const NAME_RULE = /^[0-9A-Za-z_-]{1,80}$/;
const EXPRESS_EXECUTION_ARN = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:express:/;

function pageStart(nextToken: string | undefined): number {
  if (nextToken === undefined || nextToken === '') return 0;
  const start = Number(nextToken);
  if (!Number.isInteger(start) || start < 0) throw new SfnApiError('InvalidToken', `Invalid Token: '${nextToken}'`);
  return start;
}

/** an execution as ListExecutions lists it (DescribeExecution adds its input, output, error and cause) */
function executionListItem(e: LocalExecution) {
  return { executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startDate, stopDate: e.stopDate };
}
export class LocalStepFunctions {
  readonly region: string;
  readonly accountId: string;
  private readonly options: RuntimeOptions;
  private readonly machines = new Map<string, LocalStateMachine>();
  /** STANDARD executions (finished ones as long as they are kept) and running EXPRESS executions */
  private readonly executions = new Map<string, LocalExecution>();
  /** finished STANDARD executions that still have their history, oldest first */
  private readonly finishedWithHistory: string[] = [];
  private readonly evicted = new Set<string>();

  constructor(options: RuntimeOptions) {
    this.options = options;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  /**
   * CreateStateMachine; creating an existing name again replaces its definition (a local deploy) but, as on AWS, not
   * its type: a different `type` is refused, no `type` keeps the existing one. Rejects, as AWS does, a definition with
   * more than 10 intrinsic functions in one field.
   */
  createStateMachine(input: { name: string; definition: string; roleArn?: string; type?: StateMachineType }): { stateMachineArn: string; creationDate: Date } {
    if (!NAME_RULE.test(input.name)) throw new SfnApiError('InvalidName', `Invalid Name: '${input.name}'`);
    if (input.type !== undefined && !STATE_MACHINE_TYPES.includes(input.type)) {
      throw new SfnApiError(
        'ValidationException',
        `1 validation error detected: Value '${String(input.type)}' at 'type' failed to satisfy constraint: ` +
          `Member must satisfy enum value set: [${STATE_MACHINE_TYPES.join(', ')}]`,
      );
    }
    const arn = this.stateMachineArn(input.name);
    const existing = this.machines.get(arn);
    if (existing && input.type !== undefined && input.type !== existing.type) {
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}' (its type ${existing.type} cannot change)`);
    }
    let parsed: { States: Record<string, StateDefinition> };
    let machine: StateMachine;
    try {
      parsed = JSON.parse(input.definition);
      machine = new StateMachine(parsed as never, { validationOptions: { checkArn: false } });
    } catch (error) {
      throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: ${(error as Error).message}`);
    }
    const violation = intrinsicDefinitionViolation(parsed.States);
    if (violation) throw new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${violation}'`);
    const creationDate = existing?.creationDate ?? new Date();
    this.machines.set(arn, {
      name: input.name,
      arn,
      roleArn: input.roleArn ?? `arn:aws:iam::${this.accountId}:role/${input.name}`,
      type: input.type ?? existing?.type ?? 'STANDARD',
      definition: input.definition,
      machine,
      taskStates: new Map(taskStatesOf(parsed.States)),
      states: new Map(allStates(parsed.States)),
      creationDate,
    });
    return { stateMachineArn: arn, creationDate };
  }

  describeStateMachine(arn: string) {
    const m = this.machine(arn);
    return { stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', definition: m.definition, roleArn: m.roleArn, type: m.type, creationDate: m.creationDate };
  }

  listStateMachines() {
    return [...this.machines.values()].map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: m.creationDate }));
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

  /**
   * StartExecution. STANDARD: AWS's name idempotency (same name and input while open → the same execution).
   * EXPRESS: no name idempotency; the execution's ARN is an `express:` ARN, as on AWS.
   */
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): { executionArn: string; startDate: Date } {
    const { executionArn, startDate } = this.start(input);
    return { executionArn, startDate };
  }

  private start(input: { stateMachineArn: string; name?: string; input?: string }): LocalExecution {
    const m = this.machine(input.stateMachineArn);
    const name = input.name ?? crypto.randomUUID();
    if (!NAME_RULE.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const rawInput = input.input ?? '{}';
    // StartExecution's input: "Maximum length of 262144", in bytes of UTF-8 (API reference, StartExecution)
    if (Buffer.byteLength(rawInput, 'utf8') > PAYLOAD_LIMIT_BYTES) {
      throw new SfnApiError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES}`,
      );
    }
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(rawInput);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    if (m.type === 'EXPRESS') {
      return this.run(m, `arn:aws:states:${this.region}:${this.accountId}:express:${m.name}:${name}:${crypto.randomUUID()}`, name, rawInput, parsedInput);
    }
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${m.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === rawInput) return existing;
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    return this.run(m, executionArn, name, rawInput, parsedInput);
  }

  private run(m: LocalStateMachine, executionArn: string, name: string, rawInput: string, parsedInput: unknown): LocalExecution {
    const execution = runExecution(m, executionArn, name, rawInput, parsedInput, {
      region: this.region,
      options: this.options,
      runTask: (resource, parameters) => this.runTask(resource, parameters),
      finished: (ended, express) => this.finished(ended, express),
    });
    this.executions.set(executionArn, execution);
    return execution;
  }

  /** EXPRESS executions keep nothing once ended; STANDARD ones keep their history up to retainFinishedExecutions */
  private finished(execution: LocalExecution, express: boolean): void {
    if (express) {
      this.executions.delete(execution.executionArn);
      return;
    }
    this.finishedWithHistory.push(execution.executionArn);
    while (this.finishedWithHistory.length > (this.options.retainFinishedExecutions ?? 1000)) {
      const oldest = this.finishedWithHistory.shift()!;
      const e = this.executions.get(oldest);
      if (e) e.history = [];
      this.evicted.add(oldest);
    }
  }

  /**
   * Integrations this runtime serves itself: nested executions (`states:startExecution.sync:2`, as Step Functions
   * runs them: wait for the child, its output parsed; a failed child fails the Task with States.TaskFailed and the
   * child's description as cause) and Lambda invocations; everything else goes to AWS through the dispatcher.
   */
  private async runTask(resource: string, parameters: unknown): Promise<unknown> {
    const p = (parameters ?? {}) as Record<string, unknown>;
    // states:startExecution's Parameters: StateMachineArn, Name?, Input (a JSON string, or JSON that is serialised)
    const startChild = (): LocalExecution => {
      try {
        const input = typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input ?? {});
        return this.start({ stateMachineArn: String(p.StateMachineArn), name: p.Name as string | undefined, input });
      } catch (error) {
        if (!(error instanceof SfnApiError)) throw error;
        const { error: name, cause } = stepFunctionsTaskError(error.code, error.message);
        throw new StatesTaskError(name, cause);
      }
    };
    const sync = /^arn:aws[a-z-]*:states:::states:startExecution\.sync(:2)?$/.exec(resource);
    if (sync) {
      const child = startChild(); // the object itself: an EXPRESS child is gone from the runtime once it ended
      await child.done;
      const json = (text: string | undefined) => (text === undefined || !sync[1] ? text : JSON.parse(text));
      // DescribeExecution's output: members that are not set are absent, as in AWS's JSON (Error, Cause, Output …)
      const description = Object.fromEntries(
        Object.entries({
          ExecutionArn: child.executionArn,
          StateMachineArn: child.stateMachineArn,
          Name: child.name,
          Status: child.status,
          StartDate: child.startDate.getTime(),
          StopDate: child.stopDate?.getTime(),
          Input: json(child.input),
          Output: json(child.output),
          Error: child.error,
          Cause: child.cause,
        }).filter(([, value]) => value !== undefined),
      );
      if (child.status !== 'SUCCEEDED') throw new StatesTaskError('States.TaskFailed', JSON.stringify(description));
      return description;
    }
    if (/^arn:aws[a-z-]*:states:::states:startExecution$/.test(resource)) {
      const { executionArn, startDate } = startChild();
      return { ExecutionArn: executionArn, StartDate: startDate.getTime() };
    }
    if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) {
      const functionName = String(p.FunctionName ?? '')
        .split(':function:')
        .pop()!
        .split(':')[0];
      const handler = this.options.lambdaHandlers?.[functionName];
      if (!handler) throw new StatesTaskError('Lambda.ResourceNotFoundException', `Function not found: ${String(p.FunctionName)}`);
      let payload: unknown;
      try {
        payload = await handler(p.Payload);
      } catch (error) {
        const { error: name, cause } = lambdaFunctionError(error);
        throw new StatesTaskError(name, cause);
      }
      return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: JSON.parse(JSON.stringify(payload ?? null)) };
    }
    return this.options.dispatcher.run(resource, parameters);
  }

  /**
   * The execution of an ARN. EXPRESS executions are not served by DescribeExecution, GetExecutionHistory or
   * StopExecution (API reference: "not supported by EXPRESS state machines"); AWS answers an `express:` ARN there
   * with InvalidArn, as it answers any ARN of the wrong resource type ("Resource type not valid in this context").
   */
  private execution(arn: string): LocalExecution {
    if (EXPRESS_EXECUTION_ARN.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: express'`);
    const e = this.executions.get(arn);
    if (!e) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  describeExecution(arn: string) {
    const e = this.execution(arn);
    return {
      ...executionListItem(e),
      input: e.input,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  }

  /** ListExecutions; not for EXPRESS state machines (API reference: StateMachineTypeNotSupported) */
  listExecutions(input: { stateMachineArn: string; statusFilter?: string; maxResults?: number; nextToken?: string }) {
    const m = this.machine(input.stateMachineArn);
    if (m.type === 'EXPRESS') throw new SfnApiError('StateMachineTypeNotSupported', `This operation is not supported by EXPRESS state machines: '${m.arn}'`);
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === input.stateMachineArn && (!input.statusFilter || e.status === input.statusFilter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const start = pageStart(input.nextToken);
    const size = input.maxResults || 100;
    const page = all.slice(start, start + size).map(executionListItem);
    return { executions: page, nextToken: start + size < all.length ? String(start + size) : undefined };
  }

  getExecutionHistory(input: { executionArn: string; reverseOrder?: boolean; maxResults?: number; nextToken?: string; includeExecutionData?: boolean }) {
    const e = this.execution(input.executionArn);
    if (this.evicted.has(e.executionArn)) {
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${e.executionArn}' (its history is no longer kept)`);
    }
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

  /**
   * Resolves when the execution has ended (tests, the demo, `--wait` against the local stack). A local helper, not an
   * AWS action: it also waits for a running EXPRESS execution (which is gone once it ended).
   */
  async waitForExecution(arn: string): Promise<LocalExecution> {
    const e = this.executions.get(arn);
    if (!e) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
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
