/**
 * `mpu-reaper scan` against moto_server through the local stack's proxy (each upload's real Initiated and StorageClass):
 * every bucket, pages of uploads, one ListParts per upload, dollars per class, lifecycle rules, errors as rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutBucketLifecycleConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import { startChaosProxy, type ChaosProxy } from '../../emulator/chaos.ts';
import { UploadFacts } from '../../emulator/upload-facts.ts';
import { scanAccount } from '../../lib/scan/scan.ts';
import { s3ForEnvironment } from '../../lib/cli/scan.ts';
import { BYTES_PER_GB, priceOf } from '../../lib/scan/prices.ts';
import { cli as runCli } from '../support/cli.ts';
import { awsClients, createBucket, createUpload, startMoto, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let proxy: ChaosProxy;
let s3: S3Client;
let env: NodeJS.ProcessEnv;
const cli = (argv: string[]) => runCli(argv, env);
const KiB = 1024;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startChaosProxy({ target: moto.endpoint, facts: new UploadFacts() });
  s3 = awsClients(proxy.endpoint).s3;
  env = { AWS_ENDPOINT_URL: proxy.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  for (const b of ['scan-costly', 'scan-covered', 'scan-empty']) await createBucket(s3, b);
  await createUpload(s3, 'scan-costly', 'std/a', [300 * KiB, 200 * KiB]);
  await createUpload(s3, 'scan-costly', 'std/b', [100 * KiB]);
  await createUpload(s3, 'scan-costly', 'ia/c', [400 * KiB], 'STANDARD_IA');
  await createUpload(s3, 'scan-costly', 'deep/d', [1000 * KiB], 'DEEP_ARCHIVE');
  await createUpload(s3, 'scan-costly', 'empty/e', []);
  await createUpload(s3, 'scan-covered', 'x', [10 * KiB]);
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: 'scan-covered',
      LifecycleConfiguration: {
        Rules: [
          { ID: 'tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          { ID: 'all', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
        ],
      },
    }),
  );
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await proxy?.close();
  await moto?.stop();
});

describe('mpu-reaper scan', () => {
  it('--json: every bucket, its uploads, parts, bytes by class, dollars, zero-part and active uploads, lifecycle rule; totals', async () => {
    // Act
    const { code, stdout, stderr } = await cli(['scan', '--json']);

    // Assert
    expect(code).toBe(0);
    expect(stderr).toMatch(/scanning: 3\/3 buckets/);
    const report = JSON.parse(stdout);
    expect(report.buckets.map((b: { bucket: string }) => b.bucket)).toEqual(['scan-costly', 'scan-covered', 'scan-empty']);
    const costly = report.buckets[0];
    expect(costly).toMatchObject({
      region: 'us-east-1',
      uploads: 5,
      parts: 5,
      bytes: 2000 * KiB,
      zeroPartUploads: 1,
      activeUploads: 5,
      lifecycleAbortDays: null,
    });
    expect(Object.keys(costly.byStorageClass).sort()).toEqual(['DEEP_ARCHIVE', 'STANDARD', 'STANDARD_IA']);
    expect(costly.byStorageClass.STANDARD).toMatchObject({ uploads: 3, parts: 3, bytes: 600 * KiB });
    // DEEP_ARCHIVE parts are priced as STANDARD (staging); STANDARD_IA at its own rate
    const expected = ((1600 * KiB) / BYTES_PER_GB) * priceOf('us-east-1', 'STANDARD').usdPerGbMonth + ((400 * KiB) / BYTES_PER_GB) * 0.0125;
    expect(costly.monthlyCostUsd).toBeCloseTo(expected, 5);
    expect(costly.byStorageClass.DEEP_ARCHIVE).toMatchObject({ billedAs: 'STANDARD', usdPerGbMonth: 0.023 });
    expect(Date.now() - Date.parse(costly.oldestInitiated)).toBeLessThan(120_000);
    expect(Date.now() - Date.parse(costly.lastPartAt)).toBeLessThan(120_000);
    expect(report.buckets[1]).toMatchObject({ uploads: 1, bytes: 10 * KiB, lifecycleAbortDays: 7 });
    expect(report.buckets[1].lifecycleAbortRules).toEqual([
      { id: 'tmp', days: 1, prefix: 'tmp/' },
      { id: 'all', days: 7, prefix: '' },
    ]);
    expect(report.buckets[2]).toMatchObject({ uploads: 0, oldestInitiated: null, lastPartAt: null, monthlyCostUsd: 0 });
    expect(report.totals).toMatchObject({
      uploads: 6,
      parts: 6,
      bytes: 2010 * KiB,
      zeroPartUploads: 1,
      bucketsWithoutAbortRule: ['scan-costly', 'scan-empty'],
    });
  });

  it('--older-than counts only uploads initiated before it (the stack reports real initiation times)', async () => {
    const { stdout } = await cli(['scan', '--older-than', '1h', '--json']);
    expect(JSON.parse(stdout).totals).toMatchObject({ uploads: 0, bytes: 0 });
  });

  it('prints an aligned table, largest cost first, and names the buckets without an abort rule; --csv one row per bucket', async () => {
    // Act
    const table = await cli(['scan', '--bucket', 'scan-covered', '--bucket', 'scan-costly', '--prefix', 'std/']);
    const csv = await cli(['scan', '--bucket', 'scan-costly', '--csv']);

    // Assert
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^BUCKET\s+REGION\s+UPLOADS\s+PARTS\s+BYTES\s+USD\/MONTH/);
    expect(lines[2]).toMatch(/^scan-costly\s+us-east-1\s+2\s+3\s+600\.0 KiB\s+\$0\.0000\s/);
    expect(lines[3]).toMatch(/^scan-covered\s+us-east-1\s+0\s+0\s+0 B\s+\$0\.00\s.*7d \(all\), 1d \(tmp\/\)|^scan-covered.*1d \(tmp\/\), 7d \(all\)/);
    expect(lines[4]).toMatch(/^TOTAL\s+2\s+3\s/);
    expect(table.stdout).toContain('No lifecycle rule aborts incomplete uploads in the whole bucket: scan-costly');
    expect(csv.stdout.split('\n')[0]).toBe(
      'bucket,region,uploads,parts,bytes,monthlyCostUsd,oldestInitiated,lastPartAt,activeUploads,zeroPartUploads,lifecycleAbortDays,byStorageClass,error',
    );
    expect(csv.stdout.split('\n')[1]).toMatch(
      /^scan-costly,us-east-1,5,5,2048000,[\d.]+,.*,5,1,,DEEP_ARCHIVE=1024000;STANDARD=614400;STANDARD_IA=409600,$|^scan-costly,us-east-1,5,5,2048000/,
    );
  });

  it('bad input: one line naming the flag or bucket, exit 2', async () => {
    for (const [argv, message] of [
      [['scan', '--bucket', 'no-such-bucket-here'], /--bucket no-such-bucket-here: the bucket does not exist/],
      [['scan', '--older-than', 'soon'], /--older-than: must be a duration/],
      [['scan', '--bucket', 'Bad_Name'], /--bucket Bad_Name: must be/],
      [['scan', '--region', 'moon'], /--region: must be a region name/],
      [['scan', '--json', '--csv'], /--json and --csv/],
      [['scan', '--frobnicate'], /frobnicate/],
    ] as const) {
      const { code, stderr, stdout } = await cli([...argv]);
      expect(code).toBe(2);
      if ((argv as readonly string[]).includes('--json')) {
        // --json asks for JSON: the error too, on stdout
        expect(JSON.parse(stdout)).toMatchObject({ error: 'UsageError', message: expect.stringMatching(message) });
        continue;
      }
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
    }
  });

  it('a bucket the caller may not list is a row with its error, not a failure', async () => {
    // Arrange
    proxy.chaos.setFaults([{ service: 's3', operation: 'ListMultipartUploads', error: { statusCode: 403, code: 'AccessDenied' }, times: 1 }]);

    // Act
    const { code, stdout } = await cli(['scan', '--bucket', 'scan-covered', '--json']);
    proxy.chaos.setFaults([]);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(stdout).buckets[0]).toMatchObject({ bucket: 'scan-covered', uploads: 0, error: expect.stringMatching(/^AccessDenied \(403\)/) });
  });

  it('503 SlowDown on ListParts and ListMultipartUploads is retried with backoff: every upload is still measured', async () => {
    // Arrange
    proxy.chaos.setFaults([
      { service: 's3', operation: 'ListParts', error: { statusCode: 503, code: 'SlowDown' }, probability: 0.5, seed: 7, times: 4 },
      { service: 's3', operation: 'ListMultipartUploads', error: { statusCode: 503, code: 'SlowDown' }, times: 2 },
    ]);

    // Act
    const { code, stdout } = await cli(['scan', '--bucket', 'scan-costly', '--json']);
    const injected = proxy.chaos.counts().injected;
    proxy.chaos.setFaults([]);

    // Assert
    expect(code).toBe(0);
    expect(injected).toBe(6);
    expect(JSON.parse(stdout).buckets[0]).toMatchObject({ uploads: 5, parts: 5, bytes: 2000 * KiB, uploadErrors: 0, error: null });
  });

  it('1,050 uploads (50 with a part): two ListMultipartUploads pages and exactly one ListParts per upload', async () => {
    // Arrange
    await createBucket(s3, 'scan-many');
    const keys = Array.from({ length: 1050 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k, j) => createUpload(s3, 'scan-many', k, i + j < 50 ? [1] : [])));
    const sent: Record<string, number> = {};
    const clients = s3ForEnvironment(env);
    const s3For = (region: string) => {
      const client = clients(region);
      if (!(client as unknown as { counted?: boolean }).counted) {
        (client as unknown as { counted?: boolean }).counted = true;
        client.middlewareStack.add(
          (next, context) => (args) => {
            sent[context.commandName as string] = (sent[context.commandName as string] ?? 0) + 1;
            return next(args);
          },
          { step: 'initialize' },
        );
      }
      return client;
    };

    // Act
    const report = await scanAccount(s3For, { buckets: ['scan-many'], defaultRegion: 'us-east-1' });

    // Assert
    expect(report.totals).toMatchObject({ uploads: 1050, parts: 50, bytes: 50, zeroPartUploads: 1000 });
    expect(sent).toEqual({ GetBucketLocationCommand: 1, GetBucketLifecycleConfigurationCommand: 1, ListMultipartUploadsCommand: 2, ListPartsCommand: 1050 });
  }, 120_000);
});
