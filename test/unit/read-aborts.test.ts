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
  it('queries the newest-first index, never scans, and hands back an opaque cursor', async () => {
    // Arrange
    const lastKey = { id: 'x'.repeat(64), recordType: 'upload', startedAt: '2026-11-22T00:00:00Z' };
    docMock.on(QueryCommand).resolves({ Items: [{ id: 'x'.repeat(64), status: 'ABORTED', error: '' }], LastEvaluatedKey: lastKey });

    // Act
    const first = await listAborts(deps, { limit: '1' });
    await listAborts(deps, { cursor: first.body.cursor as string, bucket: 'b' });

    // Assert
    expect(first.body.items).toEqual([{ id: 'x'.repeat(64), status: 'ABORTED', links: { self: `/aborts/${'x'.repeat(64)}` } }]);
    expect(docMock).toHaveReceivedNthCommandWith(QueryCommand, 1, {
      IndexName: 'byStartedAt',
      ScanIndexForward: false,
      Limit: 1,
      ExpressionAttributeValues: { ':pk': 'upload' },
    });
    expect(docMock).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: lastKey,
      FilterExpression: '#f0 = :f0',
      ExpressionAttributeNames: { '#pk': 'recordType', '#f0': 'bucket' },
      ExpressionAttributeValues: { ':pk': 'upload', ':f0': 'b' },
    });
  });

  it('uses the status index for ?status=, keeping sweep records out', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    await listAborts(deps, { status: 'FAILED' });

    // Assert
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byStatus',
      FilterExpression: '#f0 = :f0',
      ExpressionAttributeNames: { '#pk': 'status', '#f0': 'recordType' },
      ExpressionAttributeValues: { ':pk': 'FAILED', ':f0': 'upload' },
    });
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
