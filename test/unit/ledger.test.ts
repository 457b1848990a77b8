/**
 * lib/ledger.ts and a sweep step's share (lib/sweep/ledger-step.ts), with mocked clients: what counts, and what each
 * answer of the transaction means (DynamoDB API reference, TransactWriteItems: CancellationReasons, one per item).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ledgerDeltas, transact } from '../../lib/ledger.ts';
import { commitLedgerStep } from '../../lib/sweep/ledger-step.ts';
import { deps, docMock, resetMocks, state } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
const aborted = { bucket: 'data-a', status: 'ABORTED' as const, startedAt: '2026-11-22T11:59:00.000Z', partsFound: 2, bytesFound: 10 };
const noSleep = async () => {};

describe('ledgerDeltas', () => {
  it('adds ABORTED uploads by bucket and month, by region and class, zero-part uploads apart; nothing else counts', () => {
    expect(
      ledgerDeltas([
        aborted,
        { ...aborted, storageClass: 'GLACIER', region: 'eu-west-1', bytesFound: 5 },
        { ...aborted, partsFound: 0, bytesFound: 0 },
        { ...aborted, startedAt: '2026-12-01T00:00:00.000Z' },
        { ...aborted, status: 'NOT_FOUND' },
        { ...aborted, status: 'WOULD_ABORT', dryRun: true },
      ]),
    ).toEqual([
      {
        bucket: 'data-a',
        month: '2026-11',
        uploads: 2,
        bytesFreed: 15,
        zeroPartUploads: 1,
        classes: { 'us-east-1#STANDARD': { uploads: 1, bytes: 10 }, 'eu-west-1#GLACIER': { uploads: 1, bytes: 5 } },
      },
      { bucket: 'data-a', month: '2026-12', uploads: 1, bytesFreed: 10, zeroPartUploads: 0, classes: { 'us-east-1#STANDARD': { uploads: 1, bytes: 10 } } },
    ]);
  });
});

describe('transact', () => {
  it('retries a cancellation caused by TransactionConflict alone, and answers a refused condition at once', async () => {
    docMock.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolvesOnce({});
    expect(await transact(deps.doc, [{}, {}], noSleep)).toBeUndefined();
    expect(docMock).toHaveReceivedCommandTimes(TransactWriteCommand, 2);

    docMock.reset();
    docMock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'TransactionConflict'));
    expect(await transact(deps.doc, [{}, {}], noSleep)).toEqual(['ConditionalCheckFailed', 'TransactionConflict']);
    expect(docMock).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('lets any other error through (a retried Lambda writes again: the conditions make it harmless)', async () => {
    docMock.on(TransactWriteCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(transact(deps.doc, [{}], noSleep)).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe("a sweep step's share", () => {
  const checkpoint = { TableName: 'records', Item: { id: 'sweep-1#target-0', seq: 5 } };

  it('writes nothing for a step that aborted nothing', async () => {
    expect(await commitLedgerStep(deps, state(), 5, [{ ...aborted, status: 'NOT_FOUND' }], new Date(), checkpoint)).toBe('none');
    expect(docMock).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('reads the reasons: the checkpoint refused is a stale step, the marker refused a step counted already', async () => {
    docMock
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('ConditionalCheckFailed', 'None', 'None'))
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None'));
    expect(await commitLedgerStep(deps, state(), 5, [aborted], new Date(), checkpoint)).toBe('stale');
    expect(await commitLedgerStep(deps, state(), 5, [aborted], new Date(), checkpoint)).toBe('counted');
    const [first] = docMock.commandCalls(TransactWriteCommand);
    expect(first.args[0].input.TransactItems?.[1].Put?.Item).toMatchObject({ id: 'sweep-1#target-0#ledger#5', recordType: 'ledger-marker' });
  });

  it("a cancel's reconcile (no checkpoint): the marker alone guards the ADD", async () => {
    docMock.on(TransactWriteCommand).rejectsOnce(cancelled('ConditionalCheckFailed', 'None')).resolvesOnce({});
    expect(await commitLedgerStep(deps, state(), 6, [aborted], new Date())).toBe('counted');
    expect(await commitLedgerStep(deps, state(), 6, [aborted], new Date())).toBe('written');
  });
});
