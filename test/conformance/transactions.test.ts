/**
 * TransactWriteItems on the local stack as DynamoDB answers it, for the rules the ledger relies on (lib/ledger.ts):
 * DynamoDB API reference, TransactWriteItems: a condition that fails cancels the whole transaction
 * (TransactionCanceledException), nothing is written, and CancellationReasons holds one entry per item in order, with
 * Code "ConditionalCheckFailed" for the item whose condition failed and "None" for the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ledgerUpdate, transact } from '../../lib/ledger.ts';
import { startMotoWithTable, TABLE, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  ({ moto, doc } = await startMotoWithTable());
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

const delta = { bucket: 'b', month: '2026-12', uploads: 1, bytesFreed: 10, zeroPartUploads: 0, classes: { 'us-east-1#STANDARD': { uploads: 1, bytes: 10 } } };
const marker = (id: string) => ({
  Put: { TableName: TABLE, Item: { id }, ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': 'id' } },
});

describe('TransactWriteItems', () => {
  it('writes every item, or none: a failed condition cancels the transaction with one reason per item', async () => {
    // Arrange
    await doc.send(new TransactWriteCommand({ TransactItems: [marker('m-1'), ledgerUpdate(TABLE, delta)] }));

    // Act
    const error = await doc.send(new TransactWriteCommand({ TransactItems: [ledgerUpdate(TABLE, delta), marker('m-1')] })).catch((e: unknown) => e);

    // Assert
    expect((error as Error).name).toBe('TransactionCanceledException');
    expect((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: 'ledger#b#2026-12' }, ConsistentRead: true }));
    expect(Item).toMatchObject({ uploads: 1, bytesFreed: 10, 'c#us-east-1#STANDARD#bytes': 10, statusKey: 'LEDGER', startedAt: '2026-12' });
  });

  it('transact() answers the reasons of a refused condition, and undefined once written', async () => {
    await doc.send(new PutCommand({ TableName: TABLE, Item: { id: 'm-2' } }));
    expect(await transact(doc, [marker('m-2'), ledgerUpdate(TABLE, { ...delta, bucket: 'c' })])).toEqual(['ConditionalCheckFailed', 'None']);
    expect(await transact(doc, [marker('m-3'), ledgerUpdate(TABLE, { ...delta, bucket: 'c' })])).toBeUndefined();
    const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { id: 'ledger#c#2026-12' }, ConsistentRead: true }));
    expect(Item?.uploads).toBe(1);
  });
});
