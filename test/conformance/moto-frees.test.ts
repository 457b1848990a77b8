/**
 * moto_server as the stack runs it frees what it deletes (emulator/python/sitecustomize.py): moto 5.2.1 keeps every
 * model instance it ever made (an aborted upload, a replaced item) until a reset; AWS keeps nothing of either. moto's
 * own /moto-api/data.json lists the instances it still tracks. Items parsed from JSON share their attribute names and
 * short values (a sweep's records repeat most of them).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { awsClients, createBucket, createTable, createUpload, TABLE } from '../support/workflow.ts';
import { motoForFile, pythonWithStackPatches } from '../support/moto-for-file.ts';

const moto = motoForFile();

/** the instances moto still tracks, by service and model */
const tracked = async (): Promise<Record<string, Record<string, unknown[]>>> => (await fetch(`${moto.server.endpoint}/moto-api/data.json`)).json() as never;

describe('moto_server of the local stack', () => {
  it('keeps no aborted upload and no replaced item', async () => {
    // Arrange
    const { s3, doc, dynamodb } = awsClients(moto.server.endpoint);
    await createBucket(s3, 'frees-bucket');
    await createTable(dynamodb);
    const uploads = [];
    for (let i = 0; i < 10; i += 1) uploads.push(await createUpload(s3, 'frees-bucket', `k${i}`, [1024]));

    // Act: abort every upload; write one item ten times
    for (const u of uploads) await s3.send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId }));
    for (let i = 0; i < 10; i += 1) await doc.send(new PutCommand({ TableName: TABLE, Item: { id: 'replaced', n: i } }));

    // Assert: no multipart upload nor part is left; the table's one item is
    const { s3: s3Models, dynamodb: dynamodbModels } = await tracked();
    expect(s3Models.FakeMultipart ?? []).toHaveLength(0);
    expect(s3Models.FakeKey ?? []).toHaveLength(0);
    expect(dynamodbModels.Item ?? []).toHaveLength(1);
  });
});

/** two items parsed from JSON by moto with the stack's sitecustomize.py: does the second reuse the first's strings? */
const SHARED = `
import json, sitecustomize
from moto.dynamodb.models.dynamo_type import DynamoType, Item
def parse(text):
    attrs = json.loads(text)
    return Item(DynamoType(attrs['id']), None, attrs)
body = '{"id": {"S": "%s"}, "status": {"S": "ABORTED"}}'
a, b = parse(body % 'a'), parse(body % 'b')
name = lambda item: next(k for k in item.attrs if k == 'status')
print(name(a) is name(b), a.attrs['status'].value is b.attrs['status'].value)
`;

describe("moto_server's DynamoDB items", () => {
  it('share their attribute names and short values', () => {
    expect(pythonWithStackPatches(SHARED)).toBe('True True');
  });
});
