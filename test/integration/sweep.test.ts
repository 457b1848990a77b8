/**
 * The sweep (sweep-uploads → sweep-target → sweep-page) through the local runtime against moto_server: what it aborts
 * and records, with and without the measure, dry runs, a missing bucket, bad requests, checkpoints; and the cost and
 * time models from the counts it measured (test/bench/cost.ts, test/bench/model.ts). Harness: test/support/sweep-harness.ts.
 */
import { describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { checkpointId, type TargetState } from '../../lib/sweep/state.ts';
import { costPerMillion, formatCostTable, OLD_DESIGN, withActivityGuard } from '../bench/cost.ts';
import type { MeasuredDesign } from '../support/sweep-design.ts';
import { timeModel } from '../bench/model.ts';
import { createBucket, createUpload, TABLE } from '../support/workflow.ts';
import { allUploads, doc, expectCountersEqualRecords, measuredDesign, pageRunsSince, s3, sweep } from '../support/sweep-harness.ts';

const designs: MeasuredDesign[] = [];

describe('sweep-uploads', () => {
  it('aborts exactly the old-enough uploads of the prefix over several pages: one record per upload, counters equal to the records, bytes exact', async () => {
    // Arrange: 240 uploads over three prefixes in one bucket (1 to 3 parts), 20 in a second bucket
    await createBucket(s3, 'sweep-main');
    await createBucket(s3, 'sweep-other');
    const prefixes = ['logs/', 'tmp/', 'media/'];
    const sizes = (i: number) => Array.from({ length: 1 + (i % 3) }, (_, p) => 10 + ((i + p) % 7));
    for (let i = 0; i < 240; i += 40) {
      await Promise.all(
        Array.from({ length: 40 }, (_, j) =>
          createUpload(s3, 'sweep-main', `${prefixes[(i + j) % 3]}2026/11/22/part-${String(i + j).padStart(5, '0')}.parquet`, sizes(i + j)),
        ),
      );
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => createUpload(s3, 'sweep-other', `logs/o-${i}`, [5])));
    const logs = (await allUploads('sweep-main')).filter((u) => u.Key!.startsWith('logs/'));
    const expectedBytes = logs.reduce((sum, u) => sum + sizes(Number(/part-(\d+)/.exec(u.Key!)![1])).reduce((a, b) => a + b, 0), 0) + 20 * 5;

    // Act
    const run = await sweep('sweep-prefix', {
      targets: [
        { bucket: 'sweep-main', prefix: 'logs/', olderThan: '1d' },
        { bucket: 'sweep-other', olderThan: '24h' },
      ],
    });

    // Assert
    const { execution, summary, records } = run;
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const left = await allUploads('sweep-main');
    expect(left.filter((u) => u.Key!.startsWith('logs/'))).toHaveLength(0);
    expect(left).toHaveLength(240 - logs.length);
    expect(await allUploads('sweep-other')).toHaveLength(0);
    expect(summary).toMatchObject({
      recordType: 'sweep',
      status: 'COMPLETED',
      dryRun: false,
      found: logs.length + 20,
      aborted: logs.length + 20,
      busy: 0,
      bytesFound: expectedBytes,
    });
    expectCountersEqualRecords(summary, records);
    expect(records.every((r) => r.trigger === 'sweep' && r.status === 'ABORTED' && r.executionArn === execution.executionArn && r.attempts === 1)).toBe(true);
    // SweepPageSize 40: the 80 logs/ uploads in two pages and the other bucket's in one, each checkpointed
    expect(summary.pages).toBe(Math.ceil(logs.length / 40) + 1);
    expect(JSON.parse(execution.output!)).toMatchObject({ status: 'COMPLETED', aborted: logs.length + 20, bytesFound: expectedBytes });
    // requests per upload: one abort and one verifying ListParts (Tasks), one measuring ListParts and one PutItem (Lambdas)
    expect(run.meter.requests).toMatchObject({
      'task:s3:abortMultipartUpload': logs.length + 20,
      'task:s3:listParts': logs.length + 20,
      'lambda:s3:ListParts': logs.length + 20,
    });
    designs.push(await measuredDesign('new, measured (parts, bytes)', run, logs.length + 20, true));
  });

  it('without the measure: one abort, one ListParts and one PutItem per upload; records without parts and bytes', async () => {
    // Arrange
    await createBucket(s3, 'sweep-lean');
    for (let i = 0; i < 120; i += 40)
      await Promise.all(
        Array.from({ length: 40 }, (_, j) => createUpload(s3, 'sweep-lean', `data/2026/11/22/object-${String(i + j).padStart(5, '0')}.bin`, [3])),
      );

    // Act
    const run = await sweep('sweep-lean', { targets: [{ bucket: 'sweep-lean', olderThan: '1d' }], measure: false });

    // Assert
    expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 120, aborted: 120, bytesFound: 0, measure: false });
    expectCountersEqualRecords(run.summary, run.records);
    expect(run.records.every((r) => r.partsFound === undefined && r.bytesFound === undefined)).toBe(true);
    expect(await allUploads('sweep-lean')).toHaveLength(0);
    expect(run.meter.requests['lambda:s3:ListParts']).toBeUndefined();
    // the records, and a checkpoint per page: with the ledger's marker and ADD in one transaction when the page aborted uploads
    expect(run.meter.requests['lambda:dynamodb:TransactWriteItems']).toBe(Number(run.summary.pages));
    expect(run.meter.requests['lambda:dynamodb:PutItem']).toBe(120);
    expect(run.meter.requests['lambda:s3:PutObject']).toBe(Number(run.summary.pages)); // the pages' intents
    // every upload gone at the first check: one wait per page, no second round
    expect(pageRunsSince(run.since).reduce((total, e) => total + e.waits, 0)).toBe(Number(run.summary.pages));
    designs.push(await measuredDesign('new, verified and recorded', run, 120, false));
  });

  it('a dry run measures, records WOULD_ABORT with parts and bytes, and aborts nothing', async () => {
    // Arrange
    await createBucket(s3, 'sweep-dry');
    await Promise.all(Array.from({ length: 30 }, (_, i) => createUpload(s3, 'sweep-dry', `k-${i}`, [7, 8])));

    // Act
    const { summary, records, meter: m } = await sweep('sweep-dry-run', { targets: [{ bucket: 'sweep-dry', olderThan: '30m' }], dryRun: true, force: true });

    // Assert
    expect(await allUploads('sweep-dry')).toHaveLength(30);
    expect(summary).toMatchObject({ status: 'COMPLETED', dryRun: true, found: 30, wouldAbort: 30, aborted: 0, partsFound: 60, bytesFound: 30 * 15 });
    expectCountersEqualRecords(summary, records);
    expect(records.every((r) => r.status === 'WOULD_ABORT' && r.partsFound === 2 && r.bytesFound === 15 && r.attempts === 0 && r.dryRun === true)).toBe(true);
    expect(m.requests['task:s3:abortMultipartUpload']).toBeUndefined();
  });

  it('sweeps the good bucket when another target is missing: COMPLETED_WITH_ERRORS with the target error', async () => {
    // Arrange
    await createBucket(s3, 'sweep-good');
    await Promise.all(Array.from({ length: 5 }, (_, i) => createUpload(s3, 'sweep-good', `k-${i}`, [1])));

    // Act
    const { summary, execution, records } = await sweep('sweep-partly-failing', {
      targets: [
        { bucket: 'sweep-missing-bucket', olderThan: '1d' },
        { bucket: 'sweep-good', olderThan: '1d' },
      ],
    });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(await allUploads('sweep-good')).toHaveLength(0);
    expect(summary).toMatchObject({
      status: 'COMPLETED_WITH_ERRORS',
      found: 5,
      aborted: 5,
      targetErrors: [{ bucket: 'sweep-missing-bucket', error: 'NoSuchBucket', cause: expect.stringMatching(/bucket/i) }],
    });
    expect(JSON.parse(summary.targetResults!)).toMatchObject([
      { bucket: 'sweep-missing-bucket', status: 'FAILED' },
      { bucket: 'sweep-good', status: 'SWEPT', aborted: 5 },
    ]);
    expectCountersEqualRecords(summary, records);
  });

  it('aborts nothing when nothing is old enough', async () => {
    // Arrange
    await createBucket(s3, 'sweep-young');
    await Promise.all(Array.from({ length: 5 }, (_, i) => createUpload(s3, 'sweep-young', `k-${i}`, [1])));

    // Act
    const { summary } = await sweep('sweep-nothing-old', { targets: [{ bucket: 'sweep-young', olderThan: '6000d' }] });

    // Assert
    expect(await allUploads('sweep-young')).toHaveLength(5);
    expect(summary).toMatchObject({ status: 'COMPLETED', found: 0, aborted: 0, listed: 5 });
  });

  it('records an invalid sweep request as FAILED and starts nothing', async () => {
    // Act
    const { execution, summary } = await sweep('sweep-invalid', { targets: [{ bucket: 'sweep-good', olderThan: 'yesterday' }] });

    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('InvalidSweepRequest');
    expect(summary).toMatchObject({
      recordType: 'sweep',
      status: 'FAILED',
      error: 'InvalidSweepRequest',
      cause: expect.stringContaining('targets[0].olderThan'),
    });
  });

  it('refuses a sweep younger than SweepMinimumAge without force: recorded FAILED naming olderThan, no S3 request', async () => {
    // Act
    const { execution, summary, meter: m } = await sweep('sweep-too-young', { targets: [{ bucket: 'sweep-good', olderThan: '10m' }] });

    // Assert
    expect(execution.error).toBe('InvalidSweepRequest');
    expect(summary).toMatchObject({ status: 'FAILED', cause: expect.stringMatching(/targets\[0\]\.olderThan: is 10m, below the minimum age of 1h/) });
    expect(Object.keys(m.requests).filter((name) => /(^|:)s3:/.test(name))).toEqual([]);
  });

  it('checkpoints each target: its state holds the totals the summary sums', async () => {
    // Act
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: checkpointId('sweep-prefix', 0) }, ConsistentRead: true }));

    // Assert
    const state = Item!.state as TargetState;
    expect(state).toMatchObject({ done: true, truncated: false, handovers: [], target: { bucket: 'sweep-main', prefix: 'logs/' } });
    expect(Item).not.toHaveProperty('recordType');
  });

  it('prices the designs from the measured counts: ≤ $7 per million verified and recorded, ≤ $12 with the measure', () => {
    // the activity guard (on by default) adds its ListParts to a sweep without the measure (--no-activity-guard: not)
    const lean = designs.find((d) => d.name === 'new, verified and recorded');
    const costs = [costPerMillion(OLD_DESIGN), ...designs.map(costPerMillion), ...(lean ? [costPerMillion(withActivityGuard(lean, false))] : [])];
    console.log(
      `${formatCostTable(costs)}\n(pages of ${designs.map((d) => `${d.uploadsPerPage} uploads (${d.name})`).join(', ')}; ` +
        `${designs[0]?.perRun.toFixed(1)} sweep-target transitions per page execution)`,
    );
    expect(costs[0].total).toBeGreaterThan(750);
    expect(costs.find((c) => c.name === 'new, verified and recorded')!.total).toBeLessThanOrEqual(7);
    expect(costs.find((c) => c.name === 'new, measured (parts, bytes)')!.total).toBeLessThanOrEqual(12);
    expect(costs.find((c) => c.name === 'new, verified and recorded, activity guard')!.total).toBeLessThanOrEqual(12);
  });

  it('models 1,000,000 uploads of one target on AWS in lanes from the measured counts: the walk and the lanes within 15 minutes', () => {
    const lean = designs.find((d) => d.name === 'new, verified and recorded')!;
    const model = timeModel(lean);
    console.log(model.lines.map((line) => `- ${line}`).join('\n'));
    expect(model.oneTargetMinutes).toBeGreaterThan(60); // before lanes
    expect(model.met).toBe(true);
    expect(model.minutes).toBeGreaterThanOrEqual(model.quotaFloorMinutes);
  });
});
