/**
 * moto_server as the stack runs it frees what it deletes (emulator/python/sitecustomize.py): moto 5.2.1 keeps every
 * model instance it ever made (an aborted upload, a replaced item) until a reset; AWS keeps nothing of either. moto's
 * own /moto-api/data.json lists the instances it still tracks.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { awsClients, createBucket, createTable, createUpload, startMoto, TABLE, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/** the instances moto still tracks, by service and model */
const tracked = async (): Promise<Record<string, Record<string, unknown[]>>> => (await fetch(`${moto.endpoint}/moto-api/data.json`)).json() as never;

describe('moto_server of the local stack', () => {
  it('keeps no aborted upload and no replaced item', async () => {
    // Arrange
    const { s3, doc, dynamodb } = awsClients(moto.endpoint);
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
