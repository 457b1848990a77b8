/**
 * DynamoDB applies each request atomically. moto 5.2.1 serves requests on many threads without a lock, and its
 * TransactWriteItems deep-copies every table it names while other requests write them: "dictionary changed size
 * during iteration", answered 500 (the SDK's retries hid it: 30 times in one run of the suite). The stack's moto_server
 * applies one DynamoDB request at a time (emulator/python/sitecustomize.py); the stack's endpoint serves
 * TransactWriteItems itself, but tests and tools that talk to moto_server directly send them to moto.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoForFile } from '../support/moto-for-file.ts';

const moto = motoForFile();
let dynamodb: DynamoDBClient;
beforeAll(async () => {
  dynamodb = new DynamoDBClient({
    endpoint: moto.server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    maxAttempts: 1,
  });
  await dynamodb.send(
    new CreateTableCommand({
      TableName: 'atomic',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
}, 60_000);
afterAll(() => dynamodb?.destroy());

const put = (id: string) => dynamodb.send(new PutItemCommand({ TableName: 'atomic', Item: { id: { S: id }, pad: { S: 'p'.repeat(500) } } }));

describe("moto_server's DynamoDB, as the stack runs it", () => {
  it('answers every transaction sent while other requests write its table, at the first attempt', async () => {
    for (let batch = 0; batch < 10; batch += 1) await Promise.all(Array.from({ length: 100 }, (_, i) => put(`seed-${batch}-${i}`)));
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 === 0
          ? dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'atomic', Item: { id: { S: `tx-${i}` } } } }] }))
          : put(`during-${i}`)
        ).then(
          () => 'ok',
          (error: Error) => error.name,
        ),
      ),
    );
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    expect(moto.server.stderr()).not.toContain('changed size during iteration');
  });
});
