/**
 * The activity guard (lib/activity-guard.ts) with mocked clients: the window's rules (API and CLI), the sweep's list
 * step skipping uploads with a recent part (SKIPPED_ACTIVE) or unreadable parts (SKIPPED_UNREADABLE), the records and
 * counters of skipped uploads, and a single abort of an unreadable upload recorded ABORTED unverified.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ListMultipartUploadsCommand, ListPartsCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseWindow } from '../../lib/activity-guard.ts';
import { decideOutcome, type LoopState } from '../../lib/abort-run.ts';
import { listPage } from '../../lib/sweep/list.ts';
import { planSweepRun, validateSweepRequest } from '../../lib/sweep/plan.ts';
import { recordPage, writeRecord } from '../../lib/sweep/record.ts';
import type { AbortRecord } from '../../lib/records.ts';
import { DEFAULT_RUN_SETTINGS } from '../../lib/sweep/state.ts';
import { validateAbortRequest } from '../../lib/validation.ts';
import { deps, docMock, listEvent, resetMocks, s3Mock, state, uploads } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

const NOW = deps.now().getTime();
const minutesAgo = (m: number) => new Date(NOW - m * 60_000);
const denied = () => new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } });
const target = { bucket: 'data-a', olderThan: '1d' };

describe('the window (activeWithin, idleFor)', () => {
  it.each([
    ['0s', 0],
    ['15m', 900],
    ['7d', 604_800],
    ['6d23h59m60s', 604_800],
  ])('accepts %s as %i s', (text, seconds) => {
    expect(parseWindow(text)).toEqual({ seconds });
  });

  it.each(['7d1s', '8d', '15', '-1m', '', '1w', 15])('refuses %j, naming the range', (value) => {
    expect(parseWindow(value).rule).toMatch(/from 0s to 7d/);
  });

  it('names the field in a sweep request and an abort request', () => {
    expect(validateSweepRequest({ targets: [target], activeWithin: '8d' })).toEqual([{ field: 'activeWithin', rule: expect.stringMatching(/0s to 7d/) }]);
    expect(validateSweepRequest({ targets: [target], activityGuard: 'no' })).toEqual([{ field: 'activityGuard', rule: 'must be true or false' }]);
    expect(validateSweepRequest({ targets: [target], activityGuard: false, activeWithin: '1m' })[0].field).toBe('activeWithin');
    expect(validateSweepRequest({ targets: [target], activityGuard: true, activeWithin: '15m' })).toEqual([]);
    expect(validateAbortRequest({ bucket: 'data-a', key: 'k', uploadId: 'U', idleFor: '1y' })).toEqual([
      { field: 'idleFor', rule: expect.stringMatching(/0s to 7d/) },
    ]);
    expect(validateAbortRequest({ bucket: 'data-a', key: 'k', uploadId: 'U', idleFor: '15m' })).toEqual([]);
  });

  it("plans the request's window, 0 with the guard off, else the SweepActiveWithin setting", () => {
    const plan = (request: object) =>
      planSweepRun({
        request: { targets: [target], ...request },
        startTime: '2026-11-22T12:00:00Z',
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sweep:s-1',
        settings: { ...DEFAULT_RUN_SETTINGS, activeWithinSeconds: 3600 },
      }).sweep.activeWithinSeconds;
    expect(plan({})).toBe(3600);
    expect(plan({ activeWithin: '15m' })).toBe(900);
    expect(plan({ activityGuard: false })).toBe(0);
  });
});

describe('the sweep with the guard on', () => {
  it('skips an upload whose newest part over all its ListParts pages is in the window, aborts idle ones, skips unreadable ones', async () => {
    // Arrange: U0's newest part (5 minutes old) is on its second ListParts page; U1's parts are 2 hours old; U2 has
    // no part; S3 refuses U3's ListParts
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(4), IsTruncated: false });
    s3Mock
      .on(ListPartsCommand, { UploadId: 'U0', PartNumberMarker: undefined })
      .resolves({ Parts: [{ PartNumber: 1, Size: 5, LastModified: minutesAgo(120) }], IsTruncated: true, NextPartNumberMarker: '1' })
      .on(ListPartsCommand, { UploadId: 'U0', PartNumberMarker: '1' })
      .resolves({ Parts: [{ PartNumber: 2, Size: 7, LastModified: minutesAgo(5) }], IsTruncated: false })
      .on(ListPartsCommand, { UploadId: 'U1' })
      .resolves({ Parts: [{ PartNumber: 1, Size: 3, LastModified: minutesAgo(120) }], IsTruncated: false })
      .on(ListPartsCommand, { UploadId: 'U2' })
      .resolves({ Parts: [], IsTruncated: false })
      .on(ListPartsCommand, { UploadId: 'U3' })
      .rejects(denied());

    // Act: the sweep does not measure; the guard lists the parts anyway
    const { page } = await listPage(deps, listEvent(state({}, {}, { measure: false, activeWithinSeconds: 900 })));

    // Assert: measure off keeps the records without parts and bytes
    expect(page.uploads).toEqual([
      { k: 'k-001', u: 'U1' },
      { k: 'k-002', u: 'U2' },
    ]);
    expect(page.decided).toEqual([
      { k: 'k-000', u: 'U0', s: 'SKIPPED_ACTIVE', l: minutesAgo(5).toISOString() },
      { k: 'k-003', u: 'U3', s: 'SKIPPED_UNREADABLE', e: 'AccessDenied', h: 403 },
    ]);
  });

  it('without the guard and without the measure sends no ListParts; unguarded, an unreadable upload is aborted', async () => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(2), IsTruncated: false });
    s3Mock.on(ListPartsCommand).rejects(denied());

    // Act
    const lean = await listPage(deps, listEvent(state({}, {}, { measure: false, activeWithinSeconds: 0 })));
    const calls = s3Mock.commandCalls(ListPartsCommand).length;
    const measured = await listPage(deps, listEvent(state({}, {}, { measure: true, activeWithinSeconds: 0 })));

    // Assert
    expect(calls).toBe(0);
    expect(lean.page.uploads).toHaveLength(2);
    expect(measured.page.uploads).toEqual([
      { k: 'k-000', u: 'U0' },
      { k: 'k-001', u: 'U1' },
    ]);
    expect(measured.page.decided).toEqual([]);
  });

  it('records skipped uploads with their newest part or the grant to add, counted apart: found = the sum of every counter', async () => {
    // Arrange
    const lastPartAt = minutesAgo(5).toISOString();
    const page = {
      listedAt: '2026-11-22T11:59:00.000Z',
      waitSeconds: 5,
      uploads: [{ k: 'k-2', u: 'U2', p: 1, b: 10 }],
      decided: [
        { k: 'k-0', u: 'U0', p: 2, b: 12, s: 'SKIPPED_ACTIVE' as const, l: lastPartAt },
        { k: 'k-1', u: 'U1', s: 'SKIPPED_UNREADABLE' as const, e: 'AccessDenied', h: 403 },
      ],
      listed: 3,
      busy: 0,
      cursor: { keyMarker: 'k-2', uploadIdMarker: 'U2' },
      last: true,
      truncated: false,
    };

    // Act
    const { state: after } = await recordPage(deps, {
      action: 'page',
      state: state({}, {}, { measure: true, activeWithinSeconds: 900 }),
      parent: 'target-exec',
      page,
      answers: { aborted: ['sent'], verified: { answers: ['gone'], kinds: ['gone'] } },
      runStartedAt: '2026-11-22T11:59:30Z',
    });

    // Assert
    const t = after.totals;
    expect(t).toMatchObject({ found: 3, aborted: 1, skippedActive: 1, skippedUnreadable: 1 });
    expect(t.found).toBe(t.aborted + t.notFound + t.partsRemain + t.failed + t.wouldAbort + t.busy + t.skippedActive + t.skippedUnreadable);
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ key: 'k-0', status: 'SKIPPED_ACTIVE', lastPartAt, partsFound: 2, cause: expect.stringContaining(lastPartAt) }),
    });
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ key: 'k-1', status: 'SKIPPED_UNREADABLE', error: 'AccessDenied', cause: expect.stringMatching(/kms:Decrypt/) }),
    });
    // a later run replaces a skipped record (it is a finding, not an outcome): read, then written while unchanged
    const skipped = docMock.commandCalls(PutCommand)[0].args[0].input.Item as AbortRecord;
    docMock.reset();
    docMock
      .on(PutCommand)
      .rejectsOnce(Object.assign(new Error('refused'), { name: 'ConditionalCheckFailedException' }))
      .resolves({});
    docMock.on(GetCommand).resolves({ Item: { ...skipped, executionArn: 'arn:earlier-sweep', startedAt: '2026-11-22T10:00:00Z' } });
    const later = { ...skipped, status: 'ABORTED' as const, cause: undefined, startedAt: '2026-11-22T12:00:00Z' };
    expect(await writeRecord(deps, later)).toMatchObject({ aborted: 1 });
    expect(docMock.commandCalls(PutCommand)[1].args[0].input).toMatchObject({
      Item: { status: 'ABORTED', history: [expect.objectContaining({ status: 'SKIPPED_ACTIVE' })] },
      ExpressionAttributeValues: { ':readStatus': 'SKIPPED_ACTIVE', ':readArn': 'arn:earlier-sweep' },
    });
  });
});

describe('a single abort of an upload S3 will not list (SSE-KMS without kms:Decrypt)', () => {
  const loop = (fields: Partial<LoopState>): LoopState => ({
    run: { id: 'id-1', bucket: 'data-lake', key: 'k', uploadId: 'u', trigger: 'api', executionArn: 'arn:run', startedAt: '2026-11-20T10:00:00.000Z' },
    s3: { Bucket: 'data-lake', Key: 'k', UploadId: 'u', ExpectedBucketOwner: '111122223333' },
    variant: 'plain',
    next: 'abort',
    measure: { parts: 0, bytes: 0 },
    loop: { attempt: 0, waitSeconds: 5 },
    waits: [5],
    lastAttempt: 0,
    ...fields,
  });
  const deniedCheck = { Error: 'S3.S3Exception', Cause: 'Access Denied (Service: S3, Status Code: 403, Request ID: R)' };

  it('is ABORTED unverified, with the reason, when the abort was sent and the check was refused', () => {
    const outcome = decideOutcome(loop({ unreadable: 'grant kms:Decrypt', abortAnswer: {}, failure: deniedCheck }));
    expect(outcome).toEqual({ status: 'ABORTED', attempts: 1, verified: false, cause: 'grant kms:Decrypt' });
  });

  it('is FAILED when the abort itself failed, and for a readable upload a refused check stays FAILED', () => {
    const refusedAbort = { Error: 'S3.S3Exception', Cause: 'Access Denied (Service: S3, Status Code: 403, Request ID: R)' };
    expect(decideOutcome(loop({ unreadable: 'x', abortAnswer: refusedAbort, failure: deniedCheck })).status).toBe('FAILED');
    expect(decideOutcome(loop({ abortAnswer: {}, failure: deniedCheck })).status).toBe('FAILED');
  });
});
