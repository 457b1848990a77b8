/**
 * Run-time rules of AWS Step Functions that fail an execution: intrinsic-function arguments (States.Runtime), payload
 * sizes (States.DataLimitExceeded) and the history size of a Standard execution. None of these errors may be caught
 * or retried, not even by States.ALL.
 */
import { describe, expect, it } from 'vitest';
import { LocalStepFunctions, SfnApiError, type RuntimeOptions } from '../../emulator/runtime.ts';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';
import dataLimit from '../fixtures/aws-recorded/data-limit.json' with { type: 'json' };

const LAMBDA = 'arn:aws:states:::lambda:invoke';

/** runs a definition to its end; `calls` counts the invocations of the Lambda `f` (its result is `result(payload)`) */
async function execute(definition: object, input: unknown = {}, result: (payload: unknown) => unknown = (p) => p, options: Partial<RuntimeOptions> = {}) {
  const calls: unknown[] = [];
  const local = new LocalStepFunctions({
    dispatcher: new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' }),
    lambdaHandlers: {
      f: async (payload) => {
        calls.push(payload);
        return result(payload);
      },
    },
    retryIntervalOverrides: { T: 0 },
    ...options,
  });
  const { stateMachineArn } = local.createStateMachine({ name: 'm', definition: JSON.stringify(definition) });
  const { executionArn } = local.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  const execution = await local.waitForExecution(executionArn);
  return { execution, calls, types: execution.history.map((e) => e.type) };
}

/** a Task whose Parameters use `expression`, with a Retry and a Catch on States.ALL that would hide any catchable error */
const guardedTask = (fields: object) => ({
  StartAt: 'T',
  States: {
    T: {
      Type: 'Task',
      Resource: LAMBDA,
      ...fields,
      Next: 'Done',
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
    },
    Done: { Type: 'Succeed' },
    Caught: { Type: 'Pass', Result: 'caught', End: true },
  },
});
const taskUsing = (expression: string) => guardedTask({ Parameters: { FunctionName: 'f', Payload: { 'v.$': expression } } });

const expectUncaught = (run: Awaited<ReturnType<typeof execute>>, error: string) => {
  expect(run.execution.status).toBe('FAILED');
  expect(run.execution.error).toBe(error);
  const entered = run.execution.history.map((e) => (e.stateEnteredEventDetails as { name?: string } | undefined)?.name);
  expect(entered).not.toContain('Caught'); // the Catch's state never ran
  expect(run.types.at(-1)).toBe('ExecutionFailed');
};

// Source: developer guide, "Intrinsic functions": the math intrinsics take 32-bit signed integers; States.Hash input is
// limited to 10,000 characters; States.ArrayRange returns at most 1,000 items. A violation is a States.Runtime error,
// and "A retry or catch on States.ALL won't catch States.Runtime errors" (developer guide, "Handling errors in Step
// Functions workflows", States.Runtime).
describe('intrinsic function arguments: States.Runtime, not caught by States.ALL', () => {
  it.each([
    ['States.MathAdd with an argument past 2^31-1', 'States.MathAdd($.n, 1)', { n: 2_147_483_648 }, /argument 1 of States\.MathAdd/],
    ['States.MathAdd with an argument below -2^31', 'States.MathAdd(1, $.n)', { n: -2_147_483_649 }, /argument 2 of States\.MathAdd/],
    ['States.MathAdd whose sum leaves the 32-bit range', 'States.MathAdd($.n, 1)', { n: 2_147_483_647 }, /result of States\.MathAdd/],
    ['States.MathAdd with a non-integer (AWS rounds it; stricter here)', 'States.MathAdd($.n, 1)', { n: 1.5 }, /argument 1 of States\.MathAdd/],
    ['States.MathRandom with a bound past 2^31-1', 'States.MathRandom(1, $.n)', { n: 3_000_000_000 }, /argument 2 of States\.MathRandom/],
    ['States.MathAdd nested in another intrinsic', "States.Format('{}', States.MathAdd($.n, $.n))", { n: 2_000_000_000 }, /result of States\.MathAdd/],
    ['States.MathAdd reading the execution input through $$', 'States.MathAdd($$.Execution.Input.n, 0)', { n: 2 ** 40 }, /argument 1 of States\.MathAdd/],
    ['States.Hash of more than 10,000 characters', "States.Hash($.s, 'SHA-256')", { s: 'x'.repeat(10_001) }, /States\.Hash/],
    ['States.ArrayRange of more than 1,000 items', 'States.ArrayRange(1, $.n, 1)', { n: 1_001 }, /States\.ArrayRange/],
  ])('%s fails the execution before the Task runs', async (_case, expression, input, cause) => {
    const run = await execute(taskUsing(expression), input);
    expectUncaught(run, 'States.Runtime');
    expect(run.execution.cause).toMatch(cause);
    expect(run.calls).toEqual([]);
  });

  it('accepts the 32-bit boundaries and 1,000 items', async () => {
    const expression = 'States.Array(States.MathAdd($.n, 1), States.MathAdd(-2147483647, -1), States.ArrayLength(States.ArrayRange(1, 1000, 1)))';
    const run = await execute(taskUsing(expression), { n: 2_147_483_646 });
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.calls).toEqual([{ v: [2_147_483_647, -2_147_483_648, 1000] }]);
  });

  it('applies InputPath before evaluating the arguments, as the engine does', async () => {
    const task = guardedTask({ InputPath: '$.inner', Parameters: { FunctionName: 'f', Payload: { 'v.$': 'States.MathAdd($.n, 1)' } } });
    const run = await execute(task, { n: 2 ** 40, inner: { n: 1 } });
    expect(run.execution.status).toBe('SUCCEEDED');
    expect(run.calls).toEqual([{ v: 2 }]);
  });

  it('checks a Task ResultSelector against the Task result', async () => {
    const run = await execute(
      guardedTask({
        Parameters: { FunctionName: 'f', Payload: { n: 2_147_483_647 } },
        ResultSelector: { 'v.$': 'States.MathAdd($.Payload.n, 1)' },
      }),
    );
    expectUncaught(run, 'States.Runtime');
    expect(run.types).toContain('TaskSucceeded');
  });

  it('checks a Map ItemSelector item by item ($$.Map.Item.Index), and a Catch on the Map does not catch it', async () => {
    const definition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'i.$': 'States.MathAdd($$.Map.Item.Index, $.base)' },
          ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: LAMBDA, Parameters: { FunctionName: 'f', 'Payload.$': '$' }, End: true } } },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    };
    const run = await execute(definition, { items: ['a', 'b'], base: 2_147_483_647 });
    expectUncaught(run, 'States.Runtime');
    expect(run.execution.cause).toMatch(/result of States\.MathAdd\(1, 2147483647\)/);
    expect(run.calls).toEqual([]); // no iteration started: item 1 fails the Map state before any
  });

  it("fails from inside a Map iteration, through the Map state's Catch", async () => {
    const definition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Add', States: { Add: { Type: 'Pass', Parameters: { 'v.$': 'States.MathAdd($, 1)' }, End: true } } },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    };
    const run = await execute(definition, { items: [1, 2 ** 31] });
    expectUncaught(run, 'States.Runtime');
  });
});

const OVER_LIMIT = 'a'.repeat(262_144); // its JSON is 262,146 bytes

// Source: developer guide, "Step Functions service quotas": "Maximum input or output size for a task, state, or
// execution: 262,144 bytes of data as a UTF-8 encoded string"; "Handling errors in Step Functions workflows",
// States.DataLimitExceeded: "a terminal error that can't be caught by the States.ALL error type"; causes and event
// sequence as recorded from AWS in test/fixtures/aws-recorded/data-limit.json (LocalStack's snapshot; it also shows
// AWS catching a Task's oversized result with States.ALL: this runtime keeps the documented, stricter rule).
describe('payloads of at most 262,144 bytes: States.DataLimitExceeded, not caught by States.ALL', () => {
  it('refuses an execution input past the limit at StartExecution, counting UTF-8 bytes', async () => {
    const local = new LocalStepFunctions({ dispatcher: new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' }) });
    const definition = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const { stateMachineArn } = local.createStateMachine({ name: 'm', definition });
    const exactly = JSON.stringify('a'.repeat(262_142));
    const twoByteChars = JSON.stringify('é'.repeat(131_072)); // 131,074 characters, 262,146 bytes
    expect(() => local.startExecution({ stateMachineArn, input: exactly })).not.toThrow();
    expect(() => local.startExecution({ stateMachineArn, input: twoByteChars })).toThrow(SfnApiError);
    expect(() => local.startExecution({ stateMachineArn, input: twoByteChars })).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    await local.close();
  });

  it("fails a Pass state whose output is past the limit, with AWS's recorded cause and events", async () => {
    const run = await execute({ StartAt: 'State_1', States: { State_1: { Type: 'Pass', Result: { Arg1: OVER_LIMIT }, End: true } } });
    expect(run.execution.status).toBe('FAILED');
    expect({ error: run.execution.error, cause: run.execution.cause }).toEqual(dataLimit.passStateOutput.recorded);
    expect(run.types).toEqual(dataLimit.passStateOutput.historyTypes);
  });

  it("fails a Task whose result is past the limit, with AWS's recorded cause, through Retry and Catch on States.ALL", async () => {
    const run = await execute(taskUsing('$'), {}, () => OVER_LIMIT);
    expectUncaught(run, 'States.DataLimitExceeded');
    expect(run.execution.cause).toBe(dataLimit.lambdaInvokeResult.recorded.cause);
    expect(run.types).toContain('TaskFailed');
    expect(run.calls).toHaveLength(1); // not retried
  });

  it('fails a Task whose input after Parameters is past the limit, before it runs', async () => {
    const run = await execute(taskUsing('$.big'), { big: 'a'.repeat(200_000), again: 'a'.repeat(60_000) });
    expect(run.execution.status).toBe('SUCCEEDED'); // the state input itself is within the limit
    const over = await execute(guardedTask({ Parameters: { FunctionName: 'f', Payload: { 'a.$': '$.big', 'b.$': '$.big' } } }), { big: 'a'.repeat(140_000) });
    expectUncaught(over, 'States.DataLimitExceeded');
    expect(over.execution.cause).toBe("The state/task 'T' has an input with a size exceeding the maximum number of bytes service limit.");
    expect(over.calls).toEqual([]);
  });

  it("fails when a Map iteration produces too much, through the Map state's Catch", async () => {
    const definition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Grow', States: { Grow: { Type: 'Pass', Result: OVER_LIMIT, End: true } } },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    };
    const run = await execute(definition, { items: [1] });
    expectUncaught(run, 'States.DataLimitExceeded');
    expect(run.execution.cause).toMatch(/'Grow' returned a result/);
  });

  it('fails when the output of the whole Map is past the limit, though each iteration is within it', async () => {
    const definition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          End: true,
          ItemProcessor: { StartAt: 'Twice', States: { Twice: { Type: 'Pass', Parameters: { 'a.$': '$', 'b.$': '$' }, End: true } } },
        },
      },
    };
    const run = await execute(definition, { items: ['a'.repeat(50_000), 'b'.repeat(50_000), 'c'.repeat(50_000)] });
    expect(run.execution.status).toBe('FAILED');
    expect(run.execution.error).toBe('States.DataLimitExceeded');
    expect(run.execution.cause).toMatch(/'M' returned a result/);
  });
});

// Source: developer guide, "Step Functions service quotas": "Maximum execution history size: 25,000 events"; the
// failure AWS reports: States.Runtime, "The execution reached the maximum number of history events (25000)."
// (as seen in github.com/loads/ardere/issues/86).
describe('a Standard execution has at most 25,000 history events', () => {
  it('fails with States.Runtime when a loop reaches the limit; the failure is event 25,000', async () => {
    const loop = {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'B' },
        B: { Type: 'Choice', Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'End' }], Default: 'A' },
        End: { Type: 'Succeed' },
      },
    };
    const run = await execute(loop);
    expect(run.execution.status).toBe('FAILED');
    expect(run.execution.error).toBe('States.Runtime');
    expect(run.execution.cause).toBe('The execution reached the maximum number of history events (25000).');
    expect(run.execution.history).toHaveLength(25_000);
    expect(run.types.at(-1)).toBe('ExecutionFailed');
  }, 120_000);
});
