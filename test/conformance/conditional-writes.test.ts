/**
 * DynamoDB evaluates a write's condition and applies the write atomically ("condition expressions … are evaluated
 * atomically", DynamoDB Developer Guide, Condition expressions): of writes racing on one item under
 * attribute_not_exists, exactly one succeeds. moto_server does not lock: the local stack sends it one write at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../../lib/local/stack.ts';
import { awsClients } from '../support/workflow.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ tableName: 'atomic-records' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('conditional writes racing on one item', () => {
  it.each([
    [
      'PutItem',
      (doc: ReturnType<typeof awsClients>['doc'], i: number) =>
        doc.send(new PutCommand({ TableName: 'atomic-records', Item: { id: 'race-put', writer: i }, ConditionExpression: 'attribute_not_exists(id)' })),
    ],
    [
      'UpdateItem',
      (doc: ReturnType<typeof awsClients>['doc'], i: number) =>
        doc.send(
          new UpdateCommand({
            TableName: 'atomic-records',
            Key: { id: 'race-update' },
            UpdateExpression: 'SET #writer = :i',
            ConditionExpression: 'attribute_not_exists(#writer)',
            ExpressionAttributeNames: { '#writer': 'writer' },
            ExpressionAttributeValues: { ':i': i },
          }),
        ),
    ],
  ])('%s: exactly one of 30 at once succeeds', async (_name, write) => {
    // Arrange: a client per writer, so that the writes arrive on connections of their own
    const clients = Array.from({ length: 30 }, () => awsClients(stack.endpoint, { maxAttempts: 1 }));

    // Act
    const results = await Promise.allSettled(clients.map(({ doc }, i) => write(doc, i)));

    // Assert
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.every((r) => (r.reason as Error).name === 'ConditionalCheckFailedException')).toBe(true);
    for (const { dynamodb } of clients) dynamodb.destroy();
  });
});
