/** Finishing a sweep (lib/sweep/finish.ts): the checkpoints summed into the sweep record, the sweep's status. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { finishSweep, sweepStatus, targetResult, truncatedCause } from '../../lib/sweep/finish.ts';
import { emptyTotals } from '../../lib/sweep/state.ts';
import { deps, docMock, state, resetMocks } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

describe('finishing a sweep', () => {
  it("sums the checkpoints into the sweep record, with each target's result and error", async () => {
    // Arrange
    const [a, b] = [
      state({ done: true, totals: { ...emptyTotals(), found: 3, aborted: 3, bytesFound: 30 } }),
      state({ done: true, error: { error: 'NoSuchBucket', cause: 'no such bucket' } }),
    ];
    b.target = { ...b.target, index: 1, bucket: 'gone' };
    docMock.on(BatchGetCommand).resolves({
      Responses: {
        records: [
          { targetIndex: 1, state: b },
          { targetIndex: 0, state: a },
        ],
      },
    });
    docMock.on(UpdateCommand).resolves({});

    // Act
    const summary = await finishSweep(deps, { sweep: a.sweep, targets: [a.target, b.target] });

    // Assert
    expect(summary).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', found: 3, aborted: 3, bytesFound: 30 });
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'sweep-1' },
      ConditionExpression: '#executionArn = :executionArn',
      ExpressionAttributeValues: expect.objectContaining({
        ':status': 'COMPLETED_WITH_ERRORS',
        ':found': 3,
        ':targetErrors': [{ bucket: 'gone', error: 'NoSuchBucket', cause: 'no such bucket' }],
      }),
    });
  });

  it.each([
    [[{ status: 'SWEPT' }], {}, 'COMPLETED'],
    [[{ status: 'SWEPT' }], { failed: 1 }, 'COMPLETED_WITH_ERRORS'],
    [[{ status: 'SWEPT' }, { status: 'FAILED' }], {}, 'COMPLETED_WITH_ERRORS'],
    [[{ status: 'TRUNCATED' }], {}, 'INCOMPLETE'],
    [[{ status: 'SWEPT' }], { lostPages: 1, failed: 1 }, 'INCOMPLETE'],
  ])('%j with %j → %s', (results, totals, status) => {
    expect(sweepStatus(results as never, { ...emptyTotals(), ...totals })).toBe(status);
  });

  it('says which option raises the limit of a TRUNCATED target, in the record the sweep keeps', async () => {
    // Arrange: the target listed its maxUploads and stopped
    const truncated = state({ done: true, truncated: true, totals: { ...emptyTotals(), listed: 500, found: 500, aborted: 500 } });
    truncated.target = { ...truncated.target, maxUploads: 500 };
    docMock.on(BatchGetCommand).resolves({ Responses: { records: [{ targetIndex: 0, state: truncated }] } });
    docMock.on(UpdateCommand).resolves({});

    // Act
    const summary = await finishSweep(deps, { sweep: truncated.sweep, targets: [truncated.target] });

    // Assert
    expect(summary.status).toBe('INCOMPLETE');
    const values = docMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues!;
    const [result] = JSON.parse(values[':targetResults']);
    expect(result).toMatchObject({ status: 'TRUNCATED', cause: expect.stringContaining('listed 500 uploads') });
    expect(result.cause).toContain('--max-uploads N (CLI) or maxUploads (API), up to 1,000,000');
    expect(result.error).toBeUndefined(); // not an error of the target: targetErrors stays empty
    expect(values[':targetErrors']).toBeUndefined();
  });

  it('at the highest limit, a TRUNCATED target points to narrower prefixes instead', () => {
    expect(truncatedCause(1_000_000)).toMatch(/highest limit, sweep the rest with narrower --prefix \(prefix\) targets$/);
  });

  it('reports a target without a checkpoint FAILED', () => {
    expect(targetResult(state().target, [undefined])).toMatchObject({ status: 'FAILED', error: 'NoCheckpoint' });
  });
});
