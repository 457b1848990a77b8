/**
 * A dry run's plan and its apply, with mocked clients: what changes a planned upload (lib/sweep/apply.ts), where an
 * applying sweep's pages come from (never a listing), the plan pages a dry run writes (lib/sweep/plan-pages.ts), and the
 * apply API's refusals (lib/api/plans.ts): nothing starts on any of them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { planChange } from '../../lib/sweep/apply.ts';
import { listPage } from '../../lib/sweep/list.ts';
import { planPageId, writePlanPage } from '../../lib/sweep/plan-pages.ts';
import { planSweepRun, validateSweepRequest } from '../../lib/sweep/plan.ts';
import { DEFAULT_RUN_SETTINGS } from '../../lib/sweep/state.ts';
import { applyPlan, PLAN_RESPONSE_BYTES, readPlan } from '../../lib/api/plans.ts';
import { requestSweep } from '../../lib/api/sweeps.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import type { HttpError } from '../../lib/http/errors.ts';
import { refusal } from '../support/refusal.ts';
import { doc } from '../support/doc-mock.ts';
import { deps, docMock, listEvent, resetMocks, s3Mock, state } from '../support/sweep-steps.ts';
import { checkpointId } from '../../lib/sweep/state.ts';

const sfnMock = mockClient(SFNClient);
const DRY_RUN = {
  id: 'sweep-dry',
  recordType: 'sweep',
  status: 'COMPLETED',
  dryRun: true,
  startedAt: '2026-11-22T11:00:00.000Z',
  wouldAbort: 2,
  targets: JSON.stringify([{ index: 0, bucket: 'data-a', prefix: 'logs/', olderThan: '1d', expectedBucketOwner: '111122223333', maxUploads: 5000 }]),
  targetResults: JSON.stringify([{ bucket: 'data-a', lanes: 2 }]),
};
const applyDeps = {
  doc,
  tableName: 'records',
  sfn: new SFNClient({ region: 'us-east-1' }),
  sweepStateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:sweep',
  planMaxAgeSeconds: 7 * 86_400,
  now: () => new Date('2026-11-22T12:00:00Z'),
};

beforeEach(() => {
  resetMocks();
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
});

describe('planChange', () => {
  const planned = { k: 'k', u: 'U', p: 2, b: 11, t: '2026-11-22T10:00:00.000Z' };
  it('sees nothing when parts, bytes and the newest part are as planned', () => {
    expect(planChange(planned, { exists: true, parts: 2, bytes: 11, lastPartAt: '2026-11-22T10:00:00.000Z' })).toBeUndefined();
  });
  it.each([
    ['a part added', { parts: 3, bytes: 12, lastPartAt: '2026-11-22T10:05:00.000Z' }, /parts 2 → 3/],
    ['a part replaced (same size: only its time tells)', { parts: 2, bytes: 11, lastPartAt: '2026-11-22T10:00:01.000Z' }, /a part written 2026-11-22T10:00:01/],
    ['a part removed', { parts: 1, bytes: 5, lastPartAt: '2026-11-22T09:00:00.000Z' }, /parts 2 → 1, bytes 11 → 5/],
  ])('sees %s', (_, now, reason) => {
    expect(planChange(planned, { exists: true, ...now })).toMatch(reason);
  });
  it('sees the first part of an upload planned without parts', () => {
    expect(planChange({ k: 'k', u: 'U', p: 0, b: 0 }, { exists: true, parts: 1, bytes: 1, lastPartAt: '2026-11-22T10:00:00.000Z' })).toMatch(/parts 0 → 1/);
  });
});

describe("an applying sweep's page", () => {
  const applying = (overrides = {}) =>
    state({ lane: { target: 0, lane: 1, after: '', limit: 5000, planPages: 2 }, planPage: 1, ...overrides }, {}, { planId: 'sweep-dry', measure: true });

  it('is the lane next plan page, each upload measured again: changed → SKIPPED_CHANGED, gone → NOT_FOUND, the rest to abort; never a listing', async () => {
    // Arrange
    const uploads = [
      { k: 'a', u: 'UA', p: 1, b: 5, t: '2026-11-22T10:00:00.000Z' },
      { k: 'b', u: 'UB', p: 1, b: 5, t: '2026-11-22T10:00:00.000Z' },
      { k: 'c', u: 'UC', p: 1, b: 5, t: '2026-11-22T10:00:00.000Z' },
    ];
    docMock.on(GetCommand, { Key: { id: planPageId('sweep-dry', 0, 1, 1) } }).resolves({
      Item: { id: planPageId('sweep-dry', 0, 1, 1), bucket: 'data-a', measuredAt: '2026-11-22T11:00:00.000Z', uploads: JSON.stringify(uploads) },
    });
    const part = (at: string) => ({ Parts: [{ PartNumber: 1, Size: 5, LastModified: new Date(at) }], IsTruncated: false });
    s3Mock.on(ListPartsCommand, { UploadId: 'UA' }).resolves(part('2026-11-22T10:00:00.000Z'));
    s3Mock.on(ListPartsCommand, { UploadId: 'UB' }).resolves(part('2026-11-22T11:30:00.000Z'));
    s3Mock.on(ListPartsCommand, { UploadId: 'UC' }).rejects(Object.assign(new Error('gone'), { name: 'NoSuchUpload' }));

    // Act
    const { page, next } = await listPage(deps, listEvent(applying()));

    // Assert
    expect(next).toBe('abort');
    expect(page).toMatchObject({ listed: 3, last: true, planPage: 2, uploads: [{ k: 'a', u: 'UA', p: 1, b: 5 }] });
    expect(page.decided).toMatchObject([
      { u: 'UB', s: 'SKIPPED_CHANGED', why: expect.stringMatching(/a part written/) },
      { u: 'UC', s: 'NOT_FOUND' },
    ]);
    expect(s3Mock).not.toHaveReceivedCommand(ListMultipartUploadsCommand);
  });

  it('ends the lane after its last plan page', async () => {
    const { page, next } = await listPage(deps, listEvent(applying({ planPage: 2 })));
    expect(next).toBe('record');
    expect(page).toMatchObject({ listed: 0, last: true, uploads: [], decided: [] });
    expect(s3Mock).not.toHaveReceivedCommand(ListMultipartUploadsCommand);
  });

  it('fails the lane, and lists nothing, when it does not come from the plan (a walk that failed gives a whole-target lane)', async () => {
    const { page } = await listPage(deps, listEvent(applying({ lane: { target: 0, lane: 0, after: '', limit: 5000 } })));
    expect(page).toMatchObject({ last: true, uploads: [], error: { error: 'PlanLanesUnknown' } });
    expect(s3Mock).not.toHaveReceivedCommand(ListMultipartUploadsCommand);
    expect(s3Mock).not.toHaveReceivedCommand(ListPartsCommand);
  });
});

describe('writePlanPage', () => {
  it("writes the lane's next page with the planned uploads, compacted, and counts it; a page without any writes nothing", async () => {
    const s = state({ lane: { target: 0, lane: 3, after: 'x', limit: 10 }, planPages: 4 }, {}, { dryRun: true, measure: true });
    const items = [{ k: 'a', u: 'UA', p: 2, b: 11, i: '2026-11-01T00:00:00.000Z', c: 'STANDARD', t: '2026-11-02T00:00:00.000Z' }];

    expect(await writePlanPage(deps, s, '2026-11-22T11:00:05.000Z', items)).toBe(5);
    expect(await writePlanPage(deps, s, '2026-11-22T11:00:05.000Z', [])).toBe(4);

    expect(docMock).toHaveReceivedCommandTimes(PutCommand, 1);
    const { Item } = docMock.commandCalls(PutCommand)[0].args[0].input;
    expect(Item).toMatchObject({ id: 'plan#sweep-1#0#3#4', planOf: 'sweep-1', bucket: 'data-a', lane: 3, page: 4, count: 1 });
    expect(JSON.parse(Item!.uploads)).toEqual(items);
  });
});

describe('a sweep request', () => {
  it('takes planId only as a sweep id, not in a dry run', () => {
    const targets = [{ bucket: 'data-a', olderThan: '1d' }];
    expect(validateSweepRequest({ targets, planId: 'sweep-dry' })).toEqual([]);
    expect(validateSweepRequest({ targets, planId: 'no spaces' })).toMatchObject([{ field: 'planId' }]);
    expect(validateSweepRequest({ targets, planId: 'sweep-dry', dryRun: true })).toMatchObject([{ field: 'planId' }]);
  });

  it("keeps a dry run's record and plan for SweepPlanMaxAge when the records' retention is shorter; an apply's sweep names its plan", () => {
    const run = (request: object) =>
      planSweepRun({
        request,
        startTime: '2026-11-22T12:00:00Z',
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sweep-uploads:sweep-2',
        settings: { ...DEFAULT_RUN_SETTINGS, retentionSeconds: 86_400, planMaxAgeSeconds: 7 * 86_400 },
      });
    const start = Date.parse('2026-11-22T12:00:00Z') / 1000;
    const targets = [{ bucket: 'data-a', olderThan: '1d' }];
    expect(run({ targets, dryRun: true })).toMatchObject({ expiresAt: start + 7 * 86_400, planId: '' });
    expect(run({ targets })).toMatchObject({ expiresAt: start + 86_400 });
    expect(run({ targets, planId: 'sweep-dry' })).toMatchObject({ planId: 'sweep-dry', sweep: { planId: 'sweep-dry', measure: true, dryRun: false } });
  });

  it('POST /sweeps refuses a planId (a plan is applied through its own route, with its checks), and starts nothing', async () => {
    const sweepDeps = { ...applyDeps, allowlist: parseAllowlist('*') };
    const refused = await refusal(requestSweep(sweepDeps, { targets: [{ bucket: 'data-a', olderThan: '1d' }], planId: 'sweep-dry' }));
    expect(refused).toMatchObject({ status: 400, message: expect.stringMatching(/^planId:/) });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('POST /sweeps/{id}/apply', () => {
  it("claims the dry run, then starts the sweep that applies it with the dry run's targets", async () => {
    docMock.on(GetCommand).resolves({ Item: DRY_RUN });
    docMock.on(UpdateCommand).resolves({});

    const { statusCode, body } = await applyPlan(applyDeps, 'sweep-dry');

    expect(statusCode).toBe(202);
    expect(body).toMatchObject({ planId: 'sweep-dry', status: 'RUNNING', links: { plan: '/sweeps/sweep-dry/plan' } });
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'sweep-dry' },
      ConditionExpression: 'attribute_not_exists(#appliedBy) AND #dryRun = :true',
      ExpressionAttributeValues: expect.objectContaining({ ':sweep': body.id }),
    });
    const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!);
    expect(input).toEqual({
      targets: [{ bucket: 'data-a', prefix: 'logs/', olderThan: '1d', expectedBucketOwner: '111122223333' }],
      maxUploads: 5000,
      planId: 'sweep-dry',
      // the dry run chose the uploads (past the minimum age, or forced): the apply does not ask the age again
      force: true,
      trigger: 'api',
    });
    const { trigger: _trigger, ...request } = input;
    expect(validateSweepRequest(request)).toEqual([]);
  });

  it.each([
    ['a malformed id', 'bad id', undefined, 400, 'ValidationError'],
    ['an unknown id', 'sweep-none', undefined, 404, 'NotFound'],
    ['an upload record', 'sweep-dry', { ...DRY_RUN, recordType: 'upload' }, 404, 'NotFound'],
    ['a sweep that is not a dry run', 'sweep-dry', { ...DRY_RUN, dryRun: false }, 409, 'NotADryRun'],
    ['a dry run still running', 'sweep-dry', { ...DRY_RUN, status: 'RUNNING' }, 409, 'DryRunNotFinished'],
    ['a dry run whose request was invalid', 'sweep-dry', { ...DRY_RUN, status: 'FAILED' }, 409, 'NoPlan'],
    ['a plan applied already', 'sweep-dry', { ...DRY_RUN, appliedBy: 'sweep-other' }, 409, 'PlanAlreadyApplied'],
    ['a plan older than SweepPlanMaxAge', 'sweep-dry', { ...DRY_RUN, startedAt: '2026-11-14T11:00:00.000Z' }, 409, 'PlanTooOld'],
  ])('refuses %s and starts nothing', async (_, id, item, status, error) => {
    docMock.on(GetCommand).resolves({ Item: item });
    expect(await refusal(applyPlan(applyDeps, id))).toMatchObject({ status, error });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('refuses (400) a body with fields, before reading anything; takes {} or none', async () => {
    docMock.on(GetCommand).resolves({ Item: DRY_RUN });
    docMock.on(UpdateCommand).resolves({});
    expect(await refusal(applyPlan(applyDeps, 'sweep-dry', 'api', '{"force":true}'))).toMatchObject({ status: 400, message: expect.stringMatching(/^body:/) });
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
    expect((await applyPlan(applyDeps, 'sweep-dry', 'api', ' { } ')).statusCode).toBe(202);
  });

  it('refuses (409) the loser of two applies at once, naming the winner, and starts nothing', async () => {
    docMock
      .on(GetCommand)
      .resolvesOnce({ Item: DRY_RUN })
      .resolves({ Item: { ...DRY_RUN, appliedBy: 'sweep-winner' } });
    docMock.on(UpdateCommand).rejects(Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }));
    expect(await refusal(applyPlan(applyDeps, 'sweep-dry'))).toMatchObject({ status: 409, message: expect.stringContaining('sweep-winner') });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('gives the claim back when the sweep could not start', async () => {
    docMock.on(GetCommand).resolves({ Item: DRY_RUN });
    docMock.on(UpdateCommand).resolves({});
    sfnMock.on(StartExecutionCommand).rejects(new Error('throttled'));
    await expect(applyPlan(applyDeps, 'sweep-dry')).rejects.toThrow('throttled');
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE #appliedBy, #appliedAt', ConditionExpression: '#appliedBy = :sweep' });
  });

  it('refuses (403) a plan whose bucket left the allowlist', async () => {
    docMock.on(GetCommand).resolves({ Item: DRY_RUN });
    expect(await refusal(applyPlan({ ...applyDeps, allowlist: parseAllowlist('other-*') }, 'sweep-dry'))).toMatchObject({ status: 403 });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('GET /sweeps/{id}/plan', () => {
  it.each([
    ['a cursor that is not one', { cursor: 'bm9wZQ' }, 'cursor'],
    ['a cursor with a negative offset', { cursor: Buffer.from(JSON.stringify({ l: 0, n: 0, o: -1 })).toString('base64url') }, 'cursor'],
    ['a limit past 1,000', { limit: '1001' }, 'limit'],
    ['an unknown parameter', { status: 'RUNNING' }, 'status'],
  ])('answers 400 for %s', async (_, query, field) => {
    docMock.on(GetCommand).resolves({ Item: DRY_RUN });
    docMock.on(BatchGetCommand).resolves({ Responses: { records: [] } });
    const error = (await readPlan({ doc, tableName: 'records' }, 'sweep-dry', query).catch((e: unknown) => e)) as HttpError;
    expect(error.statusCode).toBe(400);
    expect(error.body.field).toBe(field);
  });
});

describe('GET /sweeps/{id}/plan, its size', () => {
  it('stops a page of long keys before PLAN_RESPONSE_BYTES (Lambda answers 6 MB at most); the cursor goes on from there, nothing twice', async () => {
    // Arrange: one plan page of 1,000 uploads with 5,000-byte keys (~5 MB of JSON)
    const uploads = Array.from({ length: 1000 }, (_, i) => ({ k: `${String(i).padStart(4, '0')}${'x'.repeat(5000)}`, u: `U${i}`, p: 1, b: 1 }));
    docMock.on(GetCommand, { Key: { id: 'sweep-dry' } }).resolves({ Item: { ...DRY_RUN, targetResults: JSON.stringify([{ lanes: 1 }]) } });
    docMock
      .on(GetCommand, { Key: { id: planPageId('sweep-dry', 0, 0, 0) } })
      .resolves({ Item: { bucket: 'data-a', measuredAt: 'm', uploads: JSON.stringify(uploads) } });
    docMock.on(BatchGetCommand).resolves({ Responses: { records: [{ id: checkpointId('sweep-dry', 0), planPages: 1 }] } });

    // Act
    const first = await readPlan({ doc, tableName: 'records' }, 'sweep-dry', { limit: '1000' });
    const second = await readPlan({ doc, tableName: 'records' }, 'sweep-dry', { limit: '1000', cursor: first.cursor });

    // Assert
    expect(Buffer.byteLength(JSON.stringify(first.items))).toBeLessThanOrEqual(PLAN_RESPONSE_BYTES);
    expect(first.items.length).toBeLessThan(1000);
    expect(second.cursor).toBeUndefined();
    expect([...first.items, ...second.items].map((item) => item.uploadId)).toEqual(uploads.map((u) => u.u));
  });
});
