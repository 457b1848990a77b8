/**
 * The scheduled debt scan's function (functions/debt-scan.ts) against moto_server through the local stack's proxy
 * (each upload's real StorageClass): the allowlisted buckets only, one EMF document per bucket with the bytes, the
 * uploads and the dollars a month of what was seeded; the ListParts budget cuts a bucket and marks it Partial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { startChaosProxy, type ChaosProxy } from '../../emulator/chaos.ts';
import { UploadFacts } from '../../emulator/upload-facts.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { clientConfig, s3ClientsByRegion } from '../../lib/aws.ts';
import { scanDebt } from '../../lib/scan/debt.ts';
import { BYTES_PER_GB, priceOf } from '../../lib/scan/prices.ts';
import { DEBT_DIRECTIVES, emfOf } from '../support/emf.ts';
import { awsClients, createBucket, createUpload, startMoto, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let proxy: ChaosProxy;
let s3: S3Client;
const KiB = 1024;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startChaosProxy({ target: moto.endpoint, facts: new UploadFacts() });
  s3 = awsClients(proxy.endpoint).s3;
  for (const b of ['debt-a', 'debt-b', 'elsewhere']) await createBucket(s3, b);
  await createUpload(s3, 'debt-a', 'std/1', [300 * KiB, 200 * KiB]);
  await createUpload(s3, 'debt-a', 'ia/2', [400 * KiB], 'STANDARD_IA');
  await createUpload(s3, 'debt-a', 'empty/3', []);
  for (let i = 0; i < 4; i += 1) await createUpload(s3, 'debt-b', `b/${i}`, [50 * KiB]);
  await createUpload(s3, 'elsewhere', 'x', [100 * KiB]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ALLOWED_BUCKETS: 'debt-*',
    LOG_LEVEL: 'ERROR',
  });
}, 60_000);
afterAll(async () => {
  process.env = saved;
  s3?.destroy();
  await proxy?.close();
  await moto?.stop();
});

describe('the debt scan on the local stack', () => {
  it("publishes each allowlisted bucket's bytes, uploads and dollars a month as EMF, and nothing of another bucket", async () => {
    // Arrange
    const { handler } = await import('../../functions/debt-scan.ts');

    // Act
    const { result, documents } = await emfOf(() => handler({}, { awsRequestId: 'r', functionName: 'debt-scan' } as Context));

    // Assert
    const byBucket = Object.fromEntries(documents.map((d) => [d.Bucket, d]));
    expect(Object.keys(byBucket).sort()).toEqual(['debt-a', 'debt-b']);
    const usd = (bytes: number, cls: string) => (bytes / BYTES_PER_GB) * priceOf('us-east-1', cls).usdPerGbMonth;
    expect(byBucket['debt-a']).toMatchObject({
      service: 'debt-scan',
      IncompleteUploadBytes: 900 * KiB,
      IncompleteUploads: 3,
      // the IA upload at its own rate: the proxy reports its real class
      EstimatedMonthlyCostUsd: expect.closeTo(usd(500 * KiB, 'STANDARD') + usd(400 * KiB, 'STANDARD_IA'), 5),
    });
    expect(byBucket['debt-b']).toMatchObject({ IncompleteUploadBytes: 200 * KiB, IncompleteUploads: 4 });
    expect(byBucket['debt-a']._aws.CloudWatchMetrics).toEqual(DEBT_DIRECTIVES);
    expect(documents.every((d) => !('Partial' in d))).toBe(true);
    expect(result).toMatchObject({ partial: {}, errors: {}, totals: { buckets: 2, uploads: 7, bytes: 1100 * KiB } });
  });

  it('stops at its ListParts budget and publishes the covered uploads marked Partial', async () => {
    // Arrange: 7 uploads in the allowlisted buckets, a budget of 5
    const deps = {
      s3For: s3ClientsByRegion(clientConfig(process.env)),
      allowlist: parseAllowlist('debt-*'),
      region: 'us-east-1',
      maxListParts: 5,
      listingSeconds: 600,
    };

    // Act
    const { result, documents } = await emfOf(() => scanDebt(deps, new Metrics({ namespace: 'MpuReaper', serviceName: 'debt-scan' })));

    // Assert: 5 uploads measured in all, and the bucket cut off says so
    expect(documents.reduce((sum, d) => sum + Number(d.IncompleteUploads), 0)).toBe(5);
    expect(Object.keys(result.partial)).toHaveLength(1);
    const cut = documents.find((d) => d.Bucket === Object.keys(result.partial)[0]);
    expect(cut?.Partial).toMatch(/5 ListParts/);
  });
});
