/** Newest-first listings from the table's indexes (never a Scan), paginated with an opaque cursor. */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { badRequest } from '../http/errors.ts';

const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');
function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (key && typeof key === 'object' && typeof key.id === 'string') return key;
  } catch { /* fall through */ }
  throw badRequest('cursor', 'must be a cursor returned by a previous page');
}

/** Checks the query string: only the allowed names, limit 1–100 (default 25). */
export function listQuery(query: Record<string, string | undefined> | null, allowed: string[]): { q: Record<string, string | undefined>; limit: number } {
  const q = query ?? {};
  const names = [...allowed, 'limit', 'cursor'];
  for (const name of Object.keys(q)) {
    if (!names.includes(name)) throw badRequest(name, `is not a known query parameter (${names.join(', ')})`);
  }
  const limit = q.limit === undefined ? 25 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest('limit', 'must be a whole number from 1 to 100');
  return { q, limit };
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

export async function queryNewestFirst(doc: DynamoDBDocumentClient, tableName: string, spec: NewestFirst): Promise<{ items: Record<string, unknown>[]; cursor?: string }> {
  const filters = Object.entries(spec.equals ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
  const { Items, LastEvaluatedKey } = await doc.send(new QueryCommand({
    TableName: tableName,
    IndexName: spec.index,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': spec.partition[0], ...Object.fromEntries(filters.map(([name], i) => [`#f${i}`, name])) },
    ExpressionAttributeValues: { ':pk': spec.partition[1], ...Object.fromEntries(filters.map(([, value], i) => [`:f${i}`, value])) },
    ...(filters.length ? { FilterExpression: filters.map((_, i) => `#f${i} = :f${i}`).join(' AND ') } : {}),
    ScanIndexForward: false,
    Limit: spec.limit,
    ExclusiveStartKey: spec.cursor ? decodeCursor(spec.cursor) : undefined,
  }));
  return { items: Items ?? [], ...(LastEvaluatedKey ? { cursor: encodeCursor(LastEvaluatedKey) } : {}) };
}
