/** A page's intent (lib/sweep/intent.ts): written before its aborts, reconciled by the resume when the page died unrecorded. */
import { gunzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ListPartsCommand, NoSuchUpload } from '@aws-sdk/client-s3';
import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { intentId, reconcileIntent, writeIntent } from '../../lib/sweep/intent.ts';
import { recordId } from '../../lib/record-id.ts';
import type { AbortRecord } from '../../lib/records.ts';
import { deps, docMock, resetMocks, s3Mock, state, SWEEP_ARN } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

const UPLOADS = [
  { k: 'k-0', u: 'U0', p: 1, b: 10 },
  { k: 'k-1', u: 'U1', p: 2, b: 20 },
  { k: 'k-2', u: 'U2', p: 3, b: 30 },
];

describe('writeIntent', () => {
  it("writes the page's uploads, gzipped, under the lane's intent id with the seq the page's checkpoint will have", async () => {
    // Act
    await writeIntent(deps, state({ seq: 4 }), '2026-11-22T11:59:00Z', UPLOADS, new Date('2026-11-22T12:00:00Z'));

    // Assert
    const item = docMock.commandCalls(PutCommand)[0].args[0].input.Item!;
    expect(item).toMatchObject({ id: intentId(state()), seq: 5, listedAt: '2026-11-22T11:59:00Z' });
    expect(JSON.parse(gunzipSync(item.uploads as Uint8Array).toString())).toEqual([
      ['k-0', 'U0', 1, 10],
      ['k-1', 'U1', 2, 20],
      ['k-2', 'U2', 3, 30],
    ]);
  });

  it('writes nothing for a dry run (it aborts nothing) or an empty page', async () => {
    // Act
    await writeIntent(deps, state({}, {}, { dryRun: true }), '2026-11-22T11:59:00Z', UPLOADS, new Date());
    await writeIntent(deps, state(), '2026-11-22T11:59:00Z', [], new Date());

    // Assert
    expect(docMock).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('reconcileIntent', () => {
  const record = (k: string, u: string): AbortRecord =>
    ({ id: recordId('data-a', k, u), status: 'ABORTED', executionArn: SWEEP_ARN, bytesFound: 0 }) as unknown as AbortRecord;

  it('counts what the page recorded, records ABORTED what is gone, and leaves what is still listed to the relisting', async () => {
    // Arrange: the page (seq 3) died after recording U0; U1 is gone, U2 still listed
    await writeIntent(deps, state({ seq: 2 }), '2026-11-22T11:59:00Z', UPLOADS, new Date());
    const intent = docMock.commandCalls(PutCommand)[0].args[0].input.Item!;
    docMock.on(GetCommand, { Key: { id: intentId(state()) } }).resolves({ Item: intent });
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
    expect(written.map((r) => r.uploadId ?? r.id)).toEqual([recordId('data-a', 'k-1', 'U1')]);
    expect(result).toMatchObject({ recorded: 2, left: 1, totals: { aborted: 2, found: 2, listed: 2, bytesFreed: 30 } });
  });

  it('ignores an intent the checkpoint has reached (the page was recorded)', async () => {
    // Arrange
    await writeIntent(deps, state({ seq: 2 }), '2026-11-22T11:59:00Z', UPLOADS, new Date());
    docMock.on(GetCommand, { Key: { id: intentId(state()) } }).resolves({ Item: docMock.commandCalls(PutCommand)[0].args[0].input.Item });

    // Act / Assert
    expect(
      await reconcileIntent(
        deps,
        state({ seq: 3 }),
        async () => ({}),
        (item) => record(item.k, item.u),
      ),
    ).toBeUndefined();
    expect(s3Mock).not.toHaveReceivedCommand(ListPartsCommand);
  });
});
