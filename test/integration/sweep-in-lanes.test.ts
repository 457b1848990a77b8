/**
 * Targets swept in lanes (key ranges walked and cut by sweep-lanes) against moto_server: every old upload recorded once,
 * uploads created meanwhile left alone, a failing walk leaves one lane. Harness: test/support/sweep-harness.ts.
 */
import { describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalExecution } from '../../emulator/execution.ts';
import { checkpointId, HISTORY_EVENTS } from '../../lib/sweep/state.ts';
import type { LanesResult } from '../../lib/sweep/lanes.ts';
import { checkpointStates, listingEnded, liveProgress } from '../../lib/sweep/progress.ts';
import { createBucket, createUpload, TABLE } from '../support/workflow.ts';
import { FAST, allUploads, deploy, doc, executionsOf, expectCountersEqualRecords, s3, setAfterWalk, sweep, youngUploads } from '../support/sweep-harness.ts';

describe('sweep-uploads', () => {
  it('splits a large target into lanes at key boundaries and sweeps them side by side: every old upload recorded once, uploads created meanwhile left alone', async () => {
    // Arrange: 300 uploads (no parts: the lanes are the point) over 120 keys (1 to 4 uploads a key; keys with é, U+E000 and
    // U+1F600, whose UTF-8 order is not JavaScript's), lanes of about 60; a second target of 10 uploads is one lane
    await deploy({ ...FAST, SweepLaneUploads: 60 });
    await createBucket(s3, 'sweep-lanes');
    await createBucket(s3, 'sweep-lanes-small');
    const keyOf = (i: number) => `data/${['', 'é', '\uE000', '\u{1F600}'][i % 4]}${String(i).padStart(3, '0')}`;
    const old: Array<{ key: string; uploadId: string }> = [];
    for (let i = 0; i < 120; i += 20) {
      old.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, j) => j + i).flatMap((k) => Array.from({ length: 1 + (k % 4) }, () => createUpload(s3, 'sweep-lanes', keyOf(k), []))),
        )),
      );
    }
    await Promise.all(Array.from({ length: 10 }, (_, i) => createUpload(s3, 'sweep-lanes-small', `s-${i}`, [])));
    // between the walk and the sweep: new uploads (initiated after the cutoff) on the first and on the last key of each lane
    const walks: LanesResult[] = [];
    setAfterWalk(async (result, payload) => {
      if (payload.target.bucket !== 'sweep-lanes') return;
      walks.push(result);
      const keys = result.lanes.flatMap((lane) => [...(lane.end ? [lane.end] : []), ...(lane.after ? [`${lane.after}~`] : [])]);
      for (const upload of await Promise.all(keys.map((key) => createUpload(s3, 'sweep-lanes', key, [])))) youngUploads.add(upload.uploadId);
    });

    try {
      // Act
      const run = await sweep('sweep-lanes', {
        targets: [
          { bucket: 'sweep-lanes', olderThan: '1d' },
          { bucket: 'sweep-lanes-small', olderThan: '1d' },
        ],
        measure: false,
      });

      // Assert: every old upload aborted and recorded once, the new ones listed once (in one lane) and left alone
      expect(old).toHaveLength(300);
      const lanes = walks[0].lanes;
      expect(lanes.length).toBeGreaterThanOrEqual(4);
      expect(run.execution.status, run.execution.cause).toBe('SUCCEEDED');
      expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 310, aborted: 310, busy: 0, listed: 310 + youngUploads.size });
      expectCountersEqualRecords(run.summary, run.records);
      expect(run.records).toHaveLength(310);
      expect(
        run.records
          .filter((r) => r.bucket === 'sweep-lanes')
          .map((r) => r.uploadId)
          .sort(),
      ).toEqual(old.map((u) => u.uploadId).sort());
      expect((await allUploads('sweep-lanes')).map((u) => u.UploadId).sort()).toEqual([...youngUploads].sort());
      expect(JSON.parse(run.summary.targetResults!)).toMatchObject([
        { bucket: 'sweep-lanes', status: 'SWEPT', lanes: lanes.length, found: 300, aborted: 300, listed: 300 + youngUploads.size },
        { bucket: 'sweep-lanes-small', status: 'SWEPT', lanes: 1, found: 10, aborted: 10 },
      ]);
      // each lane its own sweep-target executions and checkpoint, ended at its end key
      const targets = await executionsOf('sweepTarget', run.since);
      expect(targets.length).toBeGreaterThanOrEqual(lanes.length + 1);
      const overlapping = (a: LocalExecution, b: LocalExecution) => a !== b && a.startDate < b.stopDate! && b.startDate < a.stopDate!;
      expect(
        targets.some((a) => targets.some((b) => overlapping(a, b))),
        'lanes side by side',
      ).toBe(true);
      for (const lane of lanes) {
        const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: checkpointId('sweep-lanes', 0, lane.lane) }, ConsistentRead: true }));
        expect(Item?.state, `lane ${lane.lane}`).toMatchObject({
          done: true,
          truncated: false,
          lane: { lane: lane.lane, ...(lane.end ? { end: lane.end } : {}) },
        });
      }
      // what a reader of the running sweep makes of these checkpoints: every lane listed to its end, so found is the total
      const states = await checkpointStates(doc, TABLE, run.summary);
      const lastLane = lanes.at(-1)!.lane;
      expect(listingEnded(states, 2)).toBe(true);
      expect(
        listingEnded(
          states.filter((s) => s.target.index !== 0 || (s.lane?.lane ?? 0) !== lastLane),
          2,
        ),
      ).toBe(false);
      expect(
        listingEnded(
          states.filter((s) => s.target.index !== 0 || (s.lane?.lane ?? 0) !== 1),
          2,
        ),
      ).toBe(false);
      expect(await liveProgress(doc, TABLE, { ...run.summary, status: 'RUNNING' })).toMatchObject({ listingEnded: true, sweep: { found: 310 } });
      // sweep-uploads' history: its fixed states, a walk per target, ~12 events per lane (the worst case in test/unit/sweep-lanes.test.ts)
      const [parent] = await executionsOf('sweepUploads', run.since);
      const perLane = (parent.history.length - HISTORY_EVENTS.sweepFixed - 2 * HISTORY_EVENTS.walkWorst) / (lanes.length + 1);
      console.log(
        `lanes: ${lanes.length} + 1 lanes, ${parent.history.length} events in sweep-uploads (${walks[0].calls} LIST calls walked ${walks[0].walked})`,
      );
      expect(parent.history.length).toBeLessThanOrEqual(HISTORY_EVENTS.sweepFixed + 2 * HISTORY_EVENTS.walkWorst + (lanes.length + 1) * HISTORY_EVENTS.lane);
      expect(perLane).toBeLessThanOrEqual(HISTORY_EVENTS.lane);
    } finally {
      setAfterWalk(undefined);
      youngUploads.clear();
      await deploy();
    }
  });

  it("sweeps a target whose walk keeps failing as one lane (after the walk's retries): a terminal summary, every upload recorded", async () => {
    // Arrange: lanes of 2, but every walk fails
    await deploy({ ...FAST, SweepLaneUploads: 2 });
    await createBucket(s3, 'sweep-walk-fails');
    await Promise.all(Array.from({ length: 6 }, (_, i) => createUpload(s3, 'sweep-walk-fails', `k-${i}`, [1])));
    let walks = 0;
    setAfterWalk(async () => {
      walks += 1;
      throw Object.assign(new Error('the walk broke'), { name: 'ServiceUnavailable' });
    });

    try {
      // Act
      const { execution, summary, records } = await sweep('sweep-walk-fails', { targets: [{ bucket: 'sweep-walk-fails', olderThan: '1d' }] });

      // Assert
      expect(execution.status, execution.cause).toBe('SUCCEEDED');
      expect(walks).toBe(6); // the first call and 5 retries
      expect(summary).toMatchObject({ status: 'COMPLETED', found: 6, aborted: 6 });
      expect(JSON.parse(summary.targetResults!)).toMatchObject([{ bucket: 'sweep-walk-fails', status: 'SWEPT', lanes: 1 }]);
      expectCountersEqualRecords(summary, records);
    } finally {
      setAfterWalk(undefined);
      await deploy();
    }
  });
});
