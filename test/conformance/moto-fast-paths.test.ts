/**
 * moto_server as the stack runs it answers as moto does, only faster (emulator/python/sitecustomize.py): an item's size
 * is summed once, a condition parsed once per expression, a Query no longer sorts the whole table first, a timestamp
 * read without dateutil. Each rule the shortcuts could break, asked of the real moto_server.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { INDEX_BY_STARTED_AT } from '../../lib/records.ts';
import { awsClients, createBucket, createTable, createUpload, TABLE } from '../support/workflow.ts';
import { motoForFile } from '../support/moto-for-file.ts';

const moto = motoForFile();
let doc: DynamoDBDocumentClient;
let clients: ReturnType<typeof awsClients>;
beforeAll(async () => {
  clients = awsClients(moto.server.endpoint);
  doc = clients.doc;
  await createTable(clients.dynamodb as DynamoDBClient);
}, 60_000);

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error) => error.name,
  );

describe("moto_server's shortcuts answer as moto does", () => {
  it("refuses an item over DynamoDB's 400 KB, a byte over moto's bound, and keeps one under it", async () => {
    // moto's bound: 405,000 bytes of names and values; "id" + 5 chars and "blob" + the blob
    const item = (blobBytes: number) => ({ id: 'size0', blob: 'x'.repeat(blobBytes) });
    const under = 405_000 - 'id'.length - 'size0'.length - 'blob'.length;
    expect(await failure(doc.send(new PutCommand({ TableName: TABLE, Item: item(under) })))).toBeUndefined();
    expect(await failure(doc.send(new PutCommand({ TableName: TABLE, Item: { ...item(under + 1), id: 'size1' } })))).toBe('ValidationException');
  });

  it('evaluates one condition expression with the values each request sends', async () => {
    await doc.send(new PutCommand({ TableName: TABLE, Item: { id: 'counter', n: 5 } }));
    const putIfBelow = (limit: number, n: number) =>
      failure(
        doc.send(
          new PutCommand({
            TableName: TABLE,
            Item: { id: 'counter', n },
            ConditionExpression: '#n < :limit',
            ExpressionAttributeNames: { '#n': 'n' },
            ExpressionAttributeValues: { ':limit': limit },
          }),
        ),
      );
    expect(await putIfBelow(3, 6)).toBe('ConditionalCheckFailedException');
    expect(await putIfBelow(10, 6)).toBeUndefined();
    expect(await putIfBelow(6, 7)).toBe('ConditionalCheckFailedException');
    expect(await putIfBelow(7, 7)).toBeUndefined();
  });

  it("queries an index in its key's order, page after page, whatever order the items were written in", async () => {
    const ats = Array.from({ length: 30 }, (_, i) => `2026-12-07T18:${String(i).padStart(2, '0')}:00.000Z`);
    const shuffled = [...ats.keys()].sort((a, b) => ((a * 7919) % 31) - ((b * 7919) % 31));
    for (const i of shuffled) {
      await doc.send(new PutCommand({ TableName: TABLE, Item: { id: `z${30 - i}`, listKey: 'a', startedAt: ats[i] } }));
      await doc.send(new PutCommand({ TableName: TABLE, Item: { id: `other${i}`, listKey: 'b', startedAt: ats[i] } }));
    }
    const seen: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: TABLE,
          IndexName: INDEX_BY_STARTED_AT,
          KeyConditionExpression: 'listKey = :s',
          ExpressionAttributeValues: { ':s': 'a' },
          ScanIndexForward: false,
          Limit: 7,
          ExclusiveStartKey: start,
        }),
      );
      seen.push(...(page.Items ?? []).map((item) => item.startedAt as string));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(seen).toEqual([...ats].reverse());
  });

  it("answers a part's LastModified as the time S3 stored it", async () => {
    const { s3 } = clients;
    await createBucket(s3, 'fast-paths-bucket');
    const before = Date.now();
    const upload = await createUpload(s3, 'fast-paths-bucket', 'k', [1024]);
    const { Parts = [] } = await s3.send(new ListPartsCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }));
    const stored = Parts[0]?.LastModified?.getTime() ?? 0;
    expect(stored).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(stored).toBeLessThanOrEqual(Date.now());
  });
});
