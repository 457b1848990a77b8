/**
 * Second interpreter: the same statemachines/abort-upload.asl.json run by moto's own Step Functions engine,
 * for the clean case, must end with the same record as the local runtime produces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localSubstitutions, loadDefinition, STATE_MACHINES } from '../../lib/settings.ts';
import { getRecord } from '../../lib/records.ts';
import { recordId } from '../../lib/record-id.ts';
import { enableMotoInterpreter, runOnMoto } from '../support/moto-interpreter.ts';
import { createBucket, createUpload, runAbort, startMotoWithTable, TABLE, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let s3: S3Client;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  ({ moto, s3, doc } = await startMotoWithTable());
  await enableMotoInterpreter(moto.endpoint);
});

afterAll(async () => {
  await moto?.stop();
});

const COMPARED = ['status', 'bucket', 'key', 'uploadId', 'attempts', 'partsFound', 'bytesFound', 'trigger', 'expiresAt'] as const;

describe('abort-upload on moto\'s own Step Functions interpreter', () => {
  it('aborts a clean upload and writes the same record as the local runtime does', async () => {
    // Arrange: two identical uploads, one per interpreter
    await createBucket(s3, 'cross-check');
    const sizes = [5_242_880, 3_000, 17];
    const viaMoto = await createUpload(s3, 'cross-check', 'same/key.bin', sizes);
    const viaLocal = await createUpload(s3, 'cross-check', 'same/key.bin', sizes);
    const definition = loadDefinition(STATE_MACHINES.abortUpload.file, localSubstitutions(TABLE, { FirstWaitSeconds: 0 }));

    // Act
    const moto1 = await runOnMoto(moto.endpoint, { name: 'abort-upload-cross-check', definition, input: { ...viaMoto, trigger: 'test' } });
    const local = await runAbort({ dispatcherEndpoint: moto.endpoint, doc, upload: { ...viaLocal, trigger: 'test' } });
    const motoRecord = await getRecord(doc, TABLE, recordId(viaMoto.bucket, viaMoto.key, viaMoto.uploadId));

    // Assert
    expect(moto1.execution.status, moto1.execution.cause).toBe('SUCCEEDED');
    expect(motoRecord).toMatchObject({ status: 'ABORTED', partsFound: 3, bytesFound: 5_242_880 + 3_000 + 17, attempts: 1 });
    const pick = (r: object | undefined) => Object.fromEntries(COMPARED.map((f) => [f, (r as Record<string, unknown>)[f]]));
    expect(pick(motoRecord)).toEqual({ ...pick(local.record), uploadId: viaMoto.uploadId });
    expect(JSON.parse(moto1.execution.output!)).toMatchObject({ status: 'ABORTED', partsFound: 3, id: motoRecord!.id });
    const stateNames = (events: { type?: string; stateEnteredEventDetails?: { name?: string } }[]) => events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
    expect(stateNames(moto1.history)).toEqual(stateNames(local.execution.history));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'cross-check' }))).Uploads ?? []).toHaveLength(0);
  });
});
