/** The sweep Lambdas' clients, and the two ways they send many requests: a pool, and BatchGetItem with its retries. */
import type { S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface SweepDeps {
  s3: S3Client;
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
  /** the bucket of the pages' intents (lib/sweep/intent.ts); none: no intent is written */
  intentsBucket?: string;
}

/** runs fn over items with at most `limit` in flight, results in order */
export async function inPool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

/** the items of these ids (100 a call); keys DynamoDB leaves unprocessed are asked again after a jittered backoff */
export async function batchGetAll(
  deps: Pick<SweepDeps, 'doc' | 'tableName'>,
  ids: string[],
  options: { attributes?: string[]; consistent?: boolean } = {},
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  const projection = options.attributes
    ? {
        ProjectionExpression: options.attributes.map((a) => `#${a}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(options.attributes.map((a) => [`#${a}`, a])),
      }
    : {};
  for (let i = 0; i < ids.length; i += 100) {
    let keys: Array<Record<string, unknown>> | undefined = ids.slice(i, i + 100).map((id) => ({ id }));
    for (let attempt = 0; keys?.length; attempt += 1) {
      if (attempt > 8) throw new Error(`BatchGetItem left ${keys.length} keys unprocessed after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt) * Math.random()));
      const request = { Keys: keys, ...projection, ...(options.consistent ? { ConsistentRead: true } : {}) };
      const answer = (await deps.doc.send(new BatchGetCommand({ RequestItems: { [deps.tableName]: request } }))) as BatchGetCommandOutput | undefined;
      items.push(...(answer?.Responses?.[deps.tableName] ?? []));
      keys = answer?.UnprocessedKeys?.[deps.tableName]?.Keys;
    }
  }
  return items;
}
