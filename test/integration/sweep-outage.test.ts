/**
 * A DynamoDB outage in the middle of a sweep, made with the Chaos API (emulator/chaos.ts): every DynamoDB write fails
 * for 30 seconds, then DynamoDB answers again. The sweep must end with every upload it aborted recorded (pages that died
 * unrecorded are reconciled from their intent) and counters equal to its records; GET /sweeps/{id} answers 503 with a
 * Retry-After while DynamoDB does not answer.
 */
import { LEASE_SECONDS } from '../../lib/sweep/page-lease.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../emulator/fault-rules.ts';
import { api, bucketOf, expectTrueRecords, recordsOf, settled, stack, until, useSweepStack } from '../support/sweep-stack.ts';

useSweepStack('outage-records');

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
const failing = (operations: string[]): FaultRule[] =>
  operations.map((operation) => ({ service: 'dynamodb', operation, error: { statusCode: 500, code: 'InternalServerError' } }));

afterEach(() => stack.chaos.setFaults([]));

describe('a DynamoDB outage during a sweep', () => {
  // a page that took its lane's lease and died in the outage holds it up to LEASE_SECONDS (lib/sweep/page-lease.ts): the
  // lane goes on after that, so the sweep may take that long more to settle
  const settleMs = (LEASE_SECONDS + 120) * 1000;
  it('ends with every aborted upload recorded once DynamoDB answers again, counters equal to records', { timeout: settleMs + 60_000 }, async () => {
    // Arrange: a sweep of 60 uploads, 5 a page; the outage starts once it has recorded some
    const uploads = await bucketOf('outage', 60);
    const started = (await (await api('POST', '/sweeps', { targets: [{ bucket: 'outage', olderThan: '1d' }] })).json()) as { id: string };
    await until(async () => (await recordsOf(started.id)).length >= 10);

    // Act: every DynamoDB write fails for 30 s
    stack.chaos.setFaults(failing(WRITES));
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    const injected = stack.chaos.faults().reduce((sum, rule) => sum + (rule.injected ?? 0), 0);
    stack.chaos.setFaults([]);
    const run = await settled(started.id, 'outage', settleMs);

    // Assert
    expect(injected).toBeGreaterThan(0);
    expect(run.sweep.status).not.toBe('RUNNING');
    expectTrueRecords(run, uploads);
    expect(Number(run.sweep.found)).toBe(run.records.length + Number(run.sweep.busy));
  });

  it('GET /sweeps/{id} answers 503 with a Retry-After while DynamoDB does not answer, 200 again after', async () => {
    // Arrange
    const started = (await (await api('POST', '/sweeps', { targets: [{ bucket: 'outage', olderThan: '1d' }], dryRun: true })).json()) as { id: string };
    await until(async () => (await api('GET', `/sweeps/${started.id}`)).status === 200);
    stack.chaos.setFaults(failing(['GetItem']));

    // Act
    const during = await api('GET', `/sweeps/${started.id}`);
    stack.chaos.setFaults([]);
    const after = await api('GET', `/sweeps/${started.id}`);

    // Assert
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(await during.json()).toMatchObject({ error: 'ServiceUnavailable', retryAfterSeconds: 5 });
    expect(after.status).toBe(200);
  });
});
