/**
 * The sharded listings against a fake of the index that answers as DynamoDB's Query does (descending sort key, Limit
 * counting evaluated records before the filter, ExclusiveStartKey, LastEvaluatedKey whenever Limit was reached): paged
 * with any limit, every record is listed exactly once, newest first, whatever the shards and ties.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { listAborts } from '../../lib/api/aborts.ts';
import { indexShard, RECORD_INDEX_SHARDS, uploadIndexKeys } from '../../lib/records.ts';
import { deps, docMock } from '../support/doc-mock.ts';

type Item = Record<string, string>;

/** a GSI: per partition key, records by startedAt descending; records with the same startedAt in a fixed order (by id) */
function fakeIndex(items: Item[]) {
  return (input: QueryCommandInput) => {
    const pk = input.ExpressionAttributeNames!['#pk'];
    const value = input.ExpressionAttributeValues![':pk'];
    const ordered = items
      .filter((item) => item[pk] === value)
      .sort((a, b) => (a.startedAt === b.startedAt ? (a.id < b.id ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1));
    const start = input.ExclusiveStartKey ? ordered.findIndex((item) => item.id === input.ExclusiveStartKey!.id) + 1 : 0;
    if (input.ExclusiveStartKey && start === 0) throw new Error('the fake was given a start key it never returned');
    const evaluated = ordered.slice(start, start + input.Limit!);
    const filter = input.FilterExpression ? input.ExpressionAttributeValues![':f0'] : undefined;
    const last = evaluated.at(-1);
    return Promise.resolve({
      Items: evaluated.filter((item) => filter === undefined || item.bucket === filter),
      ...(evaluated.length === input.Limit && last ? { LastEvaluatedKey: { id: last.id, [pk]: value, startedAt: last.startedAt } } : {}),
    });
  };
}

const record = (n: number, second: number, bucket: string, status: string): Item => {
  const id = n.toString(16).padStart(64, '0');
  return { id, ...uploadIndexKeys(id, status), status, bucket, startedAt: `2026-12-07T10:00:${String(second).padStart(2, '0')}.000Z` };
};

async function listAll(query: Record<string, string>, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listAborts(deps, { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    ids.push(...(page.body.items as Item[]).map((item) => item.id));
    cursor = page.body.cursor as string | undefined;
    pages += 1;
    if (pages > 500) throw new Error('the listing does not end');
  } while (cursor);
  return { ids, pages };
}

const newestFirst = (items: Item[]) => [...items].sort((a, b) => (a.startedAt === b.startedAt ? 0 : a.startedAt < b.startedAt ? 1 : -1));

beforeEach(() => docMock.reset());

describe('sharded listings', () => {
  it('spreads upload records over every shard, each record always in the same one', () => {
    const shards = new Set(Array.from({ length: 2000 }, (_, n) => indexShard(n.toString(16).padStart(64, '0'))));
    expect(shards.size).toBe(RECORD_INDEX_SHARDS);
    expect(indexShard('a'.repeat(64))).toBe(indexShard('a'.repeat(64)));
    expect(uploadIndexKeys('a'.repeat(64), 'ABORTED')).toEqual({
      listKey: `upload#${indexShard('a'.repeat(64))}`,
      statusKey: `ABORTED#${indexShard('a'.repeat(64))}`,
    });
  });

  it('lists every record once, newest first, with any page size, shards, ties and bucket filter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ second: fc.integer({ min: 0, max: 5 }), bucket: fc.constantFrom('a', 'b'), status: fc.constantFrom('ABORTED', 'FAILED') }), {
          maxLength: 120,
        }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(undefined, 'a'),
        fc.constantFrom(undefined, 'ABORTED'),
        async (shape, limit, bucket, status) => {
          docMock.reset();
          const items = shape.map((s, n) => record(n, s.second, s.bucket, s.status));
          docMock.on(QueryCommand).callsFake(fakeIndex(items));
          const { ids } = await listAll({ ...(bucket ? { bucket } : {}), ...(status ? { status } : {}) }, limit);
          const expected = items.filter((item) => (!bucket || item.bucket === bucket) && (!status || item.status === status));
          expect([...ids].sort()).toEqual(expected.map((item) => item.id).sort());
          const seconds = ids.map((id) => items.find((item) => item.id === id)!.startedAt);
          expect(seconds).toEqual(newestFirst(expected).map((item) => item.startedAt));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fills a page when no filter drops records: 100 records, limit 25, four full pages', async () => {
    const items = Array.from({ length: 100 }, (_, n) => record(n, n % 60, 'a', 'ABORTED'));
    docMock.on(QueryCommand).callsFake(fakeIndex(items));
    const first = await listAborts(deps, { limit: '25' });
    expect(first.body.items).toHaveLength(25);
    const { ids, pages } = await listAll({}, 25);
    expect(ids).toHaveLength(100);
    expect(pages).toBe(4);
  });
});
