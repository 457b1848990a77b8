/** GET /aborts/{id} and GET /aborts (lib/api/aborts.ts): what they read from DynamoDB, and the requests they refuse. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { listAborts, readAbort } from '../../lib/api/aborts.ts';
import { deps, docMock } from '../support/doc-mock.ts';

beforeEach(() => {
  docMock.reset();
});

describe('GET /aborts/{id}', () => {
  it('answers 400 for an id that is not a record id, without reading DynamoDB', async () => {
    // Act / Assert
    await expect(readAbort(deps, 'not-an-id')).rejects.toMatchObject({ statusCode: 400, body: { field: 'id' } });
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
  });

  it('answers 404 for an unknown id', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({});

    // Act / Assert
    await expect(readAbort(deps, 'a'.repeat(64))).rejects.toMatchObject({ statusCode: 404, body: { error: 'NotFound' } });
  });
});

describe('GET /aborts', () => {
  it('queries every shard of the newest-first index, never scans, and hands back an opaque cursor', async () => {
    // Arrange: shard 00 has more records past the one it returns; the others are empty
    const lastKey = { id: 'x'.repeat(64), listKey: 'upload#00', startedAt: '2026-11-22T00:00:00Z' };
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'upload#00' } }).resolves({
      Items: [{ id: 'x'.repeat(64), status: 'ABORTED', error: '', listKey: 'upload#00', statusKey: 'ABORTED#00', startedAt: lastKey.startedAt }],
      LastEvaluatedKey: lastKey,
    });

    // Act
    const first = await listAborts(deps, { limit: '1' });
    docMock.resetHistory();
    await listAborts(deps, { cursor: first.body.cursor as string, bucket: 'b', limit: '1' });

    // Assert: the index keys stay inside; the next page goes on after the record in its shard, the others are done
    expect(first.body.items).toEqual([{ id: 'x'.repeat(64), status: 'ABORTED', startedAt: lastKey.startedAt, links: { self: `/aborts/${'x'.repeat(64)}` } }]);
    expect(docMock).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byShardStartedAt',
      ScanIndexForward: false,
      Limit: 1,
      ExclusiveStartKey: lastKey,
      FilterExpression: '#f0 = :f0',
      ExpressionAttributeNames: { '#pk': 'listKey', '#f0': 'bucket' },
      ExpressionAttributeValues: { ':pk': 'upload#00', ':f0': 'b' },
    });
  });

  it('uses the status index for ?status=, one query per shard', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    await listAborts(deps, { status: 'FAILED' });

    // Assert
    expect(docMock).toHaveReceivedCommandTimes(QueryCommand, 16);
    for (const shard of ['00', '07', '15']) {
      expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
        IndexName: 'byStatusShard',
        ExpressionAttributeNames: { '#pk': 'statusKey' },
        ExpressionAttributeValues: { ':pk': `FAILED#${shard}` },
      });
    }
  });

  it.each([
    [{ status: 'DONE' }, 'status'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ cursor: 'garbage' }, 'cursor'],
    [{ order: 'asc' }, 'order'],
  ])('answers 400 for %j naming %s', async (query, field) => {
    // Act / Assert
    await expect(listAborts(deps, query)).rejects.toMatchObject({ statusCode: 400, body: { field } });
    expect(docMock).not.toHaveReceivedCommand(QueryCommand);
  });
});
