/** Newest-first listings from the table's indexes (never a Scan), paginated with an opaque cursor. */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { badRequest } from '../http/errors.ts';
import { wholeNumber } from '../validation.ts';

/** the sort key of every listing index (byStartedAt, byStatus) */
const SORT_KEY = 'startedAt';

const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * A cursor back to the LastEvaluatedKey it was made from, refused (400 naming `cursor`) unless it has that shape: the
 * table key `id`, this index's partition key with this listing's value, and the sort key, all strings, nothing else.
 * A forged cursor DynamoDB would reject never reaches it.
 */
function decodeCursor(cursor: string, partition: [string, string]): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    /* refused below */
  }
  const names = ['id', partition[0], SORT_KEY];
  const isKey = (k: unknown): k is Record<string, unknown> => k !== null && typeof k === 'object' && !Array.isArray(k);
  const valid =
    isKey(key) &&
    Object.keys(key).length === names.length &&
    names.every((name) => Object.hasOwn(key, name) && typeof key[name] === 'string') &&
    key[partition[0]] === partition[1];
  if (!valid) throw invalidCursor();
  return key as Record<string, string>;
}

const invalidCursor = () => badRequest('cursor', 'must be a cursor returned by a previous page of this listing');

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
  /** the index's partition key and its value */
  partition: [string, string];
  /** attribute = value filters applied after the index read (a page may then hold fewer than limit items) */
  equals?: Record<string, string | undefined>;
  limit: number;
  cursor?: string;
}

export interface Page {
  items: Record<string, unknown>[];
  cursor?: string;
}

export async function queryNewestFirst(doc: DynamoDBDocumentClient, tableName: string, spec: NewestFirst): Promise<Page> {
  const filters = Object.entries(spec.equals ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
  const command = new QueryCommand({
    TableName: tableName,
    IndexName: spec.index,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': spec.partition[0], ...Object.fromEntries(filters.map(([name], i) => [`#f${i}`, name])) },
    ExpressionAttributeValues: { ':pk': spec.partition[1], ...Object.fromEntries(filters.map(([, value], i) => [`:f${i}`, value])) },
    ...(filters.length ? { FilterExpression: filters.map((_, i) => `#f${i} = :f${i}`).join(' AND ') } : {}),
    ScanIndexForward: false,
    Limit: spec.limit,
    ExclusiveStartKey: spec.cursor ? decodeCursor(spec.cursor, spec.partition) : undefined,
  });
  try {
    const { Items, LastEvaluatedKey } = await doc.send(command);
    return { items: Items ?? [], ...(LastEvaluatedKey ? { cursor: encodeCursor(LastEvaluatedKey) } : {}) };
  } catch (error) {
    // a well-formed cursor can still name a key DynamoDB rejects as a start (one from another table, say)
    if (spec.cursor && (error as Error).name === 'ValidationException') throw invalidCursor();
    throw error;
  }
}
