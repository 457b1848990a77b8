/**
 * The local stack runs DynamoDB in a moto_server process of its own behind the one endpoint: DynamoDB requests (of
 * clients and of the workflow's Tasks) reach that process and S3 requests the other, moto's reset through the endpoint
 * clears both, and the Chaos API's rules still apply to DynamoDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBServiceException, GetItemCommand, ListTablesCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalStack, type LocalStack } from '../../emulator/stack.ts';
import { isDynamoDbRequest } from '../../emulator/wire.ts';
import { awsClients } from '../support/workflow.ts';
import { motoPid } from '../bench/measure.ts';

const TABLE = 'two-motos-records';
let stack: LocalStack;
let viaEndpoint: ReturnType<typeof awsClients>;
let viaTasks: ReturnType<typeof awsClients>;
let s3Moto: ReturnType<typeof awsClients>;
let dynamodbMoto: ReturnType<typeof awsClients>;

beforeAll(async () => {
  stack = await startLocalStack({ tableName: TABLE });
  viaEndpoint = awsClients(stack.endpoint, { maxAttempts: 1 });
  viaTasks = awsClients(stack.taskEndpoint, { maxAttempts: 1 }); // the proxy the workflow's own Tasks use
  s3Moto = awsClients(stack.moto.endpoint, { maxAttempts: 1 });
  dynamodbMoto = awsClients(stack.dynamodbMoto.endpoint, { maxAttempts: 1 });
});

afterAll(async () => {
  for (const clients of [viaEndpoint, viaTasks, s3Moto, dynamodbMoto]) for (const client of [clients?.s3, clients?.dynamodb]) client?.destroy();
  await stack?.stop();
});

const tables = async (dynamodb: DynamoDBClient) => (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
const buckets = async (s3: S3Client) => ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
const item = async (dynamodb: DynamoDBClient, id: string) => (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } } }))).Item;
const put = (dynamodb: DynamoDBClient, id: string) => dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: id } } }));

describe('two moto_server processes behind one endpoint', () => {
  it('are two processes on two ports', () => {
    expect(stack.dynamodbMoto.port).not.toBe(stack.moto.port);
    expect(motoPid(stack.dynamodbMoto.port)).not.toBe(motoPid(stack.moto.port));
  });

  it('the deployed records table is in the DynamoDB process only', async () => {
    expect(await tables(viaEndpoint.dynamodb)).toContain(TABLE);
    expect(await tables(dynamodbMoto.dynamodb)).toContain(TABLE);
    expect(await tables(s3Moto.dynamodb)).not.toContain(TABLE);
  });

  it("an item written through the endpoint or the Tasks' proxy lands in the DynamoDB process", async () => {
    await put(viaEndpoint.dynamodb, 'from-endpoint');
    await put(viaTasks.dynamodb, 'from-tasks');
    for (const id of ['from-endpoint', 'from-tasks']) expect(await item(dynamodbMoto.dynamodb, id)).toEqual({ id: { S: id } });
    expect(await item(viaEndpoint.dynamodb, 'from-tasks')).toEqual({ id: { S: 'from-tasks' } });
  });

  it('a bucket created through the endpoint or the proxy is in the S3 process only', async () => {
    await viaEndpoint.s3.send(new CreateBucketCommand({ Bucket: 'two-motos-a' }));
    await viaTasks.s3.send(new CreateBucketCommand({ Bucket: 'two-motos-b' }));
    expect(await buckets(s3Moto.s3)).toEqual(expect.arrayContaining(['two-motos-a', 'two-motos-b']));
    expect(await buckets(dynamodbMoto.s3)).toEqual([]);
  });

  it('a fault rule on dynamodb still applies, at the endpoint and at the proxy, and reaches no moto_server', async () => {
    stack.chaos.setFaults([{ service: 'dynamodb', operation: 'PutItem', error: { statusCode: 400, code: 'ProvisionedThroughputExceededException' } }]);
    try {
      for (const [dynamodb, id] of [
        [viaEndpoint.dynamodb, 'faulted-endpoint'],
        [viaTasks.dynamodb, 'faulted-tasks'],
      ] as const) {
        const error = await put(dynamodb, id).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DynamoDBServiceException);
        expect((error as Error).name).toBe('ProvisionedThroughputExceededException');
        expect(await item(dynamodbMoto.dynamodb, id)).toBeUndefined();
      }
      // S3 is not ruled by a dynamodb rule
      expect(await buckets(viaEndpoint.s3)).toContain('two-motos-a');
    } finally {
      stack.chaos.setFaults([]);
    }
  });

  it("moto's reset through the endpoint clears both processes", async () => {
    expect(await buckets(s3Moto.s3)).not.toEqual([]);
    expect(await tables(dynamodbMoto.dynamodb)).not.toEqual([]);
    const response = await fetch(`${stack.endpoint}/moto-api/reset`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await buckets(s3Moto.s3)).toEqual([]);
    expect(await tables(dynamodbMoto.dynamodb)).toEqual([]);
  });
});

describe('isDynamoDbRequest', () => {
  const signed = (service: string) => `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
  it('goes by X-Amz-Target or by the credential scope', () => {
    expect(isDynamoDbRequest({ url: '/', headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' } })).toBe(true);
    expect(isDynamoDbRequest({ url: '/', headers: { authorization: signed('dynamodb') } })).toBe(true);
    expect(isDynamoDbRequest({ url: '/b/k?X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fdynamodb%2Faws4_request', headers: {} })).toBe(true);
    expect(isDynamoDbRequest({ url: '/bucket?uploads', headers: { authorization: signed('s3') } })).toBe(false);
    expect(isDynamoDbRequest({ url: '/', headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution', authorization: signed('states') } })).toBe(false);
    expect(isDynamoDbRequest({ url: '/bucket', headers: {} })).toBe(false);
  });
});
