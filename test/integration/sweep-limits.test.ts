/**
 * Sweeps at AWS's limits: 10% faulted requests, page executions that outlive EXPRESS's 5 minutes, targets over several
 * sweep-target executions within 25,000 history events, pages of 1,024-byte keys within 256 KiB. Harness:
 * test/support/sweep-harness.ts.
 */
import { describe, expect, it } from 'vitest';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { HISTORY_EVENTS } from '../../lib/sweep/state.ts';
import { uploadsPerPage, WORST_UPLOAD } from '../bench/cost.ts';
import { createBucket, createUpload } from '../support/workflow.ts';
import { allUploads, deploy, executionsOf, expectCountersEqualRecords, faults, pageRunsSince, s3, startRuntime, sweep } from '../support/sweep-harness.ts';

describe('sweep-uploads', () => {
  it('ends under faults on 10% of S3 and DynamoDB requests (503, or applied and answered 500), with a record per upload and counters equal to the records', async () => {
    // Arrange
    await createBucket(s3, 'sweep-faults');
    for (let i = 0; i < 150; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => createUpload(s3, 'sweep-faults', `k-${String(i + j).padStart(3, '0')}`, [3])));
    Object.assign(faults, { rate: 0.07, lostRate: 0.03, seed: Number(process.env.FAULT_SEED ?? 7), injected: 0 });

    try {
      // Act
      const { summary, execution, records } = await sweep('sweep-faults', { targets: [{ bucket: 'sweep-faults', olderThan: '1d' }] });

      // Assert
      Object.assign(faults, { rate: 0, lostRate: 0 });
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      expect(faults.injected).toBeGreaterThan(50);
      expect(summary).toMatchObject({ status: 'COMPLETED', found: 150, aborted: 150, bytesFound: 450 });
      expect(records).toHaveLength(150);
      expectCountersEqualRecords(summary, records);
      expect(await allUploads('sweep-faults')).toHaveLength(0);
    } finally {
      Object.assign(faults, { rate: 0, lostRate: 0 });
    }
  });

  it('ends when page executions keep timing out (EXPRESS, 5 minutes): three resumes, then the target FAILED and the sweep INCOMPLETE, every aborted upload recorded', async () => {
    // Arrange: every page execution outlives its cap in its wait, after its aborts and before its records (1.5 s leaves the
    // list and the 5 aborts ample time on a loaded machine; the 10 s wait always outlives the cap)
    await startRuntime({ expressMaxDurationMs: 1_500, waitTimeOverrides: { 'Wait for in-flight parts': 10_000 } }, { SweepPageSize: 5 });
    await createBucket(s3, 'sweep-timeouts');
    await Promise.all(Array.from({ length: 30 }, (_, i) => createUpload(s3, 'sweep-timeouts', `k-${String(i).padStart(2, '0')}`, [1])));

    try {
      // Act
      const { summary, execution, records } = await sweep('sweep-timeouts', { targets: [{ bucket: 'sweep-timeouts', olderThan: '1d' }] });

      // Assert: the sweep ends and counts the four failed page executions; each failure in a row halved the next page
      // (lib/sweep/pace.ts): 5, then 2, 1, 1 uploads aborted, each recorded ABORTED from its page's intent by the resume
      // (the last by the give-up), none left without a record
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      expect(summary).toMatchObject({ status: 'INCOMPLETE', lostPages: 4, found: 9, aborted: 9 });
      expect(JSON.parse(summary.targetResults!)).toMatchObject([{ bucket: 'sweep-timeouts', status: 'FAILED', error: 'States.Timeout' }]);
      expectCountersEqualRecords(summary, records);
      const left = (await allUploads('sweep-timeouts')).map((u) => u.UploadId);
      expect(left).toHaveLength(30 - (5 + 2 + 1 + 1));
      expect(records.every((r) => r.status === 'ABORTED' && !left.includes(r.uploadId as string))).toBe(true);
    } finally {
      await startRuntime();
    }
  });

  it('runs a target over several sweep-target executions, each far below 25,000 history events, at a bounded number of events per page', async () => {
    // Arrange: pages of 10, one page per page execution (SweepRunSeconds 0), slices of 30 events (3 page executions)
    await deploy({ SweepPageSize: 10, SweepRunSeconds: 0, SweepSliceEvents: 30 });
    await createBucket(s3, 'sweep-slices');
    for (let i = 0; i < 100; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => createUpload(s3, 'sweep-slices', `k-${String(i + j).padStart(3, '0')}`, [1])));

    try {
      // Act
      const run = await sweep('sweep-slices', { targets: [{ bucket: 'sweep-slices', olderThan: '1d' }] });

      // Assert
      expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 100, aborted: 100, pages: 10 });
      expectCountersEqualRecords(run.summary, run.records);
      const targets = await executionsOf('sweepTarget', run.since);
      expect(targets.length).toBeGreaterThan(2);
      // each page execution costs its sweep-target at most the events the slice budget counts (AWS writes more than the local runtime)
      const perRun = targets.reduce((total, e) => total + e.history.length, 0) / pageRunsSince(run.since).length;
      expect(perRun).toBeLessThanOrEqual(HISTORY_EVENTS.pageRun + 2);
      // sweep-uploads: its fixed events (plan, record, finish) counted into each slice's share, an upper bound
      const parentPerSlice = (await executionsOf('sweepUploads', run.since))[0].history.length / targets.length;
      expect(parentPerSlice).toBeLessThanOrEqual(20);
      // 100,000 uploads of the worst shape (1,024-byte keys escaped 6×): pages of the default budget, slices of 20,000 events
      const worstPages = Math.ceil(100_000 / uploadsPerPage({ ...WORST_UPLOAD, measure: true }));
      const slices = Math.ceil((worstPages * HISTORY_EVENTS.pageRun) / SWEEP_SETTINGS_DEFAULTS.SweepSliceEvents);
      expect(slices * parentPerSlice).toBeLessThan(25_000);
      const largestStep = HISTORY_EVENTS.handoverBatch + 25 * HISTORY_EVENTS.handover + HISTORY_EVENTS.pageRun; // a full hand-over batch
      expect(SWEEP_SETTINGS_DEFAULTS.SweepSliceEvents + largestStep).toBeLessThan(25_000);
      console.log(
        `history: ${perRun.toFixed(1)} events per page execution in sweep-target, ${parentPerSlice.toFixed(1)} per slice in sweep-uploads;` +
          ` 100,000 worst-shape uploads: ${worstPages} pages, ${slices} slices`,
      );
    } finally {
      await deploy();
    }
  });

  it('keeps every state of a page with 1,024-byte keys under its byte budget', async () => {
    // Arrange: 1,024-byte keys of characters JSON escapes (" and \), long enough that the budget cuts the pages
    await deploy({ SweepPageBytes: 64 * 1024 });
    await createBucket(s3, 'sweep-long-keys');
    const key = (i: number) => `${String(i).padStart(4, '0')}/${'"\\'.repeat(509)}"`;
    await Promise.all(Array.from({ length: 40 }, (_, i) => createUpload(s3, 'sweep-long-keys', key(i), [1])));

    try {
      // Act
      const run = await sweep('sweep-long-keys', { targets: [{ bucket: 'sweep-long-keys', olderThan: '1d' }] });

      // Assert
      expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 40, aborted: 40 });
      expectCountersEqualRecords(run.summary, run.records);
      const largest = Math.max(...pageRunsSince(run.since).map((e) => e.largestState));
      expect(Number(run.summary.pages)).toBeGreaterThan(1);
      expect(largest).toBeGreaterThan(32 * 1024);
      expect(largest).toBeLessThanOrEqual(64 * 1024);
    } finally {
      await deploy();
    }
  });
});
