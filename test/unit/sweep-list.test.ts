/** "List a page" of a sweep target (lib/sweep/list.ts), with mocked clients: what it selects and where it cuts. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ListMultipartUploadsCommand, ListPartsCommand, NoSuchUpload, S3ServiceException } from '@aws-sdk/client-s3';
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { listPage } from '../../lib/sweep/list.ts';
import { recordId } from '../../lib/record-id.ts';
import { deps, docMock, listEvent, OLD, s3Mock, state, SWEEP_ARN, resetMocks, uploads, YOUNG } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

describe('listPage', () => {
  it('keeps the uploads initiated before the cutoff, counts every one listed, and moves nothing yet', async () => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [...uploads(3), ...uploads(2, YOUNG, 3)], IsTruncated: false });

    // Act
    const { page, next, state: after } = await listPage(deps, listEvent(state()));

    // Assert
    expect(next).toBe('abort');
    expect(page).toMatchObject({
      listed: 5,
      busy: 0,
      last: true,
      uploads: [
        { k: 'k-000', u: 'U0' },
        { k: 'k-001', u: 'U1' },
        { k: 'k-002', u: 'U2' },
      ],
      cursor: { keyMarker: 'k-004', uploadIdMarker: 'U4' },
    });
    expect(after.cursor).toEqual({ keyMarker: '', uploadIdMarker: '' });
    expect(after.slice).toMatchObject({ run: 'run-2', events: 22 });
    expect(s3Mock).toHaveReceivedCommandWith(ListMultipartUploadsCommand, { Bucket: 'data-a', MaxUploads: 1000, ExpectedBucketOwner: '111122223333' });
  });

  it('cuts the page where the byte budget ends, the cursor after the last upload it took', async () => {
    // Arrange: 2,000 bytes of keys each, a budget for a few
    s3Mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: uploads(50).map((u) => ({ ...u, Key: `${u.Key}/${'x'.repeat(2000)}` })),
      IsTruncated: true,
      NextKeyMarker: 'zzz',
      NextUploadIdMarker: 'Z',
    });
    const s = state({}, { pageBytes: 12_000 });

    // Act
    const { page } = await listPage(deps, listEvent(s));

    // Assert
    expect(page.uploads.length).toBeGreaterThan(1);
    expect(page.uploads.length).toBeLessThan(10);
    expect(page.cursor).toEqual({ keyMarker: page.uploads.at(-1)!.k, uploadIdMarker: page.uploads.at(-1)!.u });
    expect(page.last).toBe(false);
  });

  it('pages a listing that ignored MaxUploads and the markers (moto_server) as S3 does', async () => {
    // Arrange: the whole listing, whatever was asked
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(30).reverse(), IsTruncated: false });

    // Act
    const { page } = await listPage(deps, listEvent(state({ cursor: { keyMarker: 'k-009', uploadIdMarker: 'U9' } }, { pageUploads: 10 })));

    // Assert
    expect(page.uploads.map((u) => u.k)).toEqual(uploads(10, OLD, 10).map((u) => u.Key));
    expect(page.cursor).toEqual({ keyMarker: 'k-019', uploadIdMarker: 'U19' });
  });

  it('orders an unsorted answer by key in UTF-8 byte order (as S3 does), so a cut page goes on after its last upload', async () => {
    // Arrange: U+FFFF sorts before U+1F600 in UTF-8, after it in UTF-16
    const keys = ['b', 'a\u{1F600}', 'a\uFFFF', 'c'];
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: keys.map((Key, i) => ({ Key, UploadId: `U${i}`, Initiated: OLD })), IsTruncated: false });

    // Act
    const { page } = await listPage(deps, listEvent(state({}, { pageUploads: 2 })));

    // Assert
    expect(page.uploads.map((u) => u.k)).toEqual(['a\uFFFF', 'a\u{1F600}']);
    expect(page).toMatchObject({ cursor: { keyMarker: 'a\u{1F600}', uploadIdMarker: 'U1' }, last: false });
  });

  it('starts no page once the sweep is cancelled: the lane ends, nothing listed', async () => {
    // Arrange
    docMock.on(GetCommand, { Key: { id: 'sweep-1' } }).resolves({ Item: { status: 'CANCELLED' } });

    // Act
    const result = await listPage(deps, listEvent(state()));

    // Assert
    expect(result).toMatchObject({ next: 'end', state: { done: true } });
    expect(s3Mock).not.toHaveReceivedCommand(ListMultipartUploadsCommand);
  });

  it('leaves the uploads whose record another run holds RUNNING (byStatusShard index, every shard), counted busy', async () => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(4), IsTruncated: false });
    docMock.on(QueryCommand).resolves({ Items: [{ id: recordId('data-a', 'k-001', 'U1') }, { id: 'another-bucket-s' }], ScannedCount: 2 });

    // Act
    const { page } = await listPage(deps, listEvent(state()));

    // Assert
    expect(page.busy).toBe(1);
    expect(page.uploads.map((u) => u.u)).toEqual(['U0', 'U2', 'U3']);
    expect(docMock).toHaveReceivedCommandTimes(QueryCommand, 16);
    for (const shard of ['00', '15']) {
      expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
        IndexName: 'byStatusShard',
        ExpressionAttributeValues: { ':running': `RUNNING#${shard}`, ':bucket': 'data-a', ':mine': SWEEP_ARN },
      });
    }
    expect(docMock).not.toHaveReceivedCommand(BatchGetCommand);
  });

  it("reads the page's own records instead when more records are RUNNING than the page has uploads", async () => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(2), IsTruncated: false });
    docMock.on(QueryCommand).resolves({ Items: [], ScannedCount: 3, LastEvaluatedKey: { id: 'x' } });
    docMock.on(BatchGetCommand).resolves({ Responses: { records: [{ id: recordId('data-a', 'k-000', 'U0'), status: 'RUNNING', executionArn: 'other' }] } });

    // Act
    const { page } = await listPage(deps, listEvent(state()));

    // Assert
    expect(page.busy).toBe(1);
    expect(page.uploads.map((u) => u.u)).toEqual(['U1']);
  });

  it('measures: a gone upload is decided NOT_FOUND; without the guard, in a dry run, the rest (an unreadable one too) WOULD_ABORT', async () => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(3), IsTruncated: false });
    s3Mock.on(ListPartsCommand, { UploadId: 'U0' }).resolves({
      Parts: [
        { PartNumber: 1, Size: 5 },
        { PartNumber: 2, Size: 7 },
      ],
      IsTruncated: false,
    });
    s3Mock.on(ListPartsCommand, { UploadId: 'U1' }).rejects(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    s3Mock
      .on(ListPartsCommand, { UploadId: 'U2' })
      .rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }));

    // Act
    const { page, next } = await listPage(deps, listEvent(state({}, {}, { measure: true, dryRun: true })));

    // Assert
    expect(next).toBe('record');
    expect(page.uploads).toEqual([]);
    expect(page.decided).toEqual([
      // a dry run keeps each upload's Initiated for its plan
      { k: 'k-000', u: 'U0', i: '2026-11-01T00:00:00.000Z', p: 2, b: 12, s: 'WOULD_ABORT' },
      { k: 'k-001', u: 'U1', i: '2026-11-01T00:00:00.000Z', p: 0, b: 0, s: 'NOT_FOUND' },
      { k: 'k-002', u: 'U2', i: '2026-11-01T00:00:00.000Z', s: 'WOULD_ABORT' },
    ]);
  });

  it.each([
    [
      'SlowDown (503)',
      new S3ServiceException({ name: 'SlowDown', $fault: 'client', message: 'Please reduce your request rate.', $metadata: { httpStatusCode: 503 } }),
    ],
    ['InternalError (500)', new S3ServiceException({ name: 'InternalError', $fault: 'server', message: 'internal', $metadata: { httpStatusCode: 500 } })],
    ['a lost connection', Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: {} })],
  ])('a measure that still fails with %s after the SDK attempts fails the step (listed again), never a FAILED record', async (_name, error) => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(2), IsTruncated: false });
    s3Mock.on(ListPartsCommand, { UploadId: 'U0' }).resolves({ Parts: [{ PartNumber: 1, Size: 5 }], IsTruncated: false });
    s3Mock.on(ListPartsCommand, { UploadId: 'U1' }).rejects(error);

    // Act
    const listing = listPage(deps, listEvent(state({}, {}, { measure: true })));

    // Assert
    await expect(listing).rejects.toBe(error);
  });

  it("stops at maxUploads (truncated), and a listing error ends the target with S3's code", async () => {
    // Arrange
    s3Mock
      .on(ListMultipartUploadsCommand)
      .resolvesOnce({ Uploads: uploads(5), IsTruncated: true, NextKeyMarker: 'k-004', NextUploadIdMarker: 'U4' })
      .rejects(
        new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', message: 'The specified bucket does not exist', $metadata: { httpStatusCode: 404 } }),
      );
    const limited = state({ target: { ...state().target, maxUploads: 5 } });

    // Act
    const truncated = await listPage(deps, listEvent(limited));
    const failed = await listPage(deps, listEvent(state()));

    // Assert
    expect(truncated.page).toMatchObject({ listed: 5, truncated: true, last: false });
    expect(failed).toMatchObject({ next: 'record', page: { last: true, error: { error: 'NoSuchBucket', cause: 'The specified bucket does not exist' } } });
  });

  it('ends a page execution that has run its time, but always does the first page of a new one', async () => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(1), IsTruncated: false });
    const late = { ...listEvent(state({ slice: { execution: 'target-exec', run: 'run-2', events: 22, full: false } })), runStartedAt: '2026-11-22T11:50:00Z' };

    // Act / Assert
    expect((await listPage(deps, late)).next).toBe('end');
    expect((await listPage(deps, { ...late, run: 'run-3' })).next).toBe('abort');
  });
});
