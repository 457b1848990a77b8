/**
 * The scheduled debt scan (functions/debt-scan.ts, lib/scan/debt.ts) against a mocked S3: the allowlisted buckets
 * only, one EMF document per bucket with IncompleteUploadBytes, IncompleteUploads and EstimatedMonthlyCostUsd by
 * Bucket, the ListParts budget (partial buckets marked), and buckets that cannot be read publishing nothing.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetBucketLifecycleConfigurationCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  type ListMultipartUploadsCommandInput,
  type ListPartsCommandInput,
} from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { parseAllowlist } from '../../../lib/allowlist.ts';
import { BYTES_PER_GB } from '../../../lib/scan/prices.ts';
import { DEBT_DIRECTIVES, emfOf } from '../../support/emf.ts';
import { DEFAULT_MAX_LIST_PARTS, maxListPartsFromEnv, scanDebt } from '../../../lib/scan/debt.ts';

const context = { awsRequestId: 'r', functionName: 'debt-scan' } as Context;
const MiB = 2 ** 20;
const s3 = mockClient(S3Client);

/** buckets with their uploads (each upload: its parts' sizes and storage class) */
function seed(buckets: Record<string, Array<{ parts: number[]; storageClass?: string }>>, denied: string[] = []) {
  s3.reset();
  s3.on(ListBucketsCommand).resolves({ Buckets: [...Object.keys(buckets), ...denied].map((Name) => ({ Name, BucketRegion: 'us-east-1' })) });
  s3.on(GetBucketLifecycleConfigurationCommand).rejects(Object.assign(new Error('none'), { name: 'NoSuchLifecycleConfiguration' }));
  s3.on(ListMultipartUploadsCommand).callsFake((input: ListMultipartUploadsCommandInput) => {
    if (denied.includes(input.Bucket!)) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const uploads = buckets[input.Bucket!].map((u, i) => ({
      Key: `k${i}`,
      UploadId: `u${i}`,
      Initiated: new Date('2026-01-01T00:00:00Z'),
      StorageClass: u.storageClass,
    }));
    return { Uploads: uploads, IsTruncated: false };
  });
  s3.on(ListPartsCommand).callsFake((input: ListPartsCommandInput) => {
    const upload = buckets[input.Bucket!][Number(input.UploadId!.slice(1))];
    return { Parts: upload.parts.map((Size, i) => ({ PartNumber: i + 1, Size, LastModified: new Date('2026-01-02T00:00:00Z') })), IsTruncated: false };
  });
}

const deps = (allowed: string, maxListParts = 100) => ({
  s3For: () => new S3Client({ region: 'us-east-1' }),
  allowlist: parseAllowlist(allowed),
  region: 'us-east-1',
  maxListParts,
  listingSeconds: 600,
});
const metrics = () => new Metrics({ namespace: 'MpuReaper', serviceName: 'debt-scan' });
const listPartsBuckets = () => s3.commandCalls(ListPartsCommand).map((c) => c.args[0].input.Bucket);

beforeAll(() => {
  Object.assign(process.env, { AWS_REGION: 'us-east-1', LOG_LEVEL: 'ERROR', ALLOWED_BUCKETS: 'logs-*,data', DEBT_MAX_LIST_PARTS: '100' });
});
beforeEach(() => s3.reset());
afterEach(() => vi.restoreAllMocks());

describe('the debt-scan function', () => {
  it('publishes one EMF document per allowlisted bucket: bytes, uploads and dollars a month by Bucket', async () => {
    // Arrange: two allowlisted buckets (a prefix and a name), one outside the allowlist
    seed({
      'logs-a': [{ parts: [5 * MiB, 5 * MiB] }, { parts: [3 * MiB], storageClass: 'STANDARD_IA' }, { parts: [] }],
      data: [{ parts: [1 * MiB] }],
      other: [{ parts: [100 * MiB] }],
    });
    const { handler } = await import('../../../functions/debt-scan.ts');

    // Act
    const { result, documents } = await emfOf(() => handler({}, context));

    // Assert
    expect(documents.map(({ _aws, ...values }) => values)).toEqual([
      {
        service: 'debt-scan',
        Bucket: 'logs-a',
        IncompleteUploadBytes: 13 * MiB,
        IncompleteUploads: 3,
        // 10 MiB at STANDARD's $0.023, 3 MiB at STANDARD_IA's $0.0125 a GB-month (us-east-1), each class rounded to 1e-6
        EstimatedMonthlyCostUsd: expect.closeTo((10 * MiB * 0.023 + 3 * MiB * 0.0125) / BYTES_PER_GB, 5),
      },
      {
        service: 'debt-scan',
        Bucket: 'data',
        IncompleteUploadBytes: MiB,
        IncompleteUploads: 1,
        EstimatedMonthlyCostUsd: expect.closeTo((MiB / BYTES_PER_GB) * 0.023, 6),
      },
    ]);
    for (const document of documents) {
      expect(document._aws.CloudWatchMetrics).toEqual(DEBT_DIRECTIVES);
      expect(typeof document._aws.Timestamp).toBe('number');
    }
    // the bucket outside the allowlist is never read
    expect(new Set(listPartsBuckets())).toEqual(new Set(['logs-a', 'data']));
    expect(s3.commandCalls(ListMultipartUploadsCommand).map((c) => c.args[0].input.Bucket)).not.toContain('other');
    expect(result).toMatchObject({ published: ['logs-a', 'data'], partial: {}, errors: {}, notFound: [], totals: { buckets: 2, uploads: 4 } });
  });

  it('sends at most maxListParts ListParts in a run and marks the bucket it cut Partial (a lower bound)', async () => {
    // Arrange: 5 uploads, a budget of 3
    seed({ 'logs-big': Array.from({ length: 5 }, () => ({ parts: [2 * MiB] })) });

    // Act
    const { result, documents } = await emfOf(() => scanDebt(deps('logs-*', 3), metrics()));

    // Assert
    expect(s3.commandCalls(ListPartsCommand)).toHaveLength(3);
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({
      Bucket: 'logs-big',
      IncompleteUploads: 3,
      IncompleteUploadBytes: 6 * MiB,
      Partial: expect.stringContaining('3 ListParts'),
    });
    expect(documents[0]._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).not.toContain('Partial');
    expect(result.partial).toEqual({ 'logs-big': expect.stringContaining('maxListParts') });
  });

  it('lists no page after its listing time: a bucket with more pages publishes its first, marked Partial', async () => {
    // Arrange: the bucket answers one upload a page, always with more to come; the listing time is already over
    seed({ 'logs-long': [{ parts: [MiB] }] });
    s3.on(ListMultipartUploadsCommand).callsFake((input: ListMultipartUploadsCommandInput) => ({
      Uploads: [{ Key: `k${input.KeyMarker ?? ''}x`, UploadId: 'u0', Initiated: new Date('2026-01-01T00:00:00Z') }],
      IsTruncated: true,
      NextKeyMarker: `${input.KeyMarker ?? ''}x`,
      NextUploadIdMarker: 'u0',
    }));

    // Act
    const { result, documents } = await emfOf(() => scanDebt({ ...deps('logs-*'), listingSeconds: 0 }, metrics()));

    // Assert
    expect(s3.commandCalls(ListMultipartUploadsCommand)).toHaveLength(1);
    expect(documents).toEqual([
      expect.objectContaining({ Bucket: 'logs-long', IncompleteUploads: 1, IncompleteUploadBytes: MiB, Partial: expect.stringMatching(/time limit/) }),
    ]);
    expect(result.partial).toEqual({ 'logs-long': expect.stringMatching(/time limit/) });
  });

  it('publishes nothing for a bucket it could not read or cut off before measuring any upload, and says which', async () => {
    // Arrange: the budget is spent on the first bucket; the second cannot be listed
    seed({ 'logs-a': [{ parts: [MiB] }], 'logs-b': [{ parts: [MiB] }] }, ['logs-denied']);

    // Act
    const { result, documents } = await emfOf(() => scanDebt(deps('logs-*,gone', 1), metrics()));

    // Assert: one bucket measured, one cut off with nothing measured, one denied
    expect(documents.map((d) => d.Bucket)).toHaveLength(1);
    expect(result.published).toHaveLength(1);
    expect(Object.keys(result.partial)).toHaveLength(1);
    expect(result.published).not.toContain(Object.keys(result.partial)[0]);
    expect(result.errors).toEqual({ 'logs-denied': expect.stringMatching(/^AccessDenied \(403\)/) });
    expect(result.notFound).toEqual(['gone']);
  });
});

describe('DEBT_MAX_LIST_PARTS', () => {
  it('defaults to DEFAULT_MAX_LIST_PARTS and refuses anything but a whole number ≥ 1, naming the variable', () => {
    expect(maxListPartsFromEnv({})).toBe(DEFAULT_MAX_LIST_PARTS);
    expect(maxListPartsFromEnv({ DEBT_MAX_LIST_PARTS: '250' })).toBe(250);
    for (const bad of ['0', '-1', '1.5', 'many'])
      expect(() => maxListPartsFromEnv({ DEBT_MAX_LIST_PARTS: bad })).toThrow(/DEBT_MAX_LIST_PARTS must be a whole number ≥ 1/);
  });
});
