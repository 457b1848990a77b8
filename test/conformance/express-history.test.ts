/**
 * An EXPRESS execution keeps no history in the runtime (AWS keeps none: only CloudWatch Logs, and GetExecutionHistory
 * does not serve EXPRESS): observers still get every event, the execution holds only its newest.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../emulator/execution.ts';
import { LocalStepFunctions } from '../../emulator/runtime.ts';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';

const items = Array.from({ length: 50 }, (_, i) => ({ key: `object-${i}`, payload: 'x'.repeat(1000) }));
const map = JSON.stringify({
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: { StartAt: 'Touch', States: { Touch: { Type: 'Pass', Result: 'done', End: true } } },
      ResultPath: null,
      End: true,
    },
  },
});

describe('EXPRESS execution history', () => {
  it('is passed to observers event by event and not held: the execution keeps its newest event only', async () => {
    // Arrange
    const events: HistoryEvent[] = [];
    let mostHeld = 0;
    const runtime = new LocalStepFunctions({
      dispatcher: new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' }),
      onExecutionEvent: (execution, event) => {
        events.push(event);
        if (execution.executionArn.includes(':express:')) mostHeld = Math.max(mostHeld, execution.history.length);
      },
    });
    const express = runtime.createStateMachine({ name: 'page', definition: map, type: 'EXPRESS' }).stateMachineArn;
    const standard = runtime.createStateMachine({ name: 'standard-page', definition: map }).stateMachineArn;

    // Act
    const input = JSON.stringify({ items });
    const ended = await runtime.waitForExecution(runtime.startExecution({ stateMachineArn: express, input }).executionArn);
    const expressEvents = events.splice(0);
    const kept = await runtime.waitForExecution(runtime.startExecution({ stateMachineArn: standard, input }).executionArn);

    // Assert
    expect(ended.status).toBe('SUCCEEDED');
    expect(expressEvents.length).toBeGreaterThan(2 * items.length);
    expect(expressEvents.map((e) => e.id)).toEqual(expressEvents.map((_, i) => i + 1));
    expect(mostHeld).toBe(1);
    expect(ended.history).toEqual([expressEvents.at(-1)]);
    expect(kept.history).toEqual(events); // STANDARD: the whole history, as GetExecutionHistory serves it
  });
});
