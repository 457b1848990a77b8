/**
 * A dry run's plan over the local stack's HTTP API (the routes of serverless.yml, the functions/ handlers) and the CLI
 * (bin/mpu-reaper.ts in its own process): review it, apply it once, and the API's answers to bad requests.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { awsClients, createBucket, createUpload, fastRetries, intoNextSecond } from '../support/workflow.ts';
import { cliProcess } from '../support/cli-process.ts';

let stack: LocalStack;
let s3: S3Client;

beforeAll(async () => {
  // uploads just created: the activity guard's default window off (activity-guard.test.ts tests it)
  stack = await startLocalStack({ apiPort: 0, allowedBuckets: 'mpu-reaper-*', settings: { SweepActiveWithin: 0 }, retryIntervalOverrides: fastRetries() });
  ({ s3 } = awsClients(stack.endpoint));
});

afterAll(async () => {
  await stack?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const init = method === 'POST' ? { body: JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json' } } : {};
  const response = await fetch(`${stack.apiUrl}${path}`, { method, ...init });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const sweepEnded = (id: string): Promise<Record<string, unknown>> =>
  vi.waitFor(
    async () => {
      const { body } = await api('GET', `/sweeps/${id}`);
      if (body.status === undefined || body.status === 'RUNNING') throw new Error(`sweep ${id} did not end`);
      return body;
    },
    { timeout: 30_000, interval: 100 },
  );

const cli = (args: string[]) => cliProcess(stack.endpoint, args);

describe('GET /sweeps/{id}/plan and POST /sweeps/{id}/apply on the local stack', () => {
  it('dry run → plan (API and CLI) → apply → the planned uploads aborted, the plan names its sweep; apply again → 409', async () => {
    // Arrange: a dry run over 5 uploads
    await createBucket(s3, 'mpu-reaper-plan-api');
    const uploads = await Promise.all(Array.from({ length: 5 }, (_, i) => createUpload(s3, 'mpu-reaper-plan-api', `p/${i}`, [2])));
    // the endpoint reports each upload's real Initiated: old enough for "0s" from the next second on (force: below the minimum age)
    await intoNextSecond();
    const started = await api('POST', '/sweeps', { targets: [{ bucket: 'mpu-reaper-plan-api', olderThan: '0s' }], dryRun: true, force: true });
    const dryRunId = String(started.body.id);
    expect(await sweepEnded(dryRunId)).toMatchObject({ status: 'COMPLETED', wouldAbort: 5 });

    // Act: review it over HTTP in pages of 2, and as CSV with the CLI
    const pages: Array<Record<string, unknown>> = [];
    let cursor: unknown;
    do {
      const { status, body } = await api('GET', `/sweeps/${dryRunId}/plan?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      pages.push(body);
      cursor = body.cursor;
    } while (cursor);
    const csv = await cli(['sweep', 'plan', dryRunId, '--csv']);

    // Assert
    expect(pages.map((p) => (p.items as unknown[]).length)).toEqual([2, 2, 1]);
    const planned = pages.flatMap((p) => p.items as Array<{ uploadId: string; parts: number; bytes: number }>);
    expect(planned.map((u) => u.uploadId).sort()).toEqual(uploads.map((u) => u.uploadId).sort());
    expect(planned.every((u) => u.parts === 1 && u.bytes === 2)).toBe(true);
    expect(csv.code).toBe(0);
    expect(csv.stdout.trim().split('\n')).toHaveLength(6);

    // Act: apply it over HTTP
    const applied = await api('POST', `/sweeps/${dryRunId}/apply`);
    const sweepId = String(applied.body.id);
    const summary = await sweepEnded(sweepId);

    // Assert
    expect(applied).toMatchObject({ status: 202, body: { planId: dryRunId, status: 'RUNNING' } });
    expect(summary).toMatchObject({ status: 'COMPLETED', planId: dryRunId, found: 5, aborted: 5, dryRun: false });
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'mpu-reaper-plan-api' }))).Uploads ?? []).toHaveLength(0);
    expect((await api('GET', `/sweeps/${dryRunId}`)).body).toMatchObject({ appliedBy: sweepId });
    expect((await api('GET', `/sweeps/${dryRunId}/plan`)).body).toMatchObject({ appliedBy: sweepId });

    // Act / Assert: applied twice → 409 over HTTP and exit 1 from the CLI, naming the sweep that applied it
    expect(await api('POST', `/sweeps/${dryRunId}/apply`)).toMatchObject({ status: 409, body: { error: 'PlanAlreadyApplied' } });
    const again = await cli(['sweep', 'apply', dryRunId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(sweepId);
    // a sweep that is not a dry run has no plan
    expect(await api('GET', `/sweeps/${sweepId}/plan`)).toMatchObject({ status: 409, body: { error: 'NotADryRun' } });
  });

  it.each([
    ['GET', '/sweeps/not%20an%20id/plan', 400, 'id'],
    ['POST', '/sweeps/not%20an%20id/apply', 400, 'id'],
    ['GET', '/sweeps/sweep-unknown/plan', 404, undefined],
    ['POST', '/sweeps/sweep-unknown/apply', 404, undefined],
  ])('%s %s → %i with a JSON error', async (method, path, status, field) => {
    const answer = await api(method, path);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String), ...(field ? { field } : {}) });
  });
});
