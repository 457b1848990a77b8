/**
 * TransactWriteItems as the local stack serves it (emulator/transactions.ts, in front of moto_server), for the rules the
 * ledger relies on (lib/ledger.ts). DynamoDB API reference, TransactWriteItems: a condition that fails cancels the
 * whole transaction (TransactionCanceledException), nothing is written, and CancellationReasons holds one entry per
 * item in order, "ConditionalCheckFailed" for each item whose condition failed and "None" for the others; at most 100
 * items, never two on one item (ValidationException); a ClientRequestToken repeated within 10 minutes "return[s]
 * successfully without making any changes", or IdempotentParameterMismatch with other parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startChaosProxy, type ChaosProxy } from '../../emulator/chaos.ts';
import { ledgerUpdate, transact } from '../../lib/ledger.ts';
import { awsClients, createTable, startMoto, TABLE, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let proxy: ChaosProxy;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startChaosProxy({ target: moto.endpoint });
  const clients = awsClients(proxy.endpoint);
  await createTable(clients.dynamodb);
  doc = clients.doc;
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});

const delta = (bucket: string) => ({
  bucket,
  month: '2026-12',
  uploads: 1,
  bytesFreed: 10,
  zeroPartUploads: 0,
  classes: { 'us-east-1#STANDARD': { uploads: 1, bytes: 10 } },
});
const marker = (id: string) => ({
  Put: { TableName: TABLE, Item: { id }, ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': 'id' } },
});
const read = async (id: string) => (await doc.send(new GetCommand({ TableName: TABLE, Key: { id }, ConsistentRead: true }))).Item;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as Error & { CancellationReasons?: Array<{ Code?: string; Item?: unknown }> },
  );

describe('TransactWriteItems on the local stack', () => {
  it('writes every item, or none: a failed condition cancels the transaction with one reason per item', async () => {
    // Arrange
    await doc.send(new TransactWriteCommand({ TransactItems: [marker('m-1'), ledgerUpdate(TABLE, delta('b'))] }));

    // Act
    const error = await failure(doc.send(new TransactWriteCommand({ TransactItems: [ledgerUpdate(TABLE, delta('b')), marker('m-1')] })));

    // Assert: the ledger's first ADD was put back
    expect(error?.name).toBe('TransactionCanceledException');
    expect(error?.CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(await read('ledger#b#2026-12')).toMatchObject({
      uploads: 1,
      bytesFreed: 10,
      'c#us-east-1#STANDARD#bytes': 10,
      statusKey: 'LEDGER',
      startedAt: '2026-12',
    });
  });

  it('transact() answers the reasons of a refused condition, and undefined once written', async () => {
    await doc.send(new PutCommand({ TableName: TABLE, Item: { id: 'm-2' } }));
    expect(await transact(doc, [marker('m-2'), ledgerUpdate(TABLE, delta('c'))])).toEqual(['ConditionalCheckFailed', 'None']);
    expect(await transact(doc, [marker('m-3'), ledgerUpdate(TABLE, delta('c'))])).toBeUndefined();
    expect((await read('ledger#c#2026-12'))?.uploads).toBe(1);
  });

  it('names every refused item, returns its old item when asked, and undoes a Put, an Update and a Delete', async () => {
    // Arrange
    await doc.send(new PutCommand({ TableName: TABLE, Item: { id: 'kept', n: 1 } }));
    await doc.send(new PutCommand({ TableName: TABLE, Item: { id: 'doomed', n: 2 } }));
    await doc.send(new PutCommand({ TableName: TABLE, Item: { id: 'taken', n: 3 } }));

    // Act
    const error = await failure(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            marker('fresh'),
            { Update: { TableName: TABLE, Key: { id: 'kept' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 9 } } },
            { Delete: { TableName: TABLE, Key: { id: 'doomed' } } },
            { ...marker('taken'), Put: { ...marker('taken').Put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
            { ConditionCheck: { TableName: TABLE, Key: { id: 'nowhere' }, ConditionExpression: 'attribute_exists(id)' } },
          ],
        }),
      ),
    );

    // Assert
    expect(error?.CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'None', 'None', 'ConditionalCheckFailed', 'ConditionalCheckFailed']);
    expect(error?.CancellationReasons?.[3].Item).toEqual({ id: { S: 'taken' }, n: { N: '3' } });
    expect(await read('fresh')).toBeUndefined();
    expect(await read('kept')).toEqual({ id: 'kept', n: 1 });
    expect(await read('doomed')).toEqual({ id: 'doomed', n: 2 });
    expect(await read('nowhere')).toBeUndefined();
  });

  it('writes nothing for a ConditionCheck that passes, even on an item that does not exist', async () => {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          marker('checked-with'),
          { ConditionCheck: { TableName: TABLE, Key: { id: 'absent' }, ConditionExpression: 'attribute_not_exists(id)' } },
        ],
      }),
    );
    expect(await read('checked-with')).toEqual({ id: 'checked-with' });
    expect(await read('absent')).toBeUndefined();
  });

  it('refuses two operations on one item, over 100 items, and a bad expression, writing nothing', async () => {
    const twice = await failure(
      doc.send(new TransactWriteCommand({ TransactItems: [marker('twice'), { Delete: { TableName: TABLE, Key: { id: 'twice' } } }] })),
    );
    expect([twice?.name, twice?.message]).toEqual(['ValidationException', 'Transaction request cannot include multiple operations on one item']);
    const many = await failure(doc.send(new TransactWriteCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => marker(`many-${i}`)) })));
    expect(many?.name).toBe('ValidationException');
    expect(many?.message).toMatch(/less than or equal to 100/);
    const bad = await failure(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [marker('before-bad'), { Update: { TableName: TABLE, Key: { id: 'bad' }, UpdateExpression: 'SET = broken' } }],
        }),
      ),
    );
    expect(bad?.name).toBe('ValidationException');
    expect(await read('twice')).toBeUndefined();
    expect(await read('many-0')).toBeUndefined();
    expect(await read('before-bad')).toBeUndefined();
  });

  it('answers a repeated client token with success and no second write, through any proxy, and a reused one with other items with a mismatch', async () => {
    // Arrange: the ledger's ADD, whose second application would count twice
    const items = [ledgerUpdate(TABLE, delta('token'))];
    const input = { TransactItems: items, ClientRequestToken: 'token-1' };
    await doc.send(new TransactWriteCommand(input));

    // Act: the repeat once through the same proxy, once through another in front of the same moto_server
    await doc.send(new TransactWriteCommand(input));
    const other = await startChaosProxy({ target: moto.endpoint });
    await awsClients(other.endpoint)
      .doc.send(new TransactWriteCommand(input))
      .finally(() => other.close());
    const mismatch = await failure(doc.send(new TransactWriteCommand({ ...input, TransactItems: [marker('other')] })));

    // Assert
    expect((await read('ledger#token#2026-12'))?.uploads).toBe(1);
    expect(mismatch?.name).toBe('IdempotentParameterMismatchException');
    expect(await read('other')).toBeUndefined();
  });

  it('runs concurrent transactions one at a time: of 20 racing for one marker, exactly one counts', async () => {
    const racers = Array.from({ length: 20 }, () => transact(doc, [marker('race'), ledgerUpdate(TABLE, delta('race'))]));
    const outcomes = await Promise.all(racers);
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(1);
    expect((await read('ledger#race#2026-12'))?.uploads).toBe(1);
  });

  it('answers a body that is not JSON as DynamoDB does, writing nothing', async () => {
    const response = await fetch(proxy.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.TransactWriteItems' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/SerializationException/);
  });
});
