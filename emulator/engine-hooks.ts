/**
 * Where the local runtime looks inside aws-local-stepfunctions 3.0.0 to enforce AWS's run-time rules at the moment
 * AWS enforces them:
 *
 * 1. State hooks. Every machine the engine runs (the execution, each Map iteration, each Parallel branch) goes through
 *    `StateMachine.prototype.execute(input, options, cleanup)`, whose loop calls `options.eventLogger`'s
 *    `dispatchStateEnteredEvent` right before a state evaluates its InputPath and Parameters, and
 *    `dispatchStateExitedEvent` right after the state's output is final, both inside the loop's try. A check that
 *    throws there fails that machine with the thrown error, before anything else runs: no event-log race, no state
 *    after it, nested machines included (their failure reaches the Map or Parallel state, which cannot catch a
 *    TerminalStatesError). Only runs started with `strictRun` are hooked; any other use of the engine is untouched.
 * 2. Evaluating a payload template with the engine's own semantics (paths, intrinsics, context object), synchronously:
 *    a one-state machine whose Task handler receives the evaluated Parameters. The engine calls that handler before
 *    its first `await`, so the value is there when `run()` returns.
 *    The intrinsic-argument rules cannot be checked inside the engine (its intrinsic functions are module-private), so
 *    they are checked just before it evaluates them: on state entry, the arguments of every checked intrinsic in
 *    Parameters (or ItemSelector, per item, for a Map state) are evaluated by (2) against the same input and context
 *    object and checked, innermost call first; a Task's ResultSelector is checked against the Task's result
 *    (checkResultSelector). Not checked: the ResultSelector of a Map or Parallel state (its raw result never passes
 *    through the runtime).
 * 3. Reading a failed run's error: a Fail state without Error or Cause gets the engine's invented defaults
 *    ("FailStateError", "Execution failed because of a Fail state"); on AWS those members are simply not set.
 *
 * If the engine is not the build this code knows, installing the hooks throws instead of running without them.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import {
  assertWithinPayloadLimit,
  callsInnermostFirst,
  INTRINSIC_ARGUMENT_RULES,
  intrinsicFields,
  parseIntrinsic,
  TerminalStatesError,
  usesCheckedIntrinsic,
  type IntrinsicArg,
  type IntrinsicCall,
} from './asl-limits.ts';

type Json = unknown;
type Context = Record<string, unknown> & { Execution?: Record<string, unknown> };
type StateDefinition = Record<string, unknown>;
type EventLogger = {
  dispatchStateEnteredEvent(name: string, type: string, input: Json): void;
  dispatchStateExitedEvent(name: string, type: string, input: Json, output: Json): void;
};
type ExecuteOptions = { eventLogger: EventLogger; runOptions?: Record<PropertyKey, unknown> & { context?: Context } };
type Execute = (this: { definition: { States: Record<string, StateDefinition> } }, input: Json, options: ExecuteOptions, cleanup: () => void) => Promise<Json>;

/** marks the run options of a strict run; the engine copies run options to nested machines, so the mark follows */
const STRICT = Symbol('mpu-reaper strict run');
let installed = false;

function installStateHooks(): void {
  if (installed) return;
  const prototype = StateMachine.prototype as unknown as { execute?: Execute };
  const original = prototype.execute;
  if (typeof original !== 'function' || original.length !== 3) {
    throw new Error('engine-hooks: aws-local-stepfunctions is not the 3.0.0 build these hooks know (StateMachine.prototype.execute)');
  }
  prototype.execute = function execute(input, options, cleanup) {
    if (options?.runOptions?.[STRICT]) hookLogger(options, this.definition.States, input);
    return original.call(this, input, options, cleanup);
  };
  installed = true;
}

function hookLogger(options: ExecuteOptions, states: Record<string, StateDefinition>, input: Json): void {
  const logger = options.eventLogger;
  const { dispatchStateEnteredEvent: entered, dispatchStateExitedEvent: exited } = logger;
  if (typeof entered !== 'function' || typeof exited !== 'function') {
    throw new Error('engine-hooks: aws-local-stepfunctions is not the 3.0.0 build these hooks know (EventLogger)');
  }
  // the context object the engine builds for this machine (StartTime aside, which no checked argument needs)
  const base = options.runOptions?.context ?? {};
  const context: Context = { ...base, Execution: { ...base.Execution, Input: input } };
  logger.dispatchStateEnteredEvent = (name, type, stateInput) => {
    entered.call(logger, name, type, stateInput);
    stateEntered(name, states[name], stateInput, context);
  };
  logger.dispatchStateExitedEvent = (name, type, stateInput, output) => {
    // AWS records no exit for a state whose output is too large: the execution fails instead
    assertWithinPayloadLimit(output, name);
    exited.call(logger, name, type, stateInput, output);
  };
}

/** StateMachine.run with the state hooks on (the options are the engine's RunOptions) */
export function strictRun(machine: StateMachine, input: Json, options: object): ReturnType<StateMachine['run']> {
  installStateHooks();
  return machine.run(input as never, { ...options, [STRICT]: true } as never);
}

function stateEntered(name: string, state: StateDefinition, input: Json, context: Context): void {
  // a state's input past the limit: the execution input and every output are checked already, so this catches what a
  // Map's ItemSelector or a Parallel's Parameters hand to an iteration or a branch
  assertWithinPayloadLimit(input, name, 'input');
  if (state.Type === 'Map') {
    const selector = state.ItemSelector ?? state.Parameters;
    if (selector !== undefined && checkedCalls(selector).length) checkMapItems(state, selector, input, context);
  } else if (state.Parameters !== undefined) {
    checkTemplate(state.Parameters, { InputPath: state.InputPath }, input, context);
  }
}

/** a Task's ResultSelector, evaluated against its result: called by the runtime's Task handler before it returns */
export function checkResultSelector(state: StateDefinition, result: Json, context: Context): void {
  if (state.ResultSelector !== undefined) checkTemplate(state.ResultSelector, {}, result, context);
}

function checkMapItems(state: StateDefinition, selector: unknown, input: Json, context: Context): void {
  const items = evaluate({ InputPath: state.InputPath, Parameters: { 'items.$': state.ItemsPath ?? '$' } }, input, context);
  const list = (items?.value as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(list)) return; // the engine reports a bad ItemsPath itself
  for (const [index, item] of list.entries())
    checkTemplate(selector, { InputPath: state.InputPath }, input, { ...context, Map: { Item: { Index: index, Value: item } } });
}

// ---------------------------------------------------------------------------------------------------------------

const parsedTemplates = new WeakMap<object, IntrinsicCall[]>();

/** the parsed intrinsic calls of a template that use a checked intrinsic (cached per template object) */
function checkedCalls(template: unknown): IntrinsicCall[] {
  if (template === null || typeof template !== 'object') return [];
  let calls = parsedTemplates.get(template);
  if (!calls) {
    // createStateMachine parsed every field already, so parsing does not throw here
    calls = intrinsicFields(template)
      .map((f) => parseIntrinsic(f.expression)!)
      .filter(usesCheckedIntrinsic);
    parsedTemplates.set(template, calls);
  }
  return calls;
}

/** checks every checked intrinsic of the template, innermost first; throws States.Runtime for the first violation */
function checkTemplate(template: unknown, fields: { InputPath?: unknown }, input: Json, context: Context): void {
  for (const call of checkedCalls(template).flatMap(callsInnermostFirst)) {
    const rule = INTRINSIC_ARGUMENT_RULES[call.name];
    if (!rule) continue;
    const args = evaluate({ ...fields, Parameters: { 'args.$': `States.Array(${call.args.map(argumentText).join(', ')})` } }, input, context);
    if (!args) return; // the arguments themselves do not evaluate: the engine fails the state with its own error
    const violation = rule((args.value as { args: unknown[] }).args);
    if (violation) throw new TerminalStatesError('States.Runtime', violation);
  }
}

/**
 * An argument as the evaluation machine must see it: the engine sets `$$.Execution.Input` to the input of the machine
 * it runs, so a reference to the real execution input reads it from where evaluate() puts it.
 */
const EXECUTION_INPUT = '__mpuReaperExecutionInput';
const argumentText = (arg: IntrinsicArg): string => {
  if (arg.call) return `${arg.call.name}(${arg.call.args.map(argumentText).join(', ')})`;
  return /^\$\$\.Execution\.Input\b/.test(arg.text) ? `$$.${EXECUTION_INPUT}${arg.text.slice('$$.Execution.Input'.length)}` : arg.text;
};

const EVALUATE = 'Evaluate';

/** Evaluates InputPath + Parameters as the engine does; undefined when the engine fails evaluating them. */
function evaluate(fields: { InputPath?: unknown; Parameters: unknown }, input: Json, context: Context): { value: Json } | undefined {
  const state = {
    Type: 'Task',
    Resource: 'arn:aws:states:::local:evaluate',
    End: true,
    Parameters: fields.Parameters,
    ...(fields.InputPath === undefined ? {} : { InputPath: fields.InputPath }),
  };
  const machine = new StateMachine({ StartAt: EVALUATE, States: { [EVALUATE]: state } } as never, { validationOptions: { noValidate: true } });
  let captured: { value: Json } | undefined;
  const { result } = machine.run(
    input as never,
    {
      context: { ...context, [EXECUTION_INPUT]: context.Execution?.Input },
      overrides: {
        taskResourceLocalHandlers: {
          [EVALUATE]: (value: Json) => {
            captured = { value };
            return null;
          },
        },
      },
    } as never,
  );
  result.catch(() => undefined); // a failed evaluation shows as nothing captured
  return captured;
}

/** the engine's FailStateError defaults, for a Fail state that has no Error (ErrorPath) or no Cause (CausePath) */
const FAIL_STATE_DEFAULTS = { error: 'FailStateError', cause: 'Execution failed because of a Fail state' };

/** Error and Cause of a failed run (the engine rejects with an ExecutionError whose cause is the state's error) */
export function runFailure(rejection: unknown): { error?: string; cause?: string } {
  const failure = ((rejection as { cause?: unknown }).cause ?? rejection) as Error;
  if (failure.constructor?.name !== 'FailStateError') return { error: failure.name, cause: failure.message };
  return {
    error: failure.name === FAIL_STATE_DEFAULTS.error ? undefined : failure.name,
    cause: failure.message === FAIL_STATE_DEFAULTS.cause ? undefined : failure.message,
  };
}
