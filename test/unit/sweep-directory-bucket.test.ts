/**
 * A directory bucket's ListMultipartUploads (S3 API Reference: "key-marker is obfuscated and isn't a real object key.
 * The upload-id-marker parameter isn't supported … the multipart uploads aren't sorted lexicographically"), answered by
 * a mocked S3 client that pages as S3 Express One Zone does: the sweep takes its pages and markers as they are.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ListMultipartUploadsCommand, type ListMultipartUploadsCommandInput } from '@aws-sdk/client-s3';
import { listPage } from '../../lib/sweep/list.ts';
import { pageStateBytes, uploadBytes } from '../../lib/sweep/page.ts';
import { deps, listEvent, OLD, resetMocks, s3Mock, state } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

const BUCKET = 'express-data--usw2-az1--x-s3';
/** 12 uploads in no lexicographic order, paged by an opaque marker ("page-N", never a key) and MaxUploads */
const LISTING = ['m', 'c', 'z', 'a', 'q', 'b', 'y', 'd', 'x', 'e', 'w', 'f'].map((k, i) => ({
  Key: `${k}/${'x'.repeat(i)}`,
  UploadId: `D${i}`,
  Initiated: OLD,
}));
function directoryAnswer(input: ListMultipartUploadsCommandInput) {
  if (input.UploadIdMarker !== undefined) throw new Error('upload-id-marker is not supported by directory buckets');
  const start = input.KeyMarker ? Number(/^page-(\d+)$/.exec(input.KeyMarker)![1]) : 0;
  const end = Math.min(LISTING.length, start + (input.MaxUploads ?? 1000));
  return { Uploads: LISTING.slice(start, end), IsTruncated: end < LISTING.length, ...(end < LISTING.length ? { NextKeyMarker: `page-${end}` } : {}) };
}
const directoryState = (settings = {}, cursor = { keyMarker: '', uploadIdMarker: '' }) => {
  const s = state({ cursor }, { pageUploads: 5, ...settings });
  return { ...s, target: { ...s.target, bucket: BUCKET } };
};

describe('the listing of a directory bucket', () => {
  beforeEach(() => {
    s3Mock.on(ListMultipartUploadsCommand).callsFake(directoryAnswer);
  });

  it("keeps S3's order (never sorts), and goes on from S3's obfuscated key-marker, without an upload-id-marker", async () => {
    // Act
    const first = await listPage(deps, listEvent(directoryState()));
    const second = await listPage(deps, listEvent(directoryState({}, first.page.cursor)));

    // Assert
    expect(first.page.uploads.map((u) => u.u)).toEqual(['D0', 'D1', 'D2', 'D3', 'D4']);
    expect(first.page.cursor).toEqual({ keyMarker: 'page-5', uploadIdMarker: '' });
    expect(second.page.uploads.map((u) => u.u)).toEqual(['D5', 'D6', 'D7', 'D8', 'D9']);
    expect(s3Mock.commandCalls(ListMultipartUploadsCommand)[1].args[0].input).toMatchObject({ Bucket: BUCKET, KeyMarker: 'page-5', UploadIdMarker: undefined });
  });

  it('never cuts inside an answer: one that does not fit the byte budget is asked again, smaller, from the same marker', async () => {
    // Arrange: room for about three uploads
    const s = directoryState({ pageBytes: 100_000 });
    const empty = { listedAt: deps.now().toISOString(), waitSeconds: 5, listed: 0, busy: 0, cursor: s.cursor, last: false, truncated: false };
    const room = 3 * uploadBytes(LISTING[3].Key, 'D3', false) + 100;
    s.sweep.settings.pageBytes = pageStateBytes(s, empty) + room + 40; // the settings' own digits grow the state a little

    // Act
    const { page } = await listPage(deps, listEvent(s));

    // Assert: the page ends after a whole answer, on S3's marker
    const n = page.uploads.length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(5);
    expect(page.cursor).toEqual({ keyMarker: `page-${n}`, uploadIdMarker: '' });
    expect(page.listed).toBe(n);
    const calls = s3Mock.commandCalls(ListMultipartUploadsCommand).map((c) => c.args[0].input);
    expect(page.uploads.map((u) => u.u)).toEqual(LISTING.slice(0, n).map((u) => u.UploadId));
    expect(calls.every((input) => input.KeyMarker === undefined || /^page-\d+$/.test(input.KeyMarker))).toBe(true);
    expect(calls.map((input) => input.MaxUploads).slice(0, 2)).toEqual([5, n]);
  });

  it('lists a whole directory bucket page by page: every upload once, in S3 order', async () => {
    // Act
    const seen: string[] = [];
    let s = directoryState();
    for (let i = 0; i < 5 && !s.done; i++) {
      const { page } = await listPage(deps, listEvent(s));
      seen.push(...page.uploads.map((u) => u.u));
      s = { ...s, cursor: page.cursor, done: page.last };
    }

    // Assert
    expect(seen).toEqual(LISTING.map((u) => u.UploadId));
  });
});
