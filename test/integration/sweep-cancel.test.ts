/**
 * Ending a sweep from outside on the local stack (the real ASL, the HTTP API, the interrupted-runs rule of
 * serverless.yml): DELETE /sweeps/{id} and `mpu-reaper sweep cancel` end it CANCELLED, a StopExecution STOPPED; either
 * way its executions end, and its counters equal the upload records it wrote, every aborted upload among them.
 */
import { describe, expect, it } from 'vitest';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { api, bucketOf, doc, expectTrueRecords, recordsOf, runCli, settled, sfn, stack, sweepRecord, until, useSweepStack } from '../support/sweep-stack.ts';

useSweepStack('cancel-records');

const events = {
  send: (command: PutEventsCommand) =>
    new EventBridgeClient({ endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }).send(command),
};
const sweepsWith = async (status: string) =>
  (
    await doc.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: 'recordType = :sweep AND #status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sweep': 'sweep', ':status': status },
      }),
    )
  ).Items ?? [];

describe('cancelling a sweep', () => {
  it('DELETE /sweeps/{id} ends a running sweep CANCELLED, its counters equal to the records it wrote', async () => {
    // Arrange: a sweep of 60 uploads, cancelled once it has recorded some
    const uploads = await bucketOf('cancel-api', 60);
    const started = await (await api('POST', '/sweeps', { targets: [{ bucket: 'cancel-api', olderThan: '1d' }] })).json();
    const id = (started as { id: string }).id;
    await until(async () => (await recordsOf(id)).length >= 10);

    // Act
    const response = await api('DELETE', `/sweeps/${id}`);
    const body = (await response.json()) as Record<string, unknown>;
    const run = await settled(id, 'cancel-api');

    // Assert
    expect(response.status).toBe(202);
    expect(body).toMatchObject({ id, status: 'CANCELLED', links: { self: `/sweeps/${id}` } });
    // ended by the interrupted-run rule (counters rebuilt from the records: talliedAt), or by its own finish step when
    // its page read CANCELLED and ended before the StopExecution landed (counters from the checkpoints): either way
    // CANCELLED, finished, and its counters equal its records (expectTrueRecords)
    expect(run.sweep).toMatchObject({ status: 'CANCELLED', error: 'SweepCancelled', finishedAt: expect.any(String) });
    expect(run.left.length).toBeGreaterThan(0); // it stopped before the end
    expect(Number(run.sweep.aborted)).toBeGreaterThanOrEqual(10);
    expectTrueRecords(run, uploads);
    const again = await api('DELETE', `/sweeps/${id}`);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'Conflict', status: 'CANCELLED' });
  });

  it('refuses what cannot be cancelled: an unknown id 404, a malformed id 400, a method without a route 405', async () => {
    // Act
    const unknown = await api('DELETE', '/sweeps/sweep-nothing-here');
    const malformed = await api('DELETE', `/sweeps/${encodeURIComponent('no such!')}`);
    const put = await api('PUT', '/sweeps/sweep-nothing-here', {});

    // Assert
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ field: 'id' });
    expect(put.status).toBe(405);
  });

  it('mpu-reaper sweep cancel ID cancels it too; a second cancel exits 1 with one line', async () => {
    // Arrange
    const uploads = await bucketOf('cancel-cli', 60);
    const id = 'sweep-cli-cancelled';
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.stateMachineArns.sweepUploads,
        name: id,
        input: JSON.stringify({ targets: [{ bucket: 'cancel-cli', olderThan: '1d' }], trigger: 'cli' }),
      }),
    );
    await until(async () => (await recordsOf(id)).length >= 5);
    const env = { AWS_ENDPOINT_URL: stack.endpoint, AWS_REGION: 'us-east-1', MPU_REAPER_TABLE: stack.tableName };

    // Act
    const first = await runCli(['sweep', 'cancel', id], env);
    const run = await settled(id, 'cancel-cli');
    const second = await runCli(['sweep', 'cancel', id], env);

    // Assert
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`cancelling sweep ${id}`);
    expect(run.sweep.status).toBe('CANCELLED');
    expectTrueRecords(run, uploads);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain('already ended: CANCELLED');
  });
});

describe('a sweep stopped from outside', () => {
  it('StopExecution ends it STOPPED with the counters of the records it wrote, never found 0', async () => {
    // Arrange
    const uploads = await bucketOf('stop-console', 60);
    const id = 'sweep-stopped-in-console';
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stack.stateMachineArns.sweepUploads,
        name: id,
        input: JSON.stringify({ targets: [{ bucket: 'stop-console', olderThan: '1d' }], trigger: 'api' }),
      }),
    );
    await until(async () => (await recordsOf(id)).length >= 10);

    // Act: what the console's "Stop execution" sends
    await sfn.send(new StopExecutionCommand({ executionArn }));
    const run = await settled(id, 'stop-console');

    // Assert
    expect(run.sweep).toMatchObject({ status: 'STOPPED', error: 'States.ExecutionAborted' });
    expect(Number(run.sweep.found)).toBeGreaterThanOrEqual(10);
    expect(run.left.length).toBeGreaterThan(0);
    expectTrueRecords(run, uploads);
    expect(stack.eventBus.failures).toEqual([]);
  });
});

describe('overlapping sweeps', () => {
  it("refuses a second sweep over a running sweep's bucket: 409 naming it from the API, recorded FAILED from an event", async () => {
    // Arrange: a sweep of the whole bucket is running
    await bucketOf('overlap', 60);
    const first = (await (await api('POST', '/sweeps', { targets: [{ bucket: 'overlap', olderThan: '1d' }] })).json()) as { id: string };
    await until(async () => (await sweepRecord(first.id))?.status === 'RUNNING');

    // Act
    const second = await api('POST', '/sweeps', { targets: [{ bucket: 'overlap', prefix: 'k-0', olderThan: '1d' }] });
    const other = await api('POST', '/sweeps', { targets: [{ bucket: 'cancel-api', olderThan: '1d' }], dryRun: true });
    const { Entries } = await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'mpu-reaper', DetailType: 'Sweep Requested', Detail: JSON.stringify({ targets: [{ bucket: 'overlap', olderThan: '1d' }] }) }],
      }),
    );
    const refused = await until(async () => {
      const failed = (await sweepsWith('FAILED')).find((s) => String(s.cause).includes(first.id));
      return failed;
    });
    await api('DELETE', `/sweeps/${first.id}`);
    await settled(first.id, 'overlap');

    // Assert
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: 'Conflict', field: 'targets[0]', runningSweep: first.id });
    expect(other.status).toBe(202); // another bucket is not an overlap
    expect(Entries?.[0].ErrorCode).toBeUndefined();
    expect(refused).toMatchObject({ status: 'FAILED', error: 'InvalidSweepRequest', cause: expect.stringContaining('overlaps the running sweep') });
  });

  it('answers an API abort of an upload a running sweep covers 409 Busy naming it: the sweep aborts and credits each upload once', async () => {
    // Arrange
    const uploads = await bucketOf('shared', 30);
    const started = (await (await api('POST', '/sweeps', { targets: [{ bucket: 'shared', olderThan: '1d' }] })).json()) as { id: string };
    await until(async () => (await sweepRecord(started.id))?.status === 'RUNNING');

    // Act: API aborts of five of its uploads while it runs
    const answers = await Promise.all(uploads.slice(0, 5).map((u) => api('POST', '/aborts', { bucket: 'shared', key: u.key, uploadId: u.uploadId })));
    const bodies = await Promise.all(answers.map((a) => a.json()));
    const run = await settled(started.id, 'shared', 60_000);

    // Assert
    expect(answers.map((a) => a.status)).toEqual([409, 409, 409, 409, 409]);
    for (const body of bodies) expect(body).toMatchObject({ error: 'Busy', runningSweep: started.id, message: expect.stringContaining(started.id) });
    expect(run.sweep).toMatchObject({ status: 'COMPLETED', aborted: 30, busy: 0 });
    expectTrueRecords(run, uploads);
    expect(run.records.every((r) => r.executionArn === run.sweep.executionArn && r.attempts === 1)).toBe(true);
  });
});
