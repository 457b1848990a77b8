import { describe, expect, it } from 'vitest';
import { DEPLOYED_LAYOUT, MAX_SHARE, UNSHARDED } from '../bench/aws-limits.ts';
import { DEFAULT_LANES, sweepTime } from '../bench/model.ts';
import { formatQuotaTable, quotaTable } from '../bench/quotas.ts';
import type { MeasuredDesign } from '../support/sweep-design.ts';

// a page as the published bench measured it on the local stack: 449 typical uploads, 5.95 s on AWS, 3 WRU a record
const design: MeasuredDesign = {
  name: 'verified and recorded',
  uploadsPerPage: 449,
  perRun: 3,
  pagesPerRun: 11,
  seconds: { express: 5.95, lambda: 0.2 },
  perUpload: { s3ListRequests: 1.001, dynamoWriteUnits: 3 },
  perPage: { standardTransitions: 3 / 11, expressRequests: 1 / 11 },
};
const time = sweepTime(design, 1_000_000, DEFAULT_LANES);
const row = (table: ReturnType<typeof quotaTable>, limit: string) => table.rows.find((r) => r.limit.startsWith(limit))!;

describe('the quota table of a 1,000,000-upload sweep', () => {
  it('applies the index keys to the time: one key each would put the floor at 1,000,000 writes / 700 a second', () => {
    expect(sweepTime(design, 1_000_000, DEFAULT_LANES, undefined, UNSHARDED).quotaFloor).toBeCloseTo(1_000_000 / 700, 0);
    expect(time.quotaFloor).toBeLessThan(time.lane);
  });

  it('sizes the shards for 5,000 record writes a second at half of a partition key', () => {
    expect(5000 / DEPLOYED_LAYOUT.startedAtKeys).toBeLessThanOrEqual(500);
  });

  it('finds the hot partition of indexes keyed by a value every upload record shares', () => {
    const table = quotaTable(design, time, UNSHARDED);
    // 20 lanes × 449 uploads / 5.95 s ≈ 1,509 record writes a second, all under one partition key of each index
    expect(row(table, 'DynamoDB byShardStartedAt').peak).toBeCloseTo((20 * 449) / 5.95, 0);
    expect(row(table, 'DynamoDB byShardStartedAt').share).toBeGreaterThan(1.5);
    expect(row(table, 'DynamoDB byStatusShard').share).toBeGreaterThan(1.5);
    expect(table.ok).toBe(false);
    expect(table.worst.limit).toMatch(/^DynamoDB by/);
    expect(formatQuotaTable(table)).toMatch(/OVER 70 %: DynamoDB byShardStartedAt, one partition key 151 %/);
  });

  it('holds every limit under 70 % with the indexes as deployed: each spreads its writes over 16 keys', () => {
    expect(DEPLOYED_LAYOUT).toEqual({ startedAtKeys: 16, statusKeys: 16 });
    const table = quotaTable(design, time, DEPLOYED_LAYOUT);
    expect(row(table, 'DynamoDB byShardStartedAt').share).toBeLessThan(0.1);
    expect(table.ok).toBe(true);
    expect(table.worst.share).toBeLessThanOrEqual(MAX_SHARE);
    expect(formatQuotaTable(table)).toMatch(/every share ≤ 70 %/);
  });

  it("takes S3's rates from the time model and names a source for every limit", () => {
    const table = quotaTable(design, time, UNSHARDED);
    expect(row(table, 'S3 DELETE').peak).toBe(time.deletesPerSecond);
    expect(row(table, 'S3 GET').peak).toBe(time.getsPerSecond);
    expect(table.rows.length).toBeGreaterThanOrEqual(10);
    for (const r of table.rows) {
      expect(r.allowed).toBeGreaterThan(0);
      expect(r.source.length).toBeGreaterThan(10);
    }
  });
});
