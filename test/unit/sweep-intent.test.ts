/** A page's intent (lib/sweep/intent.ts): written before its aborts, reconciled by the resume when the page died unrecorded. */
import { gunzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { GetObjectCommand, ListPartsCommand, NoSuchKey, NoSuchUpload, PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { intentKey, reconcileIntent, writeIntent } from '../../lib/sweep/intent.ts';
import { recordId } from '../../lib/record-id.ts';
import type { AbortRecord } from '../../lib/records.ts';
import { deps as baseDeps, docMock, resetMocks, s3Mock, state, SWEEP_ARN } from '../support/sweep-steps.ts';

const deps = { ...baseDeps, intentsBucket: 'intents' };

beforeEach(() => {
  resetMocks();
  s3Mock.on(PutObjectCommand).resolves({});
});

const UPLOADS = [
  { k: 'k-0', u: 'U0', p: 1, b: 10 },
  { k: 'k-1', u: 'U1', p: 2, b: 20 },
  { k: 'k-2', u: 'U2', p: 3, b: 30 },
];

/** what writeIntent PUT, served back by GetObject */
function serveWrittenIntent() {
  const body = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input.Body as Buffer;
  s3Mock.on(GetObjectCommand, { Key: intentKey(state()) }).callsFake(() => ({ Body: { transformToByteArray: async () => new Uint8Array(body) } }));
  return body;
}

describe('writeIntent', () => {
  it("puts the page's uploads, gzipped, under the lane's key with the seq the page's checkpoint will have", async () => {
    // Act
    await writeIntent(deps, state({ seq: 4 }), '2026-11-22T11:59:00Z', UPLOADS);

    // Assert
    const { Bucket, Key, Body } = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect([Bucket, Key]).toEqual(['intents', 'intents/sweep-1/target-0']);
    expect(JSON.parse(gunzipSync(Body as Buffer).toString())).toEqual({
      seq: 5,
      listedAt: '2026-11-22T11:59:00Z',
      uploads: [
        ['k-0', 'U0', 1, 10],
        ['k-1', 'U1', 2, 20],
        ['k-2', 'U2', 3, 30],
      ],
    });
  });

  it('writes nothing for a dry run (it aborts nothing), an empty page, or without an intents bucket', async () => {
    // Act
    await writeIntent(deps, state({}, {}, { dryRun: true }), '2026-11-22T11:59:00Z', UPLOADS);
    await writeIntent(deps, state(), '2026-11-22T11:59:00Z', []);
    await writeIntent(baseDeps, state(), '2026-11-22T11:59:00Z', UPLOADS);

    // Assert
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('reconcileIntent', () => {
  const record = (k: string, u: string): AbortRecord =>
    ({ id: recordId('data-a', k, u), uploadId: u, status: 'ABORTED', executionArn: SWEEP_ARN }) as AbortRecord;

  it('counts what the page recorded, records ABORTED what is gone, and leaves what is still listed to the relisting', async () => {
    // Arrange: the page (seq 3) died after recording U0; U1 is gone, U2 still listed
    await writeIntent(deps, state({ seq: 2 }), '2026-11-22T11:59:00Z', UPLOADS);
    serveWrittenIntent();
    docMock
      .on(BatchGetCommand)
      .resolves({ Responses: { records: [{ id: recordId('data-a', 'k-0', 'U0'), status: 'ABORTED', executionArn: SWEEP_ARN, bytesFound: 10 }] } });
    s3Mock.on(ListPartsCommand, { UploadId: 'U1' }).rejects(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    s3Mock.on(ListPartsCommand, { UploadId: 'U2' }).resolves({ Parts: [{ PartNumber: 1, Size: 30 }] });
    const written: AbortRecord[] = [];

    // Act
    const result = await reconcileIntent(
      deps,
      state({ seq: 2 }),
      async (r) => {
        written.push(r);
        return { aborted: 1, bytesFound: 20, bytesFreed: 20 };
      },
      (item) => record(item.k, item.u),
    );

    // Assert
    expect(written.map((r) => r.uploadId)).toEqual(['U1']);
    expect(result).toMatchObject({ recorded: 2, left: 1, totals: { aborted: 2, found: 2, listed: 2, bytesFreed: 30 } });
  });

  it('ignores an intent the checkpoint has reached (the page was recorded), and a lane without one', async () => {
    // Arrange
    await writeIntent(deps, state({ seq: 2 }), '2026-11-22T11:59:00Z', UPLOADS);
    serveWrittenIntent();

    // Act / Assert
    expect(
      await reconcileIntent(
        deps,
        state({ seq: 3 }),
        async () => ({}),
        (item) => record(item.k, item.u),
      ),
    ).toBeUndefined();
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'none', $metadata: { httpStatusCode: 404 } }));
    expect(
      await reconcileIntent(
        deps,
        state({ seq: 2 }),
        async () => ({}),
        (item) => record(item.k, item.u),
      ),
    ).toBeUndefined();
    expect(s3Mock).not.toHaveReceivedCommand(ListPartsCommand);
  });
});
