/**
 * Second interpreter: the same statemachines/abort-upload.asl.json run by moto's own Step Functions engine.
 *
 * Substitution (see test/support/moto-interpreter.ts): moto cannot invoke Lambda here (it needs Docker), so ONLY the
 * definition's two lambda:invoke Task states are replaced by Pass states returning what our TypeScript returns:
 *  - "Prepare run" → prepareRun's real output, computed by this test against the same moto_server for the same input
 *    and for moto's execution ARN (it claims the record and measures the upload with ListParts, as the Lambda does);
 *  - "Record outcome" → the outcome of a clean abort; the test then feeds the state moto actually handed to "Record
 *    outcome" to the real recordOutcome, which must return that same outcome and write the record.
 * The native loop (Abort upload → Wait for in-flight parts → Check for remaining parts, its Choices and Catches) runs
 * on moto as written, against moto's S3: it must walk the same states as the local runtime and leave the upload aborted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { prepareRun, recordOutcome, type LoopState, type PreparedRun, type RecordedOutcome, type RunDeps } from '../../lib/abort-run.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { ABORT_SETTINGS_DEFAULTS, localSubstitutions, loadDefinition, STATE_MACHINES } from '../../lib/settings.ts';
import { runInput } from '../../lib/validation.ts';
import { abortAfterMeasure, runThroughProxy } from '../support/abort-faults.ts';
import { enteredStates, isGone, recordOf, toS3 } from '../support/abort-checks.ts';
import { enableMotoInterpreter, fromMotoState, motoExecutionArn, motoStateInput, replaceLambdaTasks, runOnMoto } from '../support/moto-interpreter.ts';
import { createBucket, createUpload, runAbort, startMotoWithTable, TABLE, type MotoServer, type Upload } from '../support/workflow.ts';

let moto: MotoServer;
let s3: S3Client;
let doc: DynamoDBDocumentClient;

// moto's interpreter runs one execution per moto_server process (a second StartExecution answers 500): a server per test
beforeEach(async () => {
  ({ moto, s3, doc } = await startMotoWithTable());
  await enableMotoInterpreter(moto.endpoint);
});

afterEach(async () => {
  await moto?.stop();
});

const SETTINGS = { ...ABORT_SETTINGS_DEFAULTS, FirstWaitSeconds: 0 };

/** prepareRun's real output for moto's execution, and the definition with its Lambda Tasks standing in */
async function prepareOnMoto(upload: Upload, name: string, outcome: (prepared: PreparedRun) => RecordedOutcome) {
  const executionArn = motoExecutionArn(name, 'run-1');
  const input = runInput(upload, 'api');
  const prepared = await prepareRun(deps(), {
    input,
    executionArn,
    startTime: new Date().toISOString(),
    settings: {
      firstWaitSeconds: SETTINGS.FirstWaitSeconds,
      maxWaitSeconds: SETTINGS.MaxWaitSeconds,
      maxAbortAttempts: SETTINGS.MaxAbortAttempts,
      retentionSeconds: SETTINGS.RecordRetentionSeconds,
    },
  });
  const expected = outcome(prepared);
  const definition = replaceLambdaTasks(loadDefinition(STATE_MACHINES.abortUpload.file, localSubstitutions(TABLE, SETTINGS)), {
    'Prepare run': prepared,
    'Record outcome': expected,
  });
  return { executionArn, input, prepared, expected, definition, run: () => runOnMoto(moto.endpoint, { name, executionName: 'run-1', definition, input }) };
}

const deps = (): RunDeps => ({ doc, s3, tableName: TABLE, allowlist: parseAllowlist('*') });

const COMPARED = ['status', 'bucket', 'key', 'attempts', 'partsFound', 'bytesFound', 'trigger', 'recordType'] as const;
const pick = (r: object | undefined) => Object.fromEntries(COMPARED.map((f) => [f, (r as Record<string, unknown>)[f]]));

describe("abort-upload on moto's own Step Functions interpreter", () => {
  it('walks the same states through the native abort/wait/ListParts loop as the local runtime, and the upload ends aborted', async () => {
    // Arrange: two identical uploads, one per interpreter; the settings the definition is deployed with
    await createBucket(s3, 'cross-check');
    const sizes = [5_242_880, 3_000, 17];
    const viaMoto = await createUpload(s3, 'cross-check', 'same/key.bin', sizes);
    const viaLocal = await createUpload(s3, 'cross-check', 'same/key.bin', sizes);
    const {
      prepared,
      expected: cleanAbort,
      executionArn,
      run,
    } = await prepareOnMoto(viaMoto, 'abort-upload-cross-check', (p) => ({
      id: p.run.id,
      status: 'ABORTED',
      ok: true,
      attempts: 1,
      partsFound: 3,
      bytesFound: 5_242_880 + 3_000 + 17,
    }));

    // Act
    const onMoto = await run();
    const handedToRecordOutcome = fromMotoState(motoStateInput(onMoto.history, 'Record outcome')) as LoopState;
    const recorded = await recordOutcome(deps(), handedToRecordOutcome);
    const local = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: viaLocal, trigger: 'api', settings: { FirstWaitSeconds: 0 } });

    // Assert: moto's interpreter ran the loop against moto's S3 and reached the outcome our TypeScript decides
    expect(prepared).toMatchObject({ next: 'abort', variant: 'plain', measure: { parts: 3, bytes: 5_242_880 + 3_000 + 17 } });
    expect(onMoto.execution.status, onMoto.execution.cause).toBe('SUCCEEDED');
    expect(JSON.parse(onMoto.execution.output!)).toEqual(cleanAbort);
    expect(handedToRecordOutcome.checkAnswer?.Error).toBe('S3.NoSuchUploadException');
    expect(recorded).toEqual(cleanAbort);
    expect(enteredStates(onMoto.history)).toEqual(enteredStates(local.execution.history));
    expect(enteredStates(onMoto.history)).toEqual(expect.arrayContaining(['Abort upload', 'Wait for in-flight parts', 'Check for remaining parts']));
    const motoRecord = await recordOf(doc, viaMoto);
    expect(motoRecord).toMatchObject({ status: 'ABORTED', attempts: 1, executionArn });
    expect(pick(motoRecord)).toEqual(pick(local.record));
    expect(await isGone(s3, viaMoto)).toBe(true);
    expect(await isGone(s3, viaLocal)).toBe(true);
  });

  it('takes the abort\'s NoSuchUpload (the upload vanished after the measure) to "Record outcome": NOT_FOUND, as the local runtime does', async () => {
    // Arrange: each upload is aborted by someone else right after its run measured it
    await createBucket(s3, 'vanishing');
    const viaMoto = await createUpload(s3, 'vanishing', 'k', [10, 20]);
    const viaLocal = await createUpload(s3, 'vanishing', 'k', [10, 20]);
    const { expected, run } = await prepareOnMoto(viaMoto, 'abort-upload-vanishing', (p) => ({
      id: p.run.id,
      status: 'NOT_FOUND',
      ok: true,
      attempts: 1,
      partsFound: 2,
      bytesFound: 30,
    }));
    await s3.send(new AbortMultipartUploadCommand(toS3(viaMoto)));

    // Act
    const onMoto = await run();
    const recorded = await recordOutcome(deps(), fromMotoState(motoStateInput(onMoto.history, 'Record outcome')) as LoopState);
    const local = await runThroughProxy(moto.endpoint, [abortAfterMeasure(s3, viaLocal)], {
      upload: viaLocal,
      trigger: 'api',
      settings: { FirstWaitSeconds: 0 },
    });

    // Assert
    expect(onMoto.execution.status, onMoto.execution.cause).toBe('SUCCEEDED');
    expect(recorded).toEqual(expected);
    expect(enteredStates(onMoto.history)).toEqual(enteredStates(local.execution.history));
    expect(enteredStates(onMoto.history)).not.toContain('Wait for in-flight parts');
    expect(pick(await recordOf(doc, viaMoto))).toEqual(pick(local.record));
    expect(local.record).toMatchObject({ status: 'NOT_FOUND', attempts: 1, cause: expect.stringMatching(/gone before its first abort/) });
  });
});
