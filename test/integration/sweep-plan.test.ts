/**
 * A dry run's plan, reviewed and applied, through the real definitions on moto_server: the plan lists exactly what the dry
 * run would abort; the apply aborts only planned uploads (gone → NOT_FOUND, changed since → SKIPPED_CHANGED), never one
 * created after the plan, and a plan is applied once. Harness: test/support/sweep-harness.ts.
 */
import { describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { applyPlan, readPlan, type PlanItem } from '../../lib/api/plans.ts';
import { refusal } from '../support/refusal.ts';
import { createBucket, createUpload, TABLE, type Upload } from '../support/workflow.ts';
import { allUploads, arns, deploy, doc, executionsOf, expectCountersEqualRecords, FAST, recordsOfSweep, runtime, s3, sweep } from '../support/sweep-harness.ts';

/** StartExecution into the harness's runtime: what the API's SFN client does on AWS */
const sfn = () =>
  ({ send: async (command: StartExecutionCommand) => runtime.startExecution(command.input as { stateMachineArn: string }) }) as unknown as SFNClient;
const applyDeps = () => ({ doc, tableName: TABLE, sfn: sfn(), sweepStateMachineArn: arns.sweepUploads, planMaxAgeSeconds: 7 * 86_400 });

async function wholePlan(id: string, limit: number) {
  const items: PlanItem[] = [];
  let cursor: string | undefined;
  let reads = 0;
  do {
    const page = await readPlan({ doc, tableName: TABLE }, id, { limit: String(limit), ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
    reads += 1;
  } while (cursor);
  return { items, reads };
}

describe('a dry run is a plan, applied exactly once', () => {
  it('lists the planned uploads; the apply aborts the idle ones, skips the changed, finds the gone NOT_FOUND, leaves a new upload alone; twice → 409', async () => {
    // Arrange: 60 uploads of two parts (5 + 6 bytes), pages of 10, lanes of about 20 (three lanes, six plan pages)
    await deploy({ ...FAST, SweepPageSize: 10, SweepLaneUploads: 20 });
    await createBucket(s3, 'plan-main');
    const planned: Upload[] = [];
    for (let i = 0; i < 60; i += 20) {
      planned.push(
        ...(await Promise.all(Array.from({ length: 20 }, (_, j) => createUpload(s3, 'plan-main', `plan/k-${String(i + j).padStart(3, '0')}`, [5, 6])))),
      );
    }
    const dry = await sweep('plan-dry-run', { targets: [{ bucket: 'plan-main', olderThan: '1d' }], dryRun: true });
    expect(dry.summary).toMatchObject({ status: 'COMPLETED', dryRun: true, wouldAbort: 60, bytesFound: 60 * 11 });
    expect(JSON.parse(dry.summary.targetResults!)[0].lanes).toBeGreaterThanOrEqual(3);

    // Act 1: review the plan, 25 uploads a read
    const plan = await wholePlan('plan-dry-run', 25);

    // Assert 1: exactly the 60 uploads, each once, with what the dry run measured
    expect(plan.reads).toBe(3);
    expect(plan.items.map((u) => u.uploadId).sort()).toEqual(planned.map((u) => u.uploadId).sort());
    for (const item of plan.items) {
      expect(item).toMatchObject({
        bucket: 'plan-main',
        parts: 2,
        bytes: 11,
        storageClass: 'STANDARD',
        initiated: expect.any(String),
        newestPart: expect.any(String),
      });
    }

    // Arrange 2: after the plan, out of band: a new upload, a part added to one planned upload, a part replaced (same
    // number, same size: only its LastModified tells) in another, a third aborted
    const [added, replaced, gone] = planned;
    const fresh = await createUpload(s3, 'plan-main', 'plan/k-000', [4]);
    await s3.send(new UploadPartCommand({ Bucket: 'plan-main', Key: added.key, UploadId: added.uploadId, PartNumber: 3, Body: Buffer.alloc(1, 7) }));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // LastModified has second precision
    await s3.send(new UploadPartCommand({ Bucket: 'plan-main', Key: replaced.key, UploadId: replaced.uploadId, PartNumber: 1, Body: Buffer.alloc(5, 7) }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'plan-main', Key: gone.key, UploadId: gone.uploadId }));

    // Act 2: apply the plan
    const since = new Date();
    const started = await applyPlan(applyDeps(), 'plan-dry-run');
    const execution = await runtime.waitForExecution(String(started.body.executionArn));

    // Assert 2: the 57 idle planned uploads ABORTED, the two changed SKIPPED_CHANGED and still there, the gone one
    // NOT_FOUND; the new upload never read, still listed
    expect(started).toMatchObject({ statusCode: 202, body: { planId: 'plan-dry-run', status: 'RUNNING' } });
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    const id = String(started.body.id);
    const { Item: summary } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id }, ConsistentRead: true }));
    const records = await recordsOfSweep(id);
    expect(summary).toMatchObject({ status: 'COMPLETED', dryRun: false, planId: 'plan-dry-run', found: 60, aborted: 57, notFound: 1, skippedChanged: 2 });
    expectCountersEqualRecords(summary!, records);
    const status = (u: Upload) => records.find((r) => r.uploadId === u.uploadId)?.status;
    expect([status(added), status(replaced), status(gone)]).toEqual(['SKIPPED_CHANGED', 'SKIPPED_CHANGED', 'NOT_FOUND']);
    expect(records.find((r) => r.uploadId === added.uploadId)?.cause).toMatch(/parts 2 → 3/);
    expect(records.find((r) => r.uploadId === replaced.uploadId)?.cause).toMatch(/a part written/);
    expect(records.filter((r) => r.status === 'ABORTED')).toHaveLength(57);
    expect(records.some((r) => r.uploadId === fresh.uploadId)).toBe(false);
    expect((await allUploads('plan-main')).map((u) => u.UploadId).sort()).toEqual([added.uploadId, replaced.uploadId, fresh.uploadId].sort());
    // the plan shows who applied it
    const { Item: dryRecord } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: 'plan-dry-run' }, ConsistentRead: true }));
    expect(dryRecord).toMatchObject({ appliedBy: id });
    expect((await readPlan({ doc, tableName: TABLE }, 'plan-dry-run', null)).appliedBy).toBe(id);

    // Act 3 / Assert 3: a second apply is refused and starts nothing; neither does an apply of a sweep that is not a dry run
    const before = (await executionsOf('sweepUploads', since)).length;
    expect(await refusal(applyPlan(applyDeps(), 'plan-dry-run'))).toMatchObject({
      status: 409,
      error: 'PlanAlreadyApplied',
      message: expect.stringContaining(id),
    });
    expect(await refusal(applyPlan(applyDeps(), id))).toMatchObject({ status: 409, error: 'NotADryRun' });
    expect(await refusal(applyPlan(applyDeps(), 'no-such-sweep'))).toMatchObject({ status: 404 });
    expect(await refusal(applyPlan(applyDeps(), 'bad id!'))).toMatchObject({ status: 400 });
    expect((await executionsOf('sweepUploads', since)).length).toBe(before);
  });

  it('refuses a plan older than SweepPlanMaxAge, and starts nothing', async () => {
    // Arrange
    await deploy(FAST);
    await createBucket(s3, 'plan-old');
    await createUpload(s3, 'plan-old', 'k', [3]);
    await sweep('plan-old-dry-run', { targets: [{ bucket: 'plan-old', olderThan: '1d' }], dryRun: true });
    const since = new Date();

    // Act
    const later = () => new Date(Date.now() + 3_600_000);
    const refused = await refusal(applyPlan({ ...applyDeps(), planMaxAgeSeconds: 1800, now: later }, 'plan-old-dry-run'));

    // Assert
    expect(refused).toMatchObject({ status: 409, error: 'PlanTooOld', message: expect.stringMatching(/older than SweepPlanMaxAge/) });
    expect(await executionsOf('sweepUploads', since)).toHaveLength(0);
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: 'plan-old-dry-run' }, ConsistentRead: true }));
    expect(Item?.appliedBy).toBeUndefined();
    expect(await allUploads('plan-old')).toHaveLength(1);
  });
});
