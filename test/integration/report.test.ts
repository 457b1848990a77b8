/**
 * The report on the local stack: a sweep aborts uploads of three storage classes (the endpoint reports each upload's
 * real StorageClass, as S3 does), and `mpu-reaper report --json` and GET /report show what it freed, priced by class.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LocalStack } from '../../emulator/stack.ts';
import { monthlyCostUsd, priceOf } from '../../lib/scan/prices.ts';
import { awsClients, createBucket, createUpload, intoNextSecond, startApiStack } from '../support/workflow.ts';
import { cliProcess } from '../support/cli-process.ts';

const BUCKET = 'mpu-reaper-report';
let stack: LocalStack;
let s3: S3Client;

beforeAll(async () => {
  stack = await startApiStack();
  ({ s3 } = awsClients(stack.endpoint));
});

afterAll(async () => {
  await stack?.stop();
});

const api = async (path: string) => {
  const response = await fetch(`${stack.apiUrl}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('mpu-reaper report and GET /report on the local stack', () => {
  it('show the uploads a sweep aborted by storage class, the bytes freed and their monthly price, zero-part uploads apart', async () => {
    // Arrange: uploads of three classes, and one without parts
    await createBucket(s3, BUCKET);
    await Promise.all([
      createUpload(s3, BUCKET, 'std/0', [100, 200]),
      createUpload(s3, BUCKET, 'std/1', [300]),
      createUpload(s3, BUCKET, 'ia/0', [400], 'STANDARD_IA'),
      createUpload(s3, BUCKET, 'glacier/0', [500, 600], 'GLACIER'),
      createUpload(s3, BUCKET, 'empty/0', []),
    ]);
    await intoNextSecond();
    const started = await fetch(`${stack.apiUrl}/sweeps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ targets: [{ bucket: BUCKET, olderThan: '0s' }], force: true }),
    });
    const { id } = (await started.json()) as { id: string };
    let sweep: Record<string, unknown> = {};
    for (let i = 0; i < 300 && sweep.status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      sweep = (await api(`/sweeps/${id}`)).body;
    }
    expect(sweep).toMatchObject({ status: 'COMPLETED', aborted: 5 });
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).toHaveLength(0);

    // Act
    const { code, stdout, stderr } = await cliProcess(stack.endpoint, ['report', '--since', '1h', '--bucket', BUCKET, '--json']);
    const viaApi = await api(`/report?since=1h&bucket=${BUCKET}`);
    const refused = await api('/report?since=401d');

    // Assert
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    const cost = (bytes: number, cls: string) => monthlyCostUsd(bytes, priceOf('us-east-1', cls));
    expect(report.totals).toEqual({
      uploads: 4,
      bytesFreed: 2100,
      monthlyCostAvoidedUsd: expect.closeTo(cost(600, 'STANDARD') + cost(400, 'STANDARD_IA') + cost(1100, 'GLACIER'), 6),
      zeroPartUploads: 1,
    });
    expect(report.buckets).toEqual([
      expect.objectContaining({
        bucket: BUCKET,
        uploads: 4,
        bytesFreed: 2100,
        zeroPartUploads: 1,
        byStorageClass: {
          STANDARD: { uploads: 2, bytesFreed: 600, monthlyCostAvoidedUsd: cost(600, 'STANDARD') },
          STANDARD_IA: { uploads: 1, bytesFreed: 400, monthlyCostAvoidedUsd: cost(400, 'STANDARD_IA') },
          GLACIER: { uploads: 1, bytesFreed: 1100, monthlyCostAvoidedUsd: cost(1100, 'GLACIER') },
        },
      }),
    ]);
    expect(report.days).toEqual([{ day: new Date().toISOString().slice(0, 10), uploads: 4, bytesFreed: 2100 }]);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toMatchObject({ totals: report.totals, buckets: report.buckets });
    expect(refused).toMatchObject({ status: 400, body: { field: 'since' } });
  });

  it("records the storage class abort-upload's ListParts reports, and the region it runs in", async () => {
    // Arrange
    await createBucket(s3, 'mpu-reaper-report-one');
    const upload = await createUpload(s3, 'mpu-reaper-report-one', 'k', [50], 'ONEZONE_IA');

    // Act
    const created = await fetch(`${stack.apiUrl}/aborts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(upload) });
    const { id } = (await created.json()) as { id: string };
    let record: Record<string, unknown> = {};
    for (let i = 0; i < 200 && (record.status === undefined || record.status === 'RUNNING'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      record = (await api(`/aborts/${id}`)).body;
    }
    const report = await api('/report?since=1h&bucket=mpu-reaper-report-one');

    // Assert
    expect(record).toMatchObject({ status: 'ABORTED', bytesFound: 50, storageClass: 'ONEZONE_IA', region: 'us-east-1' });
    expect(report.body).toMatchObject({ totals: { uploads: 1, bytesFreed: 50 }, buckets: [{ byStorageClass: { ONEZONE_IA: { uploads: 1 } } }] });
  });
});
