/** The npm start demo's progress rows (emulator/demo.ts): read from an execution's history, one line each. */
import { describe, expect, it } from 'vitest';
import { formatProgressLine, progressFromHistory } from '../../emulator/demo.ts';
import { ABORT_UPLOAD_STATES } from '../../lib/state-names.ts';

describe('demo progress rows', () => {
  it('reads the current state from the latest StateEntered event and counts abort attempts', () => {
    // Arrange
    const entered = (type: string, name: string) => ({ type, stateEnteredEventDetails: { name } });
    const events = [
      { type: 'ExecutionStarted' },
      entered('TaskStateEntered', ABORT_UPLOAD_STATES.abortUpload),
      { type: 'TaskScheduled' },
      entered('WaitStateEntered', ABORT_UPLOAD_STATES.waitForInFlightParts),
      entered('TaskStateEntered', ABORT_UPLOAD_STATES.abortUploadRequesterPays),
      entered('TaskStateEntered', ABORT_UPLOAD_STATES.checkForRemainingParts),
      { type: 'TaskSucceeded' },
    ];

    // Act
    const progress = progressFromHistory(events);

    // Assert
    expect(progress).toEqual({ state: ABORT_UPLOAD_STATES.checkForRemainingParts, attempts: 2 });
    expect(progressFromHistory([])).toEqual({ state: undefined, attempts: 0 });
  });

  it('lays a row out in fixed columns, a long key cut with …, the note last', () => {
    // Act
    const short = formatProgressLine({ label: 'a.bin', status: 'RUNNING', state: ABORT_UPLOAD_STATES.waitForInFlightParts, attempts: 1 });
    const long = formatProgressLine({
      label: 'x'.repeat(40),
      status: 'SUCCEEDED',
      state: ABORT_UPLOAD_STATES.abortUpload,
      attempts: 2,
      note: 'client sent 3 parts',
    });

    // Assert
    expect(short).toBe(`  ${'a.bin'.padEnd(26)} RUNNING   ${ABORT_UPLOAD_STATES.waitForInFlightParts.padEnd(28)} aborts 1`);
    expect(long.indexOf('SUCCEEDED')).toBe(short.indexOf('RUNNING'));
    expect(long).toContain(`${'x'.repeat(25)}…`);
    expect(long.endsWith('aborts 2  client sent 3 parts')).toBe(true);
  });
});
