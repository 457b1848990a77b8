/**
 * ListMultipartUploads as S3 answers it (S3 API Reference, ListMultipartUploads: max-uploads 1 to 1,000, default 1,000;
 * uploads sorted by key; key-marker / upload-id-marker; IsTruncated with NextKeyMarker / NextUploadIdMarker). moto_server
 * answers the whole bucket in one response, unsorted, never truncated; the local endpoint pages it as S3 does, so that
 * a client that ignores IsTruncated fails here as it would on AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, type ListMultipartUploadsCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { LISTING_PAGE_HEADER, listingPageHint, MAX_UPLOADS, pageListing, pagesListing } from '../../emulator/list-uploads-paging.ts';
import { startChaosProxy, type ChaosProxy } from '../../emulator/chaos.ts';
import { awsClients, createBucket, startMoto, type MotoServer } from '../support/workflow.ts';

/** a ListMultipartUploadsResult as moto_server writes it: every upload, in the order given, never truncated */
const motoListing = (uploads: Array<[key: string, uploadId: string]>) =>
  '<?xml version="1.0" encoding="utf-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket>' +
  '<KeyMarker/><UploadIdMarker/><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>' +
  uploads
    .map(
      ([k, u]) =>
        `<Upload><UploadId>${u}</UploadId><Key>${k.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Key><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>`,
    )
    .join('') +
  '</ListMultipartUploadsResult>';
const url = (query: string) => new URL(`http://local/b?uploads${query}`);
const keysOf = (xml: string) => [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
const fieldOf = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

describe('the local endpoint pages ListMultipartUploads as S3 does', () => {
  it('answers at most 1,000 uploads by default, sorted by key, truncated with the next markers', () => {
    // Arrange: 1,001 uploads, listed by moto in reverse order
    const uploads = Array.from({ length: 1001 }, (_, i) => [`k/${String(1000 - i).padStart(4, '0')}`, `u${i}`] as [string, string]);

    // Act
    const page = pageListing(motoListing(uploads), url(''))!;

    // Assert
    const keys = keysOf(page);
    expect(keys).toHaveLength(MAX_UPLOADS);
    expect(keys[0]).toBe('k/0000');
    expect(keys.at(-1)).toBe('k/0999');
    expect(fieldOf(page, 'IsTruncated')).toBe('true');
    expect(fieldOf(page, 'NextKeyMarker')).toBe('k/0999');
    expect(fieldOf(page, 'NextUploadIdMarker')).toBe('u1');
    expect(fieldOf(page, 'MaxUploads')).toBe('1000');
  });

  it('caps max-uploads at 1,000, goes on after key-marker and upload-id-marker, and compares keys by UTF-8 bytes', () => {
    // Arrange: U+FFFD sorts before U+1F600 in UTF-8, after it in UTF-16
    const listing = motoListing([
      ['b', 'u2'],
      ['\u{1F600}', 'u9'],
      ['a&<', 'u1'],
      ['b', 'u1'],
      ['\uFFFD', 'u8'],
      ['c', 'u3'],
    ]);

    // Act
    const all = pageListing(listing, url('&max-uploads=5000'))!;
    const afterKey = pageListing(listing, url('&key-marker=a%26%3C&max-uploads=2'))!;
    const afterUpload = pageListing(listing, url('&key-marker=b&upload-id-marker=u1'))!;
    const uploadMarkerAlone = pageListing(listing, url('&upload-id-marker=u1'))!;

    // Assert
    expect(fieldOf(all, 'MaxUploads')).toBe('1000');
    expect(keysOf(all)).toEqual(['a&amp;&lt;', 'b', 'b', 'c', '\uFFFD', '\u{1F600}']);
    expect(keysOf(afterKey)).toEqual(['b', 'b']);
    expect(fieldOf(afterKey, 'KeyMarker')).toBe('a&amp;&lt;');
    expect(fieldOf(afterKey, 'NextKeyMarker')).toBe('b');
    expect(fieldOf(afterKey, 'NextUploadIdMarker')).toBe('u2');
    expect(keysOf(afterUpload)).toEqual(['b', 'c', '\uFFFD', '\u{1F600}']);
    expect(fieldOf(afterUpload, 'IsTruncated')).toBe('false');
    expect(afterUpload).not.toContain('<NextKeyMarker>');
    expect(keysOf(uploadMarkerAlone)).toHaveLength(6);
  });

  it('leaves alone what it does not page: other requests, delimiters, max-uploads S3 refuses, other documents', () => {
    expect(pagesListing('GET', url(''))).toBe(true);
    expect(pagesListing('GET', url('&delimiter=/'))).toBe(false);
    expect(pagesListing('POST', url(''))).toBe(false);
    expect(pagesListing('GET', new URL('http://local/b/k?uploadId=u1'))).toBe(false);
    expect(pageListing(motoListing([['a', 'u']]), url('&max-uploads=-1'))).toBeUndefined();
    expect(pageListing('<Error><Code>NoSuchBucket</Code></Error>', url(''))).toBeUndefined();
  });
});

describe('through the proxy in front of moto_server', () => {
  let moto: MotoServer;
  let proxy: ChaosProxy;
  let s3: S3Client;
  let direct: S3Client;
  const bucket = 'listing-pages';
  const keys = ['z/last', 'a/first', 'm/middle', 'm/middle', 'b/second'];

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startChaosProxy({ target: moto.endpoint });
    s3 = awsClients(proxy.endpoint).s3;
    direct = awsClients(moto.endpoint).s3;
    await createBucket(direct, bucket);
    for (const Key of keys) await direct.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
  });
  afterAll(async () => {
    s3?.destroy();
    direct?.destroy();
    await proxy?.close();
    await moto?.stop();
  });

  it('gives MaxUploads uploads a page, in S3 order, and every upload exactly once across the pages', async () => {
    // Act
    const first = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, MaxUploads: 2 }));
    const unpaged = await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket, MaxUploads: 2 }));
    const pages: ListMultipartUploadsCommandOutput[] = [];
    for (let page = first; pages.push(page) && page.IsTruncated; ) {
      page = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, MaxUploads: 2, KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker }),
      );
    }

    // Assert: moto alone ignores MaxUploads; through the proxy the page is S3's
    expect(unpaged.Uploads).toHaveLength(keys.length);
    expect(first.Uploads?.map((u) => u.Key)).toEqual(['a/first', 'b/second']);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextKeyMarker).toBe('b/second');
    expect(pages.map((p) => p.Uploads?.length ?? 0)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.Uploads ?? []).map((u) => u.Key)).toEqual(['a/first', 'b/second', 'm/middle', 'm/middle', 'z/last']);
    expect(new Set(pages.flatMap((p) => p.Uploads ?? []).map((u) => u.UploadId)).size).toBe(keys.length);
  });
  it("asks moto_server for the page's uploads only: the first max-uploads + 1 after the markers, in S3 order", async () => {
    // Arrange: the request the proxy forwards, straight to moto_server, with and without the hint
    const listing = (query: string, hint?: string) =>
      fetch(`${moto.endpoint}/${bucket}?uploads${query}`, {
        headers: {
          authorization: 'AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
          ...(hint ? { [LISTING_PAGE_HEADER]: hint } : {}),
        },
      }).then((r) => r.text());

    // Act
    const hinted = await listing('&max-uploads=2', listingPageHint('GET', url('&max-uploads=2')));
    const afterMarker = await listing('&key-marker=b%2Fsecond', '2');
    const whole = await listing('&max-uploads=2');

    // Assert
    expect(keysOf(hinted)).toEqual(['a/first', 'b/second', 'm/middle']);
    expect(keysOf(afterMarker)).toEqual(['m/middle', 'm/middle']);
    expect(keysOf(whole)).toHaveLength(keys.length);
  });
});
