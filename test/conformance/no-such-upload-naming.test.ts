/**
 * ListParts' 404 NoSuchUpload under either name Step Functions may give it: the modeled `S3.NoSuchUploadException`
 * (expected: the AWS SDK for Java v2 registers S3's modeled errors for the whole client) or the generic `S3.S3Exception`
 * with S3's code or message in the cause (if Step Functions' S3 model lacked the error for ListParts, as S3's own
 * model does). The gone-path of abort-upload's check and of the sweep page's verify must take both, and nothing else.
 * The local dispatcher is told which naming to use (DispatcherOptions.genericErrors).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';
import { LocalStepFunctions } from '../../emulator/runtime.ts';
import { enteredStates, isGone } from '../support/abort-checks.ts';
import { runThroughProxy } from '../support/abort-faults.ts';
import { createBucket, createUpload, runAbort } from '../support/workflow.ts';
import { doc, expectCountersEqualRecords, moto, proxy, runtimeOptions, s3, startRuntime, sweep } from '../support/sweep-harness.ts';

const definition = (file: string) => JSON.parse(readFileSync(new URL(`../../statemachines/${file}`, import.meta.url), 'utf8'));
const GENERIC = { listParts: ['NoSuchUpload'] };
const NAMINGS = [
  ['S3.NoSuchUploadException', undefined],
  ['S3.S3Exception', GENERIC],
] as const;

/** the Choice of a definition, alone, with each of its targets a Pass state that ends the run with its own name */
async function choose(states: Record<string, Record<string, unknown>>, choice: string, input: unknown): Promise<string> {
  const state = states[choice] as { Choices: Array<{ Next: string }>; Default: string };
  const targets = new Set([...state.Choices.map((c) => c.Next), state.Default]);
  const machine = {
    StartAt: choice,
    States: { [choice]: state, ...Object.fromEntries([...targets].map((t) => [t, { Type: 'Pass', Result: t, End: true }])) },
  };
  const local = new LocalStepFunctions({ dispatcher: new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' }) });
  const { stateMachineArn } = local.createStateMachine({ name: 'choice', definition: JSON.stringify(machine) });
  const { executionArn } = local.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  const execution = await local.waitForExecution(executionArn);
  return JSON.parse(execution.output ?? 'null');
}

const CAUSES = {
  // AWS's message (S3 API Reference, error codes) in the AWS SDK for Java v2's format (test/fixtures/aws-recorded)
  'AWS, Java SDK v2': [
    'The specified upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed. (Service: S3, Status Code: 404, Request ID: R1, Extended Request ID: E1)',
    true,
  ],
  "moto's message": [
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed. (Service: S3, Status Code: 404, Request ID: R1)',
    true,
  ],
  'a cause naming the error code': ['Not Found (Service: S3, Status Code: 404, Error Code: NoSuchUpload, Request ID: R1)', true],
  "a cause naming the error code, Java SDK v1's format": [
    'Not Found (Service: Amazon S3; Status Code: 404; Error Code: NoSuchUpload; Request ID: R1; Proxy: null)',
    true,
  ],
  AccessDenied: ['Access Denied (Service: S3, Status Code: 403, Request ID: R1, Extended Request ID: E1)', false],
  SlowDown: ['Please reduce your request rate. (Service: S3, Status Code: 503, Request ID: R1)', false],
  'the message with another status': ['The specified upload does not exist (Service: S3, Status Code: 500, Request ID: R1)', false],
  'another error code that starts the same': ['Not Found (Service: S3, Status Code: 404, Error Code: NoSuchUploadPolicy, Request ID: R1)', false],
} as const;

describe('the gone-by-its-cause Choices', () => {
  const abortStates = definition('abort-upload.asl.json').States;
  const verify = definition('sweep-page.asl.json').States['Verify each upload'].ItemProcessor.States;
  const verifyAgain = definition('sweep-page.asl.json').States['Verify again'].ItemProcessor.States;

  it.each(Object.entries(CAUSES))('%s', async (_, [cause, gone]) => {
    // Act
    const abort = await choose(abortStates, "Upload gone, by S3's code?", { checkAnswer: { Error: 'S3.S3Exception', Cause: cause } });
    const first = await choose(verify, "Check it: gone, by S3's code?", { Error: 'S3.S3Exception', Cause: cause });
    const again = await choose(verifyAgain, "Check it again: gone, by S3's code?", { Error: 'S3.S3Exception', Cause: cause });

    // Assert
    expect([abort, first, again]).toEqual(
      gone
        ? ['Upload gone', 'Check it: no such upload', 'Check it again: no such upload']
        : ['Check failed', 'Check it: no answer', 'Check it again: no answer'],
    );
  });

  it('takes an error without a cause as a failure, not as a runtime error', async () => {
    expect(await choose(abortStates, "Upload gone, by S3's code?", { checkAnswer: { Error: 'S3.S3Exception' } })).toBe('Check failed');
    expect(await choose(verify, "Check it: gone, by S3's code?", { Error: 'S3.S3Exception' })).toBe('Check it: no answer');
  });
});

describe.each(NAMINGS)('ListParts answering 404 NoSuchUpload as %s', (name, genericErrors) => {
  it('abort-upload records ABORTED after its abort', async () => {
    // Arrange
    await createBucket(s3, `gone-${genericErrors ? 'generic' : 'modeled'}`);
    const upload = await createUpload(s3, `gone-${genericErrors ? 'generic' : 'modeled'}`, 'a/b.bin', [5, 7]);

    // Act
    const { execution, record } = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload, genericErrors });

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
    expect(record).toMatchObject({ status: 'ABORTED', attempts: 1, partsFound: 2, bytesFound: 12 });
    expect(record?.error).toBeUndefined();
    const path = enteredStates(execution.history);
    expect(path.includes("Upload gone, by S3's code?")).toBe(name === 'S3.S3Exception');
    expect(path.at(-3)).toBe('Record outcome');
    expect(await isGone(s3, upload)).toBe(true);
  });

  it('a sweep records every upload ABORTED, its counters equal to its records', async () => {
    // Arrange
    const bucket = `sweep-gone-${genericErrors ? 'generic' : 'modeled'}`;
    await createBucket(s3, bucket);
    await Promise.all(Array.from({ length: 6 }, (_, i) => createUpload(s3, bucket, `k-${i}`, [3])));
    const calls: string[] = [];
    const named = new TaskDispatcher({ endpoint: proxy.endpoint, genericErrors, onRequest: (service, action) => calls.push(`${service}:${action}`) });
    await startRuntime({ dispatcher: named });

    try {
      // Act
      const run = await sweep(`sweep-gone-${genericErrors ? 'generic' : 'modeled'}`, { targets: [{ bucket, olderThan: '1d' }], measure: false });

      // Assert
      expect(run.summary).toMatchObject({ status: 'COMPLETED', found: 6, aborted: 6, failed: 0, partsRemain: 0 });
      expect(run.records.map((r) => r.status)).toEqual(Array(6).fill('ABORTED'));
      expectCountersEqualRecords(run.summary, run.records);
      // the generic name is retried as any S3Exception (5 retries) before its cause is read: 6 ListParts per upload
      expect(calls.filter((c) => c === 's3:listParts')).toHaveLength(genericErrors ? 36 : 6);
    } finally {
      await startRuntime({ dispatcher: runtimeOptions.dispatcher });
      await named.destroy();
    }
  });
});

describe('ListParts answering another error as S3.S3Exception', () => {
  it("abort-upload records FAILED with S3's code, never ABORTED", async () => {
    // Arrange: the check's ListParts is refused 403 (every attempt)
    await createBucket(s3, 'gone-denied');
    const upload = await createUpload(s3, 'gone-denied', 'a/b.bin', [5]);
    const denied = (res: ServerResponse) =>
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId></Error>');
    const rule = {
      method: 'GET',
      url: (url: URL) => url.searchParams.get('max-parts') === '1',
      times: Number.POSITIVE_INFINITY,
      respond: denied,
    };

    // Act
    const { execution, record } = await runThroughProxy(moto.endpoint, [rule], { upload, genericErrors: GENERIC });

    // Assert
    expect(record).toMatchObject({ status: 'FAILED', error: 'AccessDenied' });
    expect(enteredStates(execution.history)).toContain('Check failed');
  });
});
