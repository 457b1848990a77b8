/**
 * lib/abort-run.ts with mocked S3 and DynamoDB clients: what prepareRun measures (exact totals over ListParts pages,
 * the initiation time, the idle guard) and the outcome it decides from it (NOT_FOUND, WOULD_ABORT, FAILED, skipped,
 * transient errors thrown for Step Functions to retry, the abort variant).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { HeadObjectCommand, ListPartsCommand, NoSuchUpload, NotFound } from '@aws-sdk/client-s3';
import { GONE_BEFORE_MEASURE, prepareRun } from '../../lib/abort-run.ts';
import { runInput } from '../../lib/validation.ts';
import { UPLOAD, deps, event, resetMocks, s3Error, s3Mock } from '../support/abort-run-mocks.ts';

beforeEach(resetMocks);

describe('prepareRun', () => {
  it('records NOT_FOUND without an abort when ListParts answers NoSuchUpload', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'The specified upload does not exist.', $metadata: { httpStatusCode: 404 } }));

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'event')));

    // Assert
    expect(prepared).toMatchObject({ next: 'record', outcome: { status: 'NOT_FOUND', cause: GONE_BEFORE_MEASURE }, measure: { parts: 0, bytes: 0 } });
    expect(GONE_BEFORE_MEASURE).toMatch(/before any abort of this run/);
    expect(s3Mock).not.toHaveReceivedCommand(HeadObjectCommand);
  });

  const INITIATED = '2026-11-20T04:00:00Z';
  it.each([
    [
      'an object written after the upload began',
      { LastModified: new Date('2026-11-20T09:00:00Z') },
      INITIATED,
      'COMPLETED_BEFORE_DEADLINE',
      /at or after the upload was initiated/,
    ],
    [
      'an object written in the second the upload began',
      { LastModified: new Date('2026-11-20T04:00:00Z') },
      '2026-11-20T04:00:00.700Z',
      'COMPLETED_BEFORE_DEADLINE',
      /at or after/,
    ],
    [
      'an object older than the upload',
      { LastModified: new Date('2026-11-19T09:00:00Z') },
      INITIATED,
      'NOT_FOUND',
      /before the upload was initiated .*not the upload's/,
    ],
    [
      'an object, but no initiation time given',
      { LastModified: new Date('2026-11-20T09:00:00Z') },
      undefined,
      'NOT_FOUND',
      /without the upload's initiation time/,
    ],
    ['no object (404)', new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } }), INITIATED, 'NOT_FOUND', /No object is at the key/],
  ])('tells a deadline run with no upload apart by HeadObject: %s → %s', async (_, head, initiated, status, cause) => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    if (head instanceof Error) s3Mock.on(HeadObjectCommand).rejects(head);
    else s3Mock.on(HeadObjectCommand).resolves(head);

    // Act
    const prepared = await prepareRun(deps(), event({ ...runInput(UPLOAD, 'deadline'), ...(initiated ? { initiated } : {}) }));

    // Assert
    expect(prepared.outcome).toEqual({ status, cause: expect.stringMatching(cause) });
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'data-lake', Key: 'a/b.bin', ExpectedBucketOwner: '111122223333' });
  });

  it('refuses an initiation time that is no ISO-8601 time: InvalidRequest naming initiated', async () => {
    await expect(prepareRun(deps(), event({ ...runInput(UPLOAD, 'deadline'), initiated: 'yesterday' }))).rejects.toThrow(/initiated: must be an ISO-8601 time/);
  });

  it('never sends an IfMatchInitiatedTime abort for an upload the measure did not find: NOT_FOUND (S3 would answer 204 to it)', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    const directory = { bucket: 'data--use1-az4--x-s3', key: 'k', uploadId: 'u', ifMatchInitiatedTime: '2026-11-20T10:00:00Z' };

    // Act
    const prepared = await prepareRun(deps(), event(runInput(directory, 'api')));

    // Assert
    expect(prepared).toMatchObject({ variant: 'ifInitiated', next: 'record', outcome: { status: 'NOT_FOUND', cause: GONE_BEFORE_MEASURE } });
  });

  it('measures a dry run and aborts nothing: WOULD_ABORT', async () => {
    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'cli', { dryRun: true })));

    // Assert
    expect(prepared).toMatchObject({ next: 'record', outcome: { status: 'WOULD_ABORT' }, measure: { parts: 2, bytes: 12 } });
  });

  it("records FAILED with S3's code when S3 refuses the measure (404 NoSuchBucket): retrying cannot help", async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'));

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'api')));

    // Assert
    expect(prepared).toMatchObject({
      next: 'record',
      outcome: { status: 'FAILED', error: 'NoSuchBucket', cause: expect.stringMatching(/^The specified bucket does not exist .*404/) },
    });
  });

  it('aborts an upload whose ListParts S3 refuses (403, e.g. SSE-KMS without kms:Decrypt), saying what to grant', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));

    // Act
    const prepared = await prepareRun(deps(), event(runInput(UPLOAD, 'api')));

    // Assert: no outcome yet, the loop aborts it; the reason names kms:Decrypt through S3
    expect(prepared.next).toBe('abort');
    expect(prepared.outcome).toBeUndefined();
    expect(prepared.unreadable).toMatch(/AccessDenied.*kms:Decrypt.*kms:ViaService = s3\.[a-z0-9-]+\.amazonaws\.com/);
  });

  it('with idleFor, skips an upload whose ListParts S3 refuses (SKIPPED_UNREADABLE): the guard cannot see its parts', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));

    // Act
    const prepared = await prepareRun(deps(), event(runInput({ ...UPLOAD, idleFor: '15m' }, 'api')));

    // Assert
    expect(prepared).toMatchObject({
      next: 'record',
      outcome: { status: 'SKIPPED_UNREADABLE', error: 'AccessDenied', cause: expect.stringMatching(/kms:Decrypt/) },
    });
  });

  it('with idleFor, skips an upload whose newest part (over every ListParts page) is within the window, and aborts an idle one', async () => {
    // Arrange: two pages of parts; the newest part is on the second page, 5 minutes old
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
    s3Mock
      .on(ListPartsCommand, { PartNumberMarker: undefined })
      .resolves({ Parts: [{ PartNumber: 1, Size: 5, LastModified: at(60) }], IsTruncated: true, NextPartNumberMarker: '1' })
      .on(ListPartsCommand, { PartNumberMarker: '1' })
      .resolves({ Parts: [{ PartNumber: 2, Size: 7, LastModified: at(5) }], IsTruncated: false });

    // Act
    const active = await prepareRun(deps(), event(runInput({ ...UPLOAD, idleFor: '15m' }, 'api')));
    const idle = await prepareRun(deps(), event(runInput({ ...UPLOAD, idleFor: '4m' }, 'api')));
    const unguarded = await prepareRun(deps(), event(runInput(UPLOAD, 'api')));

    // Assert
    const lastPartAt = at(5).toISOString();
    expect(active).toMatchObject({ next: 'record', lastPartAt, measure: { parts: 2, bytes: 12 }, outcome: { status: 'SKIPPED_ACTIVE' } });
    expect(active.outcome?.cause).toContain(lastPartAt);
    expect(idle).toMatchObject({ next: 'abort', lastPartAt });
    expect(unguarded).toMatchObject({ next: 'abort', lastPartAt });
  });

  it.each([
    ['503 SlowDown', s3Error('SlowDown', 503)],
    ['500 InternalError', s3Error('InternalError', 500)],
    ['a reset connection (no HTTP status)', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 3 } })],
    ['throttling on a 4xx', s3Error('SlowDown', 400)],
  ])('throws a transient measure error (%s) so that Step Functions retries the state', async (_, error) => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(error);

    // Act / Assert
    await expect(prepareRun(deps(), event(runInput(UPLOAD, 'api')))).rejects.toBe(error);
  });

  it.each([
    [
      { ...UPLOAD, requestPayer: 'requester' as const, expectedBucketOwner: '444455556666' },
      'requesterPays',
      { RequestPayer: 'requester', ExpectedBucketOwner: '444455556666' },
    ],
    [
      { ...UPLOAD, bucket: 'data--use1-az4--x-s3', ifMatchInitiatedTime: '2026-11-20T10:00:00Z' },
      'ifInitiated',
      { IfMatchInitiatedTime: '2026-11-20T10:00:00Z' },
    ],
  ])('picks the abort variant that sends the optional parameters: %j → %s', async (request, variant, parameters) => {
    // Act
    const prepared = await prepareRun(deps(), event(runInput(request, 'api')));

    // Assert
    expect(prepared.variant).toBe(variant);
    expect(prepared.s3).toMatchObject(parameters);
    expect(s3Mock.commandCalls(ListPartsCommand)[0].args[0].input).not.toHaveProperty('IfMatchInitiatedTime');
  });
});
