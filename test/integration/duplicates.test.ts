/**
 * One upload, asked for at once through the API, the CLI and an EventBridge event: one run does the work and
 * writes the one record; the others change nothing.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { recordId } from '../../lib/record-id.ts';
import { getRecord } from '../../lib/records.ts';
import { ABORT_UPLOAD_STATES, isAbortState } from '../../lib/state-names.ts';
import { awsClients, createBucket, createUpload, fastRetries } from '../support/workflow.ts';
import { cliProcess } from '../support/cli-process.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ apiPort: 0, waitTimeOverrides: { [ABORT_UPLOAD_STATES.waitForInFlightParts]: 20 }, retryIntervalOverrides: fastRetries() });
});

afterAll(async () => {
  await stack?.stop();
});

it('one upload requested through the API, the CLI and an event at once: one run aborts it, one record, the others change nothing', async () => {
  // Arrange
  const { s3, doc } = awsClients(stack.endpoint);
  await createBucket(s3 as S3Client, 'mpu-reaper-dup');
  const upload = await createUpload(s3 as S3Client, 'mpu-reaper-dup', 'dup/key', [100, 200, 300]);

  // Act
  const answers = await Promise.all([
    fetch(`${stack.apiUrl}/aborts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(upload) }).then((r) => r.status),
    cliProcess(stack.endpoint, ['abort', '--bucket', upload.bucket, '--key', upload.key, '--upload-id', upload.uploadId, '--json']).then((r) =>
      r.code === 0 ? 'cli ok' : `cli exit ${r.code}: ${r.stderr}`,
    ),
    fetch(stack.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: [{ Source: 'mpu-reaper', DetailType: 'Abort Multipart Upload Requested', Detail: JSON.stringify(upload) }] }),
    }).then(async (r) => ((await r.json()) as { FailedEntryCount: number }).FailedEntryCount),
  ]);
  const arn = stack.stateMachineArns.abortUpload;
  await vi.waitUntil(() => stack.runtime.listExecutions({ stateMachineArn: arn, statusFilter: 'RUNNING' }).executions.length === 0, {
    timeout: 10_000,
    interval: 50,
  });
  const executions = stack.runtime.listExecutions({ stateMachineArn: arn }).executions;
  const ends = executions.map((e) => {
    const entered = stack.runtime
      .getExecutionHistory({ executionArn: e.executionArn! })
      .events.map((event) => (event.stateEnteredEventDetails as { name?: string } | undefined)?.name)
      .filter((name): name is string => Boolean(name));
    return { aborted: entered.some(isAbortState), last: entered.at(-1) };
  });
  const record = await getRecord(doc, stack.tableName, recordId(upload.bucket, upload.key, upload.uploadId));

  // Assert: the API's and the CLI's runs share one deterministic name; the event's run finds the record taken
  // the API answers 202 when it claimed the record, 200 with the record when another entry was first
  expect([200, 202]).toContain(answers[0]);
  expect(answers.slice(1)).toEqual(['cli ok', 0]);
  expect(ends.filter((e) => e.aborted)).toHaveLength(1);
  for (const other of ends.filter((e) => !e.aborted)) {
    expect([ABORT_UPLOAD_STATES.anotherRunOwnsThisUpload, ABORT_UPLOAD_STATES.alreadyRecorded]).toContain(other.last);
  }
  expect(record).toMatchObject({ status: 'ABORTED', attempts: 1, partsFound: 3, bytesFound: 600 });
  s3.destroy();
  doc.destroy();
});
