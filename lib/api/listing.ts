/** Newest-first listings from the table's indexes (never a Scan), paginated with an opaque cursor. */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { badRequest } from '../http/errors.ts';
import { wholeNumber } from '../validation.ts';

/** the sort key of every listing index (byShardStartedAt, byStatusShard) */
const SORT_KEY = 'startedAt';

/**
 * Where each shard of a listing goes on: null, from its newest record; "done", nothing left; [id, startedAt], after
 * that record (with the shard's partition key, the index's ExclusiveStartKey: exact even when records share startedAt).
 */
type ShardPosition = null | 'done' | [string, string];

const invalidCursor = () => badRequest('cursor', 'must be a cursor returned by a previous page of this listing');

const encodeCursor = (positions: ShardPosition[]) => Buffer.from(JSON.stringify(positions)).toString('base64url');

/**
 * A cursor back to its positions, refused (400 naming `cursor`) unless it has that shape: one position per shard of
 * this listing, each null, "done" or two strings. A forged cursor DynamoDB would reject never reaches it.
 */
function decodeCursor(cursor: string, shards: number): ShardPosition[] {
  let positions: unknown;
  try {
    positions = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    /* refused below */
  }
  const isPosition = (p: unknown): p is ShardPosition =>
    p === null || p === 'done' || (Array.isArray(p) && p.length === 2 && p.every((part) => typeof part === 'string' && part.length > 0));
  if (!Array.isArray(positions) || positions.length !== shards || !positions.every(isPosition) || positions.every((p) => p === 'done')) {
    throw invalidCursor();
  }
  return positions;
}

/** the query parameters a listing accepts besides limit and cursor: name → its allowed values, or null for any value */
export type ListQuerySpec = Record<string, readonly string[] | null>;

/**
 * Checks the query string: only the names of the spec (and limit, cursor), values from the spec's lists, limit 1–100
 * (default 25). Names and values are looked up as own properties only: `status=__proto__` is a 400, not a match.
 * Returns the values in an object without a prototype.
 */
export function listQuery(
  query: Record<string, string | undefined> | null,
  spec: ListQuerySpec,
  limits: { most: number; default: number } = { most: 100, default: 25 },
): { q: Record<string, string | undefined>; limit: number } {
  const q: Record<string, string | undefined> = Object.assign(Object.create(null), query);
  const names = [...Object.keys(spec), 'limit', 'cursor'];
  for (const [name, value] of Object.entries(q)) {
    if (!names.includes(name)) throw badRequest(name, `is not a known query parameter (${names.join(', ')})`);
    const allowed = Object.hasOwn(spec, name) ? spec[name] : null;
    if (allowed && value !== undefined && !allowed.includes(value)) throw badRequest(name, `must be one of ${allowed.join(', ')}`);
  }
  if (q.limit === undefined) return { q, limit: limits.default };
  const limit = wholeNumber(q.limit, 1, limits.most);
  if ('rule' in limit) throw badRequest('limit', limit.rule);
  return { q, limit: limit.value };
}

export interface NewestFirst {
  index: string;
  /** the index's partition key and its values: the shards, each listed newest first and merged */
  partition: [string, string[]];
  /** attribute = value filters applied after the index read (a page may then hold fewer than limit items) */
  equals?: Record<string, string | undefined>;
  limit: number;
  cursor?: string;
}

export interface Page {
  items: Record<string, unknown>[];
  cursor?: string;
}

interface ShardRead {
  items: Record<string, unknown>[];
  /** the last record the query evaluated, when the shard has more */
  last?: Record<string, unknown>;
}

/**
 * Newest first over every shard of the partition: `limit` records from each (one Query each, side by side), merged by
 * startedAt. A shard that has more records past what it returned bounds the page: no record older than the oldest it
 * evaluated is taken from another shard, since one of its unread records may be newer. The cursor keeps each shard's
 * position, so every record is listed once, in order, whatever the page boundaries.
 */
export async function queryNewestFirst(doc: DynamoDBDocumentClient, tableName: string, spec: NewestFirst): Promise<Page> {
  const [name, values] = spec.partition;
  const starts = spec.cursor ? decodeCursor(spec.cursor, values.length) : values.map((): ShardPosition => null);
  const filters = Object.entries(spec.equals ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
  const read = async (value: string, start: ShardPosition): Promise<ShardRead> => {
    if (start === 'done') return { items: [] };
    const { Items, LastEvaluatedKey } = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: spec.index,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': name, ...Object.fromEntries(filters.map(([f], i) => [`#f${i}`, f])) },
        ExpressionAttributeValues: { ':pk': value, ...Object.fromEntries(filters.map(([, v], i) => [`:f${i}`, v])) },
        ...(filters.length ? { FilterExpression: filters.map((_, i) => `#f${i} = :f${i}`).join(' AND ') } : {}),
        ScanIndexForward: false,
        Limit: spec.limit,
        ExclusiveStartKey: start ? { id: start[0], [name]: value, [SORT_KEY]: start[1] } : undefined,
      }),
    );
    return { items: Items ?? [], ...(LastEvaluatedKey ? { last: LastEvaluatedKey } : {}) };
  };
  let reads: ShardRead[];
  try {
    reads = await Promise.all(values.map((value, i) => read(value, starts[i])));
  } catch (error) {
    // a well-formed cursor can still name a key DynamoDB rejects as a start (one from another table, say)
    if (spec.cursor && (error as Error).name === 'ValidationException') throw invalidCursor();
    throw error;
  }
  const startedAt = (item: Record<string, unknown>) => String(item[SORT_KEY]);
  // the newest of the oldest records evaluated by the shards that have more: nothing older may be taken yet
  const bound = reads.reduce((b, r) => (r.last && startedAt(r.last) > b ? startedAt(r.last) : b), '');
  const taken = reads.map(() => 0);
  const items: Record<string, unknown>[] = [];
  while (items.length < spec.limit) {
    let next = -1;
    reads.forEach((r, i) => {
      const item = r.items[taken[i]];
      if (item && startedAt(item) >= bound && (next < 0 || startedAt(item) > startedAt(reads[next].items[taken[next]]))) next = i;
    });
    if (next < 0) break;
    items.push(reads[next].items[taken[next]]);
    taken[next] += 1;
  }
  const positions = reads.map((r, i): ShardPosition => {
    const all = taken[i] === r.items.length;
    if (all && !r.last) return 'done';
    const at = all ? r.last! : r.items[taken[i] - 1];
    return at ? [String(at.id), startedAt(at)] : starts[i];
  });
  return { items, ...(positions.some((p) => p !== 'done') ? { cursor: encodeCursor(positions) } : {}) };
}
