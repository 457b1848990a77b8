/** lib/scan/prices.ts and lib/scan/aggregate.ts: the price of a class in a region, and a bucket's row and the totals. */
import { describe, expect, it } from 'vitest';
import { BYTES_PER_GB, monthlyCostUsd, priceOf, PRICE_SOURCE } from '../../../lib/scan/prices.ts';
import { bucketScan, scanResult, type ScannedUpload } from '../../../lib/scan/aggregate.ts';
import { abortRules, regionOfLocation } from '../../../lib/scan/scan.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const GB = BYTES_PER_GB;
const upload = (over: Partial<ScannedUpload>): ScannedUpload => ({
  key: 'k',
  uploadId: 'u',
  parts: 1,
  bytes: GB,
  initiated: new Date('2026-11-01T00:00:00Z'),
  ...over,
});

describe('priceOf', () => {
  it('prices a class at its listed rate in the region', () => {
    expect(priceOf('us-east-1', 'STANDARD')).toEqual({ usdPerGbMonth: 0.023, billedAs: 'STANDARD' });
    expect(priceOf('eu-west-1', 'STANDARD_IA')).toEqual({ usdPerGbMonth: 0.0125, billedAs: 'STANDARD_IA' });
    expect(priceOf('eu-central-1', 'STANDARD')).toEqual({ usdPerGbMonth: 0.0245, billedAs: 'STANDARD' });
    expect(priceOf('us-east-1', undefined).billedAs).toBe('STANDARD');
  });

  it('prices parts of GLACIER and DEEP_ARCHIVE uploads as STANDARD (staged until the upload completes), and says so', () => {
    for (const cls of ['GLACIER', 'DEEP_ARCHIVE']) {
      const price = priceOf('us-west-2', cls);
      expect(price).toMatchObject({ usdPerGbMonth: 0.023, billedAs: 'STANDARD' });
      expect(price.note).toMatch(new RegExp(`${cls} parts are billed as STANDARD`));
    }
    expect(priceOf('us-east-1', 'GLACIER_IR')).toEqual({ usdPerGbMonth: 0.004, billedAs: 'GLACIER_IR' });
  });

  it('prices an unknown region or class as us-east-1 STANDARD and says which was unknown', () => {
    expect(priceOf('ap-south-2', 'STANDARD')).toEqual({
      usdPerGbMonth: 0.023,
      billedAs: 'STANDARD',
      note: 'no price for region ap-south-2: priced as us-east-1 STANDARD',
    });
    expect(priceOf('eu-central-1', 'ONEZONE_IA').note).toBe('no price for class ONEZONE_IA in eu-central-1: priced as us-east-1 STANDARD');
    expect(priceOf('us-east-1', 'SOMETHING_NEW').note).toMatch(/class SOMETHING_NEW in us-east-1/);
  });

  it('costs bytes per GB of 2^30 bytes, to a millionth of a dollar; the table names its source and date', () => {
    expect(monthlyCostUsd(GB, { usdPerGbMonth: 0.023 })).toBe(0.023);
    expect(monthlyCostUsd(1024 * GB, { usdPerGbMonth: 0.023 })).toBe(23.552);
    expect(monthlyCostUsd(1, { usdPerGbMonth: 0.023 })).toBe(0);
    expect(PRICE_SOURCE.source).toMatch(/^https:\/\/aws\.amazon\.com\/s3\/pricing/);
    expect(PRICE_SOURCE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('bucketScan', () => {
  it('sums uploads, parts and bytes per class, costs each class once, and finds the oldest, the newest part, active and zero-part uploads', () => {
    // Arrange
    const uploads = [
      upload({ bytes: 2 * GB, parts: 3, lastPartAt: new Date('2026-12-07T11:30:00Z') }),
      upload({ storageClass: 'STANDARD_IA', bytes: GB, initiated: new Date('2025-01-01T00:00:00Z'), lastPartAt: new Date('2025-01-02T00:00:00Z') }),
      upload({ storageClass: 'DEEP_ARCHIVE', bytes: 4 * GB, parts: 2, lastPartAt: new Date('2026-12-01T00:00:00Z') }),
      upload({ parts: 0, bytes: 0, initiated: new Date('2026-12-07T11:59:00Z') }),
      upload({ parts: 0, bytes: 0, error: 'AccessDenied (403): kms:Decrypt' }),
    ];

    // Act
    const row = bucketScan({ bucket: 'b', region: 'us-east-1', uploads, rules: [], now: NOW });

    // Assert
    expect(row).toMatchObject({ uploads: 5, parts: 6, bytes: 7 * GB, zeroPartUploads: 1, uploadErrors: 1, activeUploads: 2, lifecycleAbortDays: null });
    expect(row.byStorageClass.STANDARD).toMatchObject({ uploads: 3, parts: 3, bytes: 2 * GB, monthlyCostUsd: 0.046 });
    expect(row.byStorageClass.STANDARD_IA.monthlyCostUsd).toBe(0.0125);
    expect(row.byStorageClass.DEEP_ARCHIVE).toMatchObject({ monthlyCostUsd: 0.092, billedAs: 'STANDARD' });
    expect(row.monthlyCostUsd).toBe(0.1505);
    expect(row.oldestInitiated).toBe('2025-01-01T00:00:00.000Z');
    expect(row.lastPartAt).toBe('2026-12-07T11:30:00.000Z');
    expect(row.notes).toEqual(['DEEP_ARCHIVE parts are billed as STANDARD until the upload completes']);
  });

  it('an empty bucket has nulls for times; its lifecycle days are the whole-bucket rule’s, else the fewest of the prefix rules', () => {
    const empty = bucketScan({ bucket: 'e', region: 'eu-west-1', uploads: [], rules: undefined, now: NOW });
    expect(empty).toMatchObject({ uploads: 0, bytes: 0, monthlyCostUsd: 0, oldestInitiated: null, lastPartAt: null, lifecycleAbortDays: null });
    const both = [
      { days: 1, prefix: 'tmp/' },
      { days: 7, prefix: '' },
    ];
    expect(bucketScan({ bucket: 'r', region: 'us-east-1', uploads: [], rules: both, now: NOW }).lifecycleAbortDays).toBe(7);
    expect(bucketScan({ bucket: 'r', region: 'us-east-1', uploads: [], rules: [{ days: 3, prefix: 'a/' }], now: NOW }).lifecycleAbortDays).toBe(3);
  });
});

describe('scanResult', () => {
  it('orders rows by cost, largest first; totals sum them; buckets without a whole-bucket rule are named (not those with errors)', () => {
    // Arrange
    const rows = [
      bucketScan({ bucket: 'cheap', region: 'us-east-1', uploads: [upload({ bytes: GB })], rules: [{ days: 1, prefix: 'x/' }], now: NOW }),
      bucketScan({ bucket: 'dear', region: 'us-east-1', uploads: [upload({ bytes: 10 * GB }), upload({ parts: 0, bytes: 0 })], rules: [], now: NOW }),
      bucketScan({ bucket: 'covered', region: 'us-east-1', uploads: [], rules: [{ days: 7, prefix: '' }], now: NOW }),
      bucketScan({ bucket: 'denied', region: null, uploads: [], rules: undefined, now: NOW, error: 'AccessDenied' }),
    ];

    // Act
    const { buckets, totals } = scanResult(rows);

    // Assert
    expect(buckets.map((b) => b.bucket)).toEqual(['dear', 'cheap', 'covered', 'denied']);
    expect(totals).toEqual({
      buckets: 4,
      uploads: 3,
      parts: 2,
      bytes: 11 * GB,
      monthlyCostUsd: 0.253,
      activeUploads: 0,
      zeroPartUploads: 1,
      bucketsWithErrors: 1,
      bucketsWithoutAbortRule: ['dear', 'cheap'],
    });
  });
});

describe('lifecycle rules and regions as S3 reports them', () => {
  it('keeps enabled AbortIncompleteMultipartUpload rules with their prefix (Filter, And, or the legacy Prefix)', () => {
    expect(
      abortRules([
        { ID: 'a', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
        { ID: 'b', Status: 'Disabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
        { ID: 'c', Status: 'Enabled', Filter: {}, Expiration: { Days: 30 } },
        { Status: 'Enabled', Prefix: '', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 9 } },
        {
          ID: 'd',
          Status: 'Enabled',
          Filter: { And: { Prefix: 'logs/', ObjectSizeGreaterThan: 10 } },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 4 },
        },
      ]),
    ).toEqual([
      { id: 'a', days: 2, prefix: 'tmp/' },
      { days: 9, prefix: '' },
      { id: 'd', days: 4, prefix: 'logs/' },
    ]);
  });

  it('reads GetBucketLocation: none is us-east-1, EU is eu-west-1', () => {
    expect(regionOfLocation(undefined)).toBe('us-east-1');
    expect(regionOfLocation('')).toBe('us-east-1');
    expect(regionOfLocation('EU')).toBe('eu-west-1');
    expect(regionOfLocation('ap-southeast-2')).toBe('ap-southeast-2');
  });
});
