/**
 * A sweep's request rate per bucket against moto_server (the real definitions on the local runtime): 30 % of one
 * bucket's S3 requests answered 503 SlowDown by a Chaos API rule with `bucket` lower that bucket's rate (AIMD, lib/sweep/rate.ts),
 * the sweep still aborts every upload of both buckets, and the other bucket, swept at the same time, keeps its rate.
 * Harness: test/support/sweep-harness.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { checkpointId, type TargetState } from '../../lib/sweep/state.ts';
import { createBucket, createUpload, TABLE } from '../support/workflow.ts';
import { allUploads, chaos, deploy, doc, executionsOf, expectCountersEqualRecords, rateWaits, s3, sweep } from '../support/sweep-harness.ts';

const SLOW = 'rate-slow';
const CALM = 'rate-calm';

afterEach(() => {
  chaos.setFaults([]);
});

describe("a sweep's rate per bucket", () => {
  it('lowers the rate on the bucket that answers SlowDown, keeps the other bucket’s, and still aborts every upload', async () => {
    // Arrange: 30 uploads in each bucket, pages of 10; a cap of 200 aborts and 400 reads a second per bucket (two lanes
    // in the sweep: 100 and 200 each); then 30 % of every S3 request to one bucket answered 503 SlowDown
    await deploy({ SweepPageSize: 10, SweepAbortsPerSecond: 200, SweepReadsPerSecond: 400 });
    await createBucket(s3, SLOW);
    await createBucket(s3, CALM);
    const created = await Promise.all([SLOW, CALM].flatMap((bucket) => Array.from({ length: 30 }, (_, i) => createUpload(s3, bucket, `k-${i}`, []))));
    rateWaits.length = 0;
    chaos.setFaults([{ service: 's3', bucket: SLOW, probability: 0.3, seed: 'sweep-rate', error: { statusCode: 503, code: 'SlowDown' } }]);

    // Act
    const run = await sweep('sweep-rate', {
      targets: [
        { bucket: SLOW, olderThan: '1d' },
        { bucket: CALM, olderThan: '1d' },
      ],
      measure: false,
    });
    const injected = chaos.counts();
    chaos.setFaults([]);

    // Assert: both buckets swept at the same time, every upload ABORTED and nothing left
    expect(run.execution.status, run.execution.cause).toBe('SUCCEEDED');
    expect(injected.injected).toBeGreaterThan(0);
    expect(Object.keys(injected.operations).every((operation) => operation.startsWith('s3:'))).toBe(true);
    expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 60, aborted: 60, failed: 0, partsRemain: 0 });
    expectCountersEqualRecords(run.summary, run.records);
    expect(run.records.map((r) => r.status)).toEqual(Array.from({ length: 60 }, () => 'ABORTED'));
    expect(run.records.map((r) => r.uploadId).sort()).toEqual(created.map((u) => u.uploadId).sort());
    expect(await allUploads(SLOW)).toEqual([]);
    expect(await allUploads(CALM)).toEqual([]);
    const targets = await executionsOf('sweepTarget', run.since);
    const lanesOf = (bucket: string) => targets.filter((t) => JSON.parse(t.input).state.target.bucket === bucket);
    const [slowLane, calmLane] = [lanesOf(SLOW)[0], lanesOf(CALM)[0]];
    expect(slowLane.startDate < calmLane.stopDate! && calmLane.startDate < slowLane.stopDate!, 'swept side by side').toBe(true);

    // Assert: the rate each lane recorded in its checkpoint, against its share of the bucket's cap
    const rateOf = async (index: number) => {
      const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: checkpointId('sweep-rate', index) }, ConsistentRead: true }));
      return (Item!.state as TargetState).rate!;
    };
    const [slow, calm] = [await rateOf(0), await rateOf(1)];
    expect(calm).toMatchObject({ aborts: 100, reads: 200, share: { aborts: 100, reads: 200 }, slowDowns: 0, lastSlowDowns: 0 });
    expect(slow.share).toEqual({ aborts: 100, reads: 200 });
    expect(slow.slowDowns).toBeGreaterThan(0);
    expect(slow.aborts).toBeLessThan(slow.share.aborts);
    expect(slow.reads).toBeLessThan(slow.share.reads);
    // the sweep's record shows each target's rate at the end
    expect(JSON.parse(run.summary.targetResults!)).toMatchObject([
      { bucket: SLOW, status: 'SWEPT', rate: { aborts: slow.aborts, share: slow.share, slowDowns: slow.slowDowns } },
      { bucket: CALM, status: 'SWEPT', rate: { aborts: 100, reads: 200, slowDowns: 0 } },
    ]);
    const waited = (bucket: string) => rateWaits.filter((w) => w.bucket === bucket).reduce((total, w) => total + w.seconds, 0);
    console.log(
      `sweep-rate: ${injected.injected} SlowDowns injected, ${slow.slowDowns} seen by the aborts; ${SLOW} ended at ${slow.aborts} aborts/s and` +
        ` ${slow.reads} reads/s of ${slow.share.aborts}/${slow.share.reads}, waited ${waited(SLOW)} s; ${CALM} kept ${calm.aborts}/${calm.reads}, waited ${waited(CALM)} s`,
    );
    // the slowed bucket's pages waited to keep to its lowered rate, longer than the calm bucket's
    expect(waited(SLOW)).toBeGreaterThan(waited(CALM));
  });
});
