/** GET /aborts and GET /sweeps: forged cursors and prototype names are client errors (400), never 500s or matches. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { listAborts } from '../../lib/api/aborts.ts';
import { listSweeps } from '../../lib/api/sweeps.ts';
import { deps, docMock } from '../support/doc-mock.ts';

const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
const position = ['a'.repeat(64), '2026-11-22T00:00:00Z'];
// a cursor of GET /aborts: shard 03 goes on after a record, the others are done
const validCursor = Array.from({ length: 16 }, (_, i) => (i === 3 ? position : 'done'));

beforeEach(() => {
  docMock.reset();
  docMock.on(QueryCommand).resolves({ Items: [] });
});

describe('cursor', () => {
  it('passes a cursor of this listing back to DynamoDB as the ExclusiveStartKey of its shard', async () => {
    await listAborts(deps, { cursor: cursorOf(validCursor) });
    expect(docMock).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':pk': 'upload#03' },
      ExclusiveStartKey: { id: position[0], listKey: 'upload#03', startedAt: position[1] },
    });
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['an object', cursorOf({ id: position[0], listKey: 'upload#03', startedAt: position[1] })],
    ['JSON null', cursorOf(null)],
    ['one shard too few', cursorOf(validCursor.slice(1))],
    ['one shard too many', cursorOf([...validCursor, null])],
    ['every shard done', cursorOf(validCursor.map(() => 'done'))],
    ['a position without its sort key', cursorOf(validCursor.map((p) => (p === position ? [position[0]] : p)))],
    ['a number for a string', cursorOf(validCursor.map((p) => (p === position ? [position[0], 5] : p)))],
    ['an empty id', cursorOf(validCursor.map((p) => (p === position ? ['', position[1]] : p)))],
    ['a DynamoDB attribute value', cursorOf(validCursor.map((p) => (p === position ? [{ S: 'x' }, position[1]] : p)))],
    ['another word than done', cursorOf(validCursor.map((p) => (p === 'done' ? 'finished' : p)))],
  ])('answers 400 naming cursor for %s, without querying', async (_, cursor) => {
    await expect(listAborts(deps, { cursor })).rejects.toMatchObject({ statusCode: 400, body: { field: 'cursor' } });
    expect(docMock).not.toHaveReceivedCommand(QueryCommand);
  });

  it('answers 400 naming cursor when DynamoDB refuses a well-formed cursor as a start key', async () => {
    // Arrange
    docMock.on(QueryCommand).rejects(Object.assign(new Error('The provided starting key is invalid'), { name: 'ValidationException' }));

    // Act / Assert
    await expect(listAborts(deps, { cursor: cursorOf(validCursor) })).rejects.toMatchObject({ statusCode: 400, body: { field: 'cursor' } });
    await expect(listAborts(deps, {})).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it("checks a sweep cursor against the sweeps' one partition", async () => {
    await expect(listSweeps(deps, { cursor: cursorOf(validCursor) })).rejects.toMatchObject({ statusCode: 400, body: { field: 'cursor' } });
    await listSweeps(deps, { cursor: cursorOf([position]) });
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, { ExclusiveStartKey: { id: position[0], listKey: 'sweep', startedAt: position[1] } });
  });
});

describe('query values are own-property lookups', () => {
  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty'])('answers 400 naming status for status=%s', async (status) => {
    await expect(listAborts(deps, { status })).rejects.toMatchObject({ statusCode: 400, body: { field: 'status' } });
    await expect(listSweeps(deps, { status })).rejects.toMatchObject({ statusCode: 400, body: { field: 'status' } });
    expect(docMock).not.toHaveReceivedCommand(QueryCommand);
  });

  it('answers 400 for a query parameter named __proto__', async () => {
    const query = Object.fromEntries([['__proto__', 'x']]);
    await expect(listAborts(deps, query)).rejects.toMatchObject({ statusCode: 400, body: { field: '__proto__' } });
  });

  it('still accepts every real status', async () => {
    await listAborts(deps, { status: 'PARTS_REMAIN' });
    await listSweeps(deps, { status: 'COMPLETED_WITH_ERRORS' });
    // 16 shards of PARTS_REMAIN, the sweeps' one partition
    expect(docMock).toHaveReceivedCommandTimes(QueryCommand, 17);
  });
});

describe('limit', () => {
  it.each(['0x10', '1e2', ' 5', '5.0', '-1', '0', '101', ''])('answers 400 naming limit for limit=%j, without querying', async (limit) => {
    await expect(listAborts(deps, { limit })).rejects.toMatchObject({
      statusCode: 400,
      body: { field: 'limit', rule: expect.stringContaining('decimal digits') },
    });
    await expect(listSweeps(deps, { limit })).rejects.toMatchObject({ statusCode: 400, body: { field: 'limit' } });
    expect(docMock).not.toHaveReceivedCommand(QueryCommand);
  });

  it('passes a decimal limit to DynamoDB', async () => {
    await listAborts(deps, { limit: '16' });
    await listSweeps(deps, { limit: '100' });
    // GET /aborts queries each of its 16 shards with the limit, GET /sweeps its one partition
    expect(docMock).toHaveReceivedCommandTimes(QueryCommand, 17);
    expect(docMock).toHaveReceivedNthCommandWith(QueryCommand, 1, { Limit: 16 });
    expect(docMock).toHaveReceivedNthCommandWith(QueryCommand, 17, { Limit: 100 });
  });
});
