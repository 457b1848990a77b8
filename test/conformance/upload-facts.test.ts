/**
 * ListMultipartUploads and ListParts report each upload's own Initiated and StorageClass (S3 API Reference,
 * ListMultipartUploads: "Initiated: Date and time at which the multipart upload was initiated", "StorageClass: The
 * class of storage used to store the object"; ListParts: "StorageClass: The class of storage used to store the uploaded
 * object"; CreateMultipartUpload: x-amz-storage-class, "By default, Amazon S3 uses the STANDARD Storage Class").
 * moto_server answers every upload as STANDARD, initiated 2010-11-10T20:48:33.000Z; the proxies in front of it record
 * each CreateMultipartUpload they pass and answer as S3 does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
  type StorageClass,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startChaosProxy, type ChaosProxy } from '../../emulator/chaos.ts';
import { UploadFacts, uploadRequest } from '../../emulator/upload-facts.ts';
import { awsClients, createBucket, startMoto, type MotoServer } from '../support/workflow.ts';

const MOTO_INITIATED = '2010-11-10T20:48:33.000Z';

describe('which requests carry upload facts', () => {
  it('tells create, abort, ListParts and the listing apart on path-style URLs, keys decoded', () => {
    const at = (path: string) => new URL(`http://local${path}`);
    expect(uploadRequest('POST', at('/b/a%20b/c?uploads'))).toEqual({ kind: 'create', bucket: 'b', key: 'a b/c' });
    expect(uploadRequest('DELETE', at('/b/k?uploadId=u1'))).toEqual({ kind: 'abort', bucket: 'b', key: 'k', uploadId: 'u1' });
    expect(uploadRequest('GET', at('/b/k?uploadId=u1&max-parts=1'))).toEqual({ kind: 'parts', bucket: 'b', key: 'k', uploadId: 'u1' });
    expect(uploadRequest('GET', at('/b?uploads&prefix=x'))).toEqual({ kind: 'list', bucket: 'b' });
    expect(uploadRequest('PUT', at('/b/k?uploadId=u1&partNumber=1'))).toBeUndefined();
    expect(uploadRequest('GET', at('/b/k'))).toBeUndefined();
    expect(uploadRequest('GET', at('/'))).toBeUndefined();
  });

  it('rewrites only uploads it saw created, and forgets aborted ones', () => {
    const facts = new UploadFacts(() => new Date('2026-12-07T10:00:00.750Z'));
    facts.created('b', 'a&b', 'GLACIER', '<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>');
    const listing = (id: string) =>
      `<ListMultipartUploadsResult><Upload><Key>a&amp;b</Key><UploadId>${id}</UploadId><StorageClass>STANDARD</StorageClass><Initiated>${MOTO_INITIATED}</Initiated></Upload></ListMultipartUploadsResult>`;

    expect(facts.listing('b', listing('u1'))).toContain('<StorageClass>GLACIER</StorageClass><Initiated>2026-12-07T10:00:00.000Z</Initiated>');
    expect(facts.listing('b', listing('u2'))).toBe(listing('u2'));
    expect(facts.listing('other', listing('u1'))).toBe(listing('u1'));
    facts.aborted('b', 'a&b', 'u1');
    expect(facts.listing('b', listing('u1'))).toBe(listing('u1'));
  });
});

describe('through the proxies in front of moto_server', () => {
  let moto: MotoServer;
  let proxy: ChaosProxy;
  let other: ChaosProxy;
  let s3: S3Client;
  let s3Other: S3Client;
  let direct: S3Client;
  const bucket = 'upload-facts';

  beforeAll(async () => {
    moto = await startMoto();
    const facts = new UploadFacts();
    proxy = await startChaosProxy({ target: moto.endpoint, facts });
    other = await startChaosProxy({ target: moto.endpoint, facts });
    s3 = awsClients(proxy.endpoint).s3;
    s3Other = awsClients(other.endpoint).s3;
    direct = awsClients(moto.endpoint).s3;
    await createBucket(direct, bucket);
  });
  afterAll(async () => {
    for (const c of [s3, s3Other, direct]) c?.destroy();
    await proxy?.close();
    await other?.close();
    await moto?.stop();
  });

  it('lists each upload with its own Initiated and StorageClass, in ListMultipartUploads and ListParts, through any proxy sharing the facts', async () => {
    // Arrange
    const before = Math.floor(Date.now() / 1000) * 1000;
    const create = async (Key: string, StorageClass?: StorageClass) =>
      (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, StorageClass }))).UploadId!;
    const ids = {
      standard: await create('a/standard'),
      ia: await create('b/ia', 'STANDARD_IA'),
      deep: await create('c/deep', 'DEEP_ARCHIVE'),
    };
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'b/ia', UploadId: ids.ia, PartNumber: 1, Body: 'x' }));
    const after = Date.now();

    // Act
    const listed = await s3Other.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'b/ia', UploadId: ids.ia }));
    const moto = await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket }));

    // Assert: moto alone reports them all alike; through the proxies each is as created
    expect(moto.Uploads?.map((u) => [u.StorageClass, u.Initiated?.toISOString()])).toEqual(Array(3).fill(['STANDARD', MOTO_INITIATED]));
    expect(listed.Uploads?.map((u) => [u.Key, u.StorageClass])).toEqual([
      ['a/standard', 'STANDARD'],
      ['b/ia', 'STANDARD_IA'],
      ['c/deep', 'DEEP_ARCHIVE'],
    ]);
    for (const u of listed.Uploads ?? []) {
      expect(u.Initiated!.getTime()).toBeGreaterThanOrEqual(before);
      expect(u.Initiated!.getTime()).toBeLessThanOrEqual(after);
    }
    expect(parts.StorageClass).toBe('STANDARD_IA');
    expect(parts.Parts).toHaveLength(1);
  });

  it('keeps aborted uploads out of the facts and leaves uploads it never saw as moto reports them', async () => {
    // Arrange
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'd/gone', StorageClass: 'GLACIER' }));
    const unseen = await direct.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'e/unseen', StorageClass: 'GLACIER' }));

    // Act
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'd/gone', UploadId }));
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'e/' }));

    // Assert
    expect(listed.Uploads?.map((u) => [u.UploadId, u.StorageClass, u.Initiated?.toISOString()])).toEqual([[unseen.UploadId, 'STANDARD', MOTO_INITIATED]]);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'd/' }))).Uploads ?? []).toEqual([]);
  });
});
