/**
 * EXPRESS executions as AWS runs them (5 minutes at most, no history, not served by the execution APIs, usable as a
 * .sync:2 child), and how many finished STANDARD executions the runtime keeps in memory.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../emulator/execution.ts';
import { LocalStepFunctions, SfnApiError, type RuntimeOptions } from '../../emulator/runtime.ts';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';

const pass = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { done: true }, End: true } } });
const waitThenPass = JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30, Next: 'P' }, P: { Type: 'Pass', End: true } } });

const runtime = (options: Partial<RuntimeOptions> = {}) =>
  new LocalStepFunctions({ dispatcher: new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' }), ...options });

const apiError = (call: () => unknown): string => {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(SfnApiError);
    return (error as SfnApiError).code;
  }
  throw new Error('the call succeeded');
};

const apiErrorOrNone = (call: () => unknown): string | undefined => {
  try {
    call();
    return undefined;
  } catch {
    return apiError(call);
  }
};

// Sources: developer guide, "Choosing workflow type in Step Functions" (Express: at most 5 minutes; execution history
// not kept, only in CloudWatch Logs; no execution-name idempotency); API reference, DescribeExecution /
// GetExecutionHistory / StopExecution / ListExecutions: "This API action is not supported by EXPRESS state machines"
// (ListExecutions: StateMachineTypeNotSupported; an express: execution ARN where an execution ARN is expected:
// InvalidArn, "Resource type not valid in this context"); "Start workflow executions from a task state" (.sync:2
// starts an Express child and waits for it).
describe('EXPRESS executions', () => {
  it('get an express: ARN, no name idempotency, and nothing kept once ended', async () => {
    // Arrange
    const local = runtime();
    const events: HistoryEvent[] = [];
    const observed = runtime({ onExecutionEvent: (_e, event) => events.push(event) });
    const { stateMachineArn } = local.createStateMachine({ name: 'fast', definition: pass, type: 'EXPRESS' });
    const observedArn = observed.createStateMachine({ name: 'fast', definition: pass, type: 'EXPRESS' }).stateMachineArn;

    // Act
    const first = local.startExecution({ stateMachineArn, name: 'same' });
    const second = local.startExecution({ stateMachineArn, name: 'same' });
    const [execution] = await Promise.all([local.waitForExecution(first.executionArn), local.waitForExecution(second.executionArn)]);
    await observed.waitForExecution(observed.startExecution({ stateMachineArn: observedArn }).executionArn);

    // Assert
    expect(first.executionArn).toMatch(/^arn:aws:states:us-east-1:123456789012:express:fast:same:[0-9a-f-]{36}$/);
    expect(second.executionArn).not.toBe(first.executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    await expect(local.waitForExecution(first.executionArn)).rejects.toMatchObject({ code: 'ExecutionDoesNotExist' });
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  });

  it('are not served by DescribeExecution, GetExecutionHistory, StopExecution or ListExecutions', async () => {
    // Arrange
    const local = runtime();
    const { stateMachineArn } = local.createStateMachine({ name: 'slow', definition: waitThenPass, type: 'EXPRESS' });
    const { executionArn } = local.startExecution({ stateMachineArn });

    // Act / Assert: while it runs
    expect(apiError(() => local.describeExecution(executionArn))).toBe('InvalidArn');
    expect(apiError(() => local.getExecutionHistory({ executionArn }))).toBe('InvalidArn');
    expect(apiError(() => local.stopExecution({ executionArn }))).toBe('InvalidArn');
    expect(apiError(() => local.listExecutions({ stateMachineArn }))).toBe('StateMachineTypeNotSupported');
    await local.close();
  });

  it('time out after the maximum duration with States.Timeout', async () => {
    // Arrange: the 5 minutes shortened to 100 ms
    const local = runtime({ expressMaxDurationMs: 100 });
    const { stateMachineArn } = local.createStateMachine({ name: 'slow', definition: waitThenPass, type: 'EXPRESS' });

    // Act
    const execution = await local.waitForExecution(local.startExecution({ stateMachineArn }).executionArn);

    // Assert
    expect(execution.status).toBe('TIMED_OUT');
    expect(execution.error).toBe('States.Timeout');
    expect(execution.history.at(-1)?.type).toBe('ExecutionTimedOut');
  });

  it('run as a .sync:2 child: the STANDARD parent waits and gets the output, or the failure', async () => {
    // Arrange
    const local = runtime();
    local.createStateMachine({ name: 'child', definition: pass, type: 'EXPRESS' });
    const failing = JSON.stringify({ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Nope', Cause: 'no' } } });
    local.createStateMachine({ name: 'failing', definition: failing, type: 'EXPRESS' });
    const parentOf = (child: string) =>
      JSON.stringify({
        StartAt: 'Run',
        States: {
          Run: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: local.stateMachineArn(child), Input: { a: 1 } },
            OutputPath: '$.Output',
            End: true,
          },
        },
      });
    const ok = local.createStateMachine({ name: 'parent-ok', definition: parentOf('child') }).stateMachineArn;
    const bad = local.createStateMachine({ name: 'parent-bad', definition: parentOf('failing') }).stateMachineArn;

    // Act
    const succeeded = await local.waitForExecution(local.startExecution({ stateMachineArn: ok }).executionArn);
    const failed = await local.waitForExecution(local.startExecution({ stateMachineArn: bad }).executionArn);

    // Assert
    expect(succeeded.status).toBe('SUCCEEDED');
    expect(JSON.parse(succeeded.output!)).toEqual({ done: true });
    expect(failed.error).toBe('States.TaskFailed');
    expect(JSON.parse(failed.cause!)).toMatchObject({
      Status: 'FAILED',
      Error: 'Nope',
      Cause: 'no',
      ExecutionArn: expect.stringContaining(':express:failing:'),
    });
  });
});

// Not an AWS rule but a local one: AWS keeps executions for 90 days in its own storage; the local runtime must not keep
// every history in memory for ever (a long-running local stack or a bench starts thousands of executions).
describe('finished STANDARD executions kept in memory (retainFinishedExecutions)', () => {
  it('keeps the histories of the newest N; older ones still answer DescribeExecution from a summary', async () => {
    // Arrange
    const local = runtime({ retainFinishedExecutions: 2 });
    const { stateMachineArn } = local.createStateMachine({ name: 'm', definition: pass });

    // Act
    const arns: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const { executionArn } = local.startExecution({ stateMachineArn, name, input: '{"n":1}' });
      await local.waitForExecution(executionArn);
      arns.push(executionArn);
    }

    // Assert
    expect(local.describeExecution(arns[0])).toMatchObject({ status: 'SUCCEEDED', input: '{"n":1}', output: '{"done":true}' });
    expect(apiError(() => local.getExecutionHistory({ executionArn: arns[0] }))).toBe('ExecutionDoesNotExist');
    expect(local.getExecutionHistory({ executionArn: arns[1] }).events).toHaveLength(4);
    expect(local.getExecutionHistory({ executionArn: arns[2] }).events).toHaveLength(4);
    expect(local.listExecutions({ stateMachineArn }).executions).toHaveLength(3);
    expect(apiError(() => local.startExecution({ stateMachineArn, name: 'one', input: '{"n":1}' }))).toBe('ExecutionAlreadyExists');
  });

  it('keeps 1,000 by default', async () => {
    const local = runtime();
    const { stateMachineArn } = local.createStateMachine({ name: 'm', definition: pass });
    const arns = Array.from({ length: 1_001 }, () => local.startExecution({ stateMachineArn }).executionArn);
    for (const arn of arns) await local.waitForExecution(arn);
    const evicted = arns.filter((executionArn) => apiErrorOrNone(() => local.getExecutionHistory({ executionArn })) === 'ExecutionDoesNotExist');
    expect(evicted).toHaveLength(1);
  });
});
