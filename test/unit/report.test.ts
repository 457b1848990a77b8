/** lib/report/report.ts: the ABORTED records summed by bucket, class and day, priced with the scan's table; the query. */
import { describe, expect, it } from 'vitest';
import { BYTES_PER_GB, monthlyCostUsd, priceOf } from '../../lib/scan/prices.ts';
import { buildReport, getReport, parseSince, reportQuery, type SavedRecord } from '../../lib/report/report.ts';
import { HttpError } from '../../lib/http/errors.ts';
import { doc, docMock } from '../support/doc-mock.ts';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { INDEX_BY_STATUS, shardKeys } from '../../lib/records.ts';

const GB = BYTES_PER_GB;
const SINCE = '2026-11-07T12:00:00.000Z';
const aborted = (over: Partial<SavedRecord>): SavedRecord => ({
  bucket: 'logs',
  status: 'ABORTED',
  startedAt: '2026-12-01T10:00:00.000Z',
  finishedAt: '2026-12-01T10:00:05.000Z',
  partsFound: 2,
  bytesFound: GB,
  storageClass: 'STANDARD',
  region: 'us-east-1',
  ...over,
});

describe('buildReport', () => {
  it('sums uploads and bytes by bucket, storage class and day, and prices them with the scan price table', () => {
    // Arrange
    const records = [
      aborted({}),
      aborted({ bytesFound: 3 * GB, finishedAt: '2026-12-02T01:00:00.000Z' }),
      aborted({ storageClass: 'STANDARD_IA', bytesFound: 2 * GB, region: 'eu-west-1' }),
      aborted({ bucket: 'media', storageClass: 'GLACIER', bytesFound: 10 * GB, region: 'us-west-2', finishedAt: '2026-12-02T03:00:00.000Z' }),
    ];

    // Act
    const report = buildReport(records, SINCE);

    // Assert: each cost is the table's price for the record's class and region
    const logsStandard = monthlyCostUsd(4 * GB, priceOf('us-east-1', 'STANDARD'));
    const logsIa = monthlyCostUsd(2 * GB, priceOf('eu-west-1', 'STANDARD_IA'));
    const media = monthlyCostUsd(10 * GB, priceOf('us-west-2', 'GLACIER'));
    expect(logsStandard).toBeCloseTo(0.092, 6);
    expect(logsIa).toBeCloseTo(0.025, 6);
    // GLACIER parts are billed as STANDARD until the upload completes
    expect(media).toBeCloseTo(0.23, 6);
    expect(report.since).toBe(SINCE);
    expect(report.totals).toEqual({ uploads: 4, bytesFreed: 16 * GB, monthlyCostAvoidedUsd: 0.347, zeroPartUploads: 0 });
    expect(report.buckets.map((b) => b.bucket)).toEqual(['media', 'logs']);
    expect(report.buckets[1]).toEqual({
      bucket: 'logs',
      uploads: 3,
      bytesFreed: 6 * GB,
      monthlyCostAvoidedUsd: 0.117,
      zeroPartUploads: 0,
      byStorageClass: {
        STANDARD: { uploads: 2, bytesFreed: 4 * GB, monthlyCostAvoidedUsd: logsStandard },
        STANDARD_IA: { uploads: 1, bytesFreed: 2 * GB, monthlyCostAvoidedUsd: logsIa },
      },
    });
    expect(report.days).toEqual([
      { day: '2026-12-01', uploads: 2, bytesFreed: 3 * GB },
      { day: '2026-12-02', uploads: 2, bytesFreed: 13 * GB },
    ]);
    expect(report.priceNotes).toEqual(['GLACIER parts are billed as STANDARD until the upload completes']);
  });

  it('counts zero-part uploads apart, and ignores every status but ABORTED', () => {
    // Act
    const report = buildReport(
      [
        aborted({ partsFound: 0, bytesFound: 0 }),
        aborted({ status: 'WOULD_ABORT' }),
        aborted({ status: 'NOT_FOUND' }),
        aborted({ status: 'FAILED' }),
        aborted({ bytesFound: 5 }),
      ],
      SINCE,
    );

    // Assert
    expect(report.totals).toMatchObject({ uploads: 1, bytesFreed: 5, zeroPartUploads: 1 });
    expect(report.buckets[0]).toMatchObject({ uploads: 1, zeroPartUploads: 1 });
    expect(report.days).toEqual([{ day: '2026-12-01', uploads: 1, bytesFreed: 5 }]);
  });

  it('prices a record without class or region as us-east-1 STANDARD, and an unknown region with a note', () => {
    // Act
    const report = buildReport([aborted({ storageClass: undefined, region: undefined }), aborted({ region: 'xx-nowhere-1' })], SINCE);

    // Assert
    expect(report.buckets[0].byStorageClass.STANDARD).toEqual({ uploads: 2, bytesFreed: 2 * GB, monthlyCostAvoidedUsd: 0.046 });
    expect(report.priceNotes?.[0]).toMatch(/no price for region xx-nowhere-1/);
  });

  it('reports nothing, not an error, when no upload was aborted', () => {
    expect(buildReport([], SINCE)).toEqual({
      since: SINCE,
      totals: { uploads: 0, bytesFreed: 0, monthlyCostAvoidedUsd: 0, zeroPartUploads: 0 },
      buckets: [],
      days: [],
    });
  });
});

describe('the report query', () => {
  const NOW = new Date('2026-12-07T12:00:00Z');

  it('reads since as a duration back from now, 1h to 400d, default 30d', () => {
    expect(parseSince('30d', NOW)).toEqual({ since: SINCE });
    expect(parseSince('1h', NOW)).toEqual({ since: '2026-12-07T11:00:00.000Z' });
    expect(reportQuery(null, NOW)).toEqual({ since: SINCE });
    expect(reportQuery({ since: '400d', bucket: 'logs' }, NOW)).toEqual({ since: '2025-11-02T12:00:00.000Z', bucket: 'logs' });
  });

  it.each([['59m'], ['401d'], ['0s'], ['30 days'], ['']])('refuses since=%j naming the field', (since) => {
    expect(reportQuery({ since }, NOW)).toMatchObject({ field: 'since', rule: expect.stringMatching(/1h to 400d/) });
  });

  it('refuses a malformed bucket and an unknown parameter', () => {
    expect(reportQuery({ bucket: 'No_Such' }, NOW)).toMatchObject({ field: 'bucket' });
    expect(reportQuery({ limit: '5' }, NOW)).toMatchObject({ field: 'limit' });
  });
});

describe('GET /report', () => {
  it('queries every ABORTED shard of byStatusShard since the time, all pages, and answers the report', async () => {
    // Arrange: one shard answers two pages
    docMock.reset();
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':key': 'ABORTED#03', ':since': SINCE, ':bucket': 'logs' } })
      .resolvesOnce({ Items: [aborted({ bytesFound: 7 })], LastEvaluatedKey: { id: 'x' } })
      .resolvesOnce({ Items: [aborted({ bytesFound: 8 })] });

    // Act
    const result = await getReport(
      { doc, tableName: 'records', retentionSeconds: 7_776_000 },
      { since: '30d', bucket: 'logs' },
      new Date('2026-12-07T12:00:00Z'),
    );

    // Assert
    expect(result.statusCode).toBe(200);
    expect(result.body).toMatchObject({ since: SINCE, totals: { uploads: 2, bytesFreed: 15 } });
    const queries = docMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries).toHaveLength(17);
    expect(new Set(queries.map((q) => q.ExpressionAttributeValues?.[':key']))).toEqual(new Set(shardKeys('ABORTED')));
    expect(queries.every((q) => q.IndexName === INDEX_BY_STATUS && q.KeyConditionExpression === '#statusKey = :key AND #startedAt >= :since')).toBe(true);
    expect(queries[0].FilterExpression).toBe('#bucket = :bucket');
  });

  it('answers 400 naming since, and reads nothing, when since is out of range', async () => {
    docMock.reset();
    const refusal = await getReport({ doc, tableName: 'records', retentionSeconds: 7_776_000 }, { since: '500d' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(HttpError);
    expect(refusal).toMatchObject({ statusCode: 400, body: { field: 'since' } });
    expect(docMock.commandCalls(QueryCommand)).toHaveLength(0);
  });
});
