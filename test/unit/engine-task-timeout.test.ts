/**
 * A Task without TimeoutSeconds has no 60-second limit on AWS ("By default, the Amazon States Language doesn't specify
 * timeouts": Developer Guide, "Using timeouts to avoid stuck executions"); aws-local-stepfunctions 3.0.0 gives it 60 s,
 * so npm install patches that default away (emulator/patch-engine.ts). A Task's own TimeoutSeconds still holds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StateMachine } from 'aws-local-stepfunctions';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** a one-Task machine whose task answers when the test says so */
function slowTask(timeoutSeconds?: number) {
  let answer!: (value: unknown) => void;
  const machine = new StateMachine({
    StartAt: 'Slow',
    States: {
      Slow: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:123456789012:function:slow',
        End: true,
        ...(timeoutSeconds ? { TimeoutSeconds: timeoutSeconds } : {}),
      },
    },
  } as never);
  const execution = machine.run(
    {},
    {
      overrides: {
        taskResourceLocalHandlers: {
          Slow: () =>
            new Promise((resolve) => {
              answer = resolve as (value: unknown) => void;
            }),
        },
      },
    },
  );
  const outcome = execution.result.then(
    (output) => ({ output }),
    (error: Error) => ({ error: (error.cause as { name?: string } | undefined)?.name }),
  );
  return { answer: (value: unknown) => answer(value), outcome };
}

describe('the local engine times Tasks as AWS does', () => {
  it('lets a Task without TimeoutSeconds run past 60 seconds (an hour here)', async () => {
    // Arrange
    const task = slowTask();

    // Act
    await vi.advanceTimersByTimeAsync(3_600_000);
    task.answer({ done: true });

    // Assert
    expect(await task.outcome).toEqual({ output: { done: true } });
  });

  it('still fails a Task with States.Timeout after its own TimeoutSeconds', async () => {
    // Arrange
    const task = slowTask(5);

    // Act
    await vi.advanceTimersByTimeAsync(5_001);

    // Assert
    expect(await task.outcome).toEqual({ error: 'States.Timeout' });
  });
});
