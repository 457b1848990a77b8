/** mpu-reaper report (lib/cli/report.ts): the ABORTED records since a time, as a table or one JSON document. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { cli, docMock, resetMocks } from '../../support/cli.ts';

const GB = 2 ** 30;
const record = (over: Record<string, unknown>) => ({
  bucket: 'logs',
  status: 'ABORTED',
  startedAt: new Date(Date.now() - 86_400_000).toISOString(),
  finishedAt: '2026-12-01T10:00:05.000Z',
  partsFound: 1,
  bytesFound: GB,
  storageClass: 'STANDARD',
  region: 'us-east-1',
  ...over,
});

beforeEach(() => {
  resetMocks();
  docMock.on(QueryCommand).resolves({ Items: [] });
  docMock
    .on(QueryCommand, { ExpressionAttributeValues: { ':key': 'ABORTED#00' } }, false)
    .resolves({ Items: [record({}), record({ storageClass: 'STANDARD_IA', bytesFound: 2 * GB }), record({ partsFound: 0, bytesFound: 0 })] });
});

describe('mpu-reaper report', () => {
  it('prints one JSON document with totals, buckets by class and days, from the table the environment names', async () => {
    // Act
    const { code, stdout } = await cli(['report', '--since', '7d', '--json']);

    // Assert
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Date.now() - Date.parse(report.since)).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(report.totals).toEqual({ uploads: 2, bytesFreed: 3 * GB, monthlyCostAvoidedUsd: 0.048, zeroPartUploads: 1 });
    expect(report.buckets[0]).toMatchObject({
      bucket: 'logs',
      uploads: 2,
      zeroPartUploads: 1,
      byStorageClass: { STANDARD_IA: { uploads: 1, bytesFreed: 2 * GB } },
    });
    expect(report.days).toEqual([{ day: '2026-12-01', uploads: 2, bytesFreed: 3 * GB }]);
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, { TableName: 'records', IndexName: 'byStatusShard' });
  });

  it('prints the totals line and a table per bucket and per day, and filters by --bucket', async () => {
    // Act
    const { code, stdout } = await cli(['report', '--bucket', 'logs']);

    // Assert
    expect(code).toBe(0);
    expect(stdout).toMatch(/2 uploads aborted, 3\.0 GiB freed, \$0\.05\/month avoided; 1 with no parts/);
    expect(stdout).toMatch(/logs +2 +3\.0 GiB +\$0\.05 +STANDARD STANDARD_IA +1/);
    expect(stdout).toMatch(/2026-12-01 +2 +3\.0 GiB/);
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, { FilterExpression: '#bucket = :bucket' });
  });

  it.each([['30m'], ['401d'], ['soon']])('refuses --since %s with exit 2 naming the flag, reading nothing', async (since) => {
    // Act
    const { code, stderr } = await cli(['report', '--since', since]);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toMatch(/^mpu-reaper report: --since: must be a duration from 1h to 400d/);
    expect(docMock.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('refuses a malformed --bucket and an unknown flag with exit 2', async () => {
    expect(await cli(['report', '--bucket', 'Bad_Name'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--bucket: /) });
    expect(await cli(['report', '--graph', 'x.png'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/graph/) });
  });
});

describe('mpu-reaper report --chart', () => {
  it('writes a PNG of bytes freed per day by bucket, and still prints the report', async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'report-chart-'));
    const file = join(dir, 'freed.png');

    // Act
    const { code, stdout } = await cli(['report', '--since', '7d', '--json', '--chart', file]);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(stdout).totals.uploads).toBe(2);
    expect([...readFileSync(file).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  }, 30_000);

  it('refuses a file that is not .png, naming the flag, and reads nothing', async () => {
    const { code, stderr } = await cli(['report', '--chart', 'freed.svg']);
    expect(code).toBe(2);
    expect(stderr).toContain('--chart: must name a .png file');
    expect(docMock).not.toHaveReceivedCommand(QueryCommand);
  });
});
