/**
 * Asynchronous Express executions run at least once: the same sweep-page execution input run twice, at once and one
 * after the other, through the local runtime on moto_server. The target's checkpoint (its counters) must equal the
 * sweep's records, every upload aborted and recorded once. Harness: test/support/sweep-harness.ts.
 */
import { describe, expect, it } from 'vitest';
import { planSweepRun } from '../../lib/sweep/plan.ts';
import { readCheckpoint } from '../../lib/sweep/record.ts';
import { startState } from '../../lib/sweep/list.ts';
import { DEFAULT_RUN_SETTINGS } from '../../lib/sweep/state.ts';
import { createBucket, createUpload, TABLE } from '../support/workflow.ts';
import { allUploads, arns, doc, expectCountersEqualRecords, recordsOfSweep, runtime, s3 } from '../support/sweep-harness.ts';

const SWEEP_TARGET = 'arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-sweep-target:dup-parent';

/** the first state of a one-target sweep of the bucket, pages of 10 */
function firstState(sweepId: string, bucket: string) {
  const plan = planSweepRun({
    request: { targets: [{ bucket, olderThan: '1d' }], activityGuard: false },
    startTime: new Date().toISOString(),
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-sweep-uploads:${sweepId}`,
    settings: { ...DEFAULT_RUN_SETTINGS, pageUploads: 10, waitSeconds: 0 },
  });
  return startState({ sweep: plan.sweep, target: plan.targets[0] });
}

async function seed(bucket: string, n: number) {
  await createBucket(s3, bucket);
  await Promise.all(Array.from({ length: n }, (_, i) => createUpload(s3, bucket, `d/${String(i).padStart(3, '0')}`, [4 + (i % 3)])));
}

async function runPage(name: string, state: unknown) {
  const { executionArn } = runtime.startExecution({ stateMachineArn: arns.sweepPage, name, input: JSON.stringify({ state, parent: SWEEP_TARGET }) });
  return runtime.waitForExecution(executionArn);
}

async function expectCheckpointEqualsRecords(sweepId: string, bucket: string, uploads: number) {
  const saved = await readCheckpoint({ doc, s3, tableName: TABLE }, sweepId, 0);
  const records = await recordsOfSweep(sweepId);
  expect(saved?.done).toBe(true);
  expect(records).toHaveLength(uploads);
  expect(records.every((r) => r.status === 'ABORTED')).toBe(true);
  expectCountersEqualRecords(saved!.totals as unknown as Record<string, unknown>, records);
  expect(await allUploads(bucket)).toEqual([]);
}

describe('a sweep-page execution run twice (Express: at least once)', () => {
  it('at once: one execution works on the lane at a time (the page lease), the counters equal the records', async () => {
    // Arrange
    await seed('dup-at-once', 35);
    const state = firstState('sweep-dup-at-once', 'dup-at-once');

    // Act
    const [a, b] = await Promise.all([runPage('dup-at-once-1', state), runPage('dup-at-once-2', state)]);

    // Assert
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    await expectCheckpointEqualsRecords('sweep-dup-at-once', 'dup-at-once', 35);
  }, 120_000);

  it('one after the other: the second goes on from the checkpoint the first wrote, and counts nothing twice', async () => {
    // Arrange
    await seed('dup-in-turn', 25);
    const state = firstState('sweep-dup-in-turn', 'dup-in-turn');

    // Act
    const first = await runPage('dup-in-turn-1', state);
    const second = await runPage('dup-in-turn-2', state);

    // Assert
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(JSON.parse(second.output!).seq).toBe(JSON.parse(first.output!).seq);
    await expectCheckpointEqualsRecords('sweep-dup-in-turn', 'dup-in-turn', 25);
  }, 120_000);
});
