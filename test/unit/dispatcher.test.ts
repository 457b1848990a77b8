import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { S3Client, AbortMultipartUploadCommand, HeadObjectCommand, ListPartsCommand, NoSuchUpload, NotFound, S3ServiceException } from '@aws-sdk/client-s3';
import { DynamoDBClient, UpdateItemCommand, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { TaskDispatcher, commandName, parseResource, statesErrorName, toSdkInput } from '../../emulator/dispatcher.ts';

const s3Mock = mockClient(S3Client);
const dynamoMock = mockClient(DynamoDBClient);

beforeEach(() => {
  s3Mock.reset();
  dynamoMock.reset();
});

describe('parseResource', () => {
  it.each([
    ['arn:aws:states:::aws-sdk:s3:abortMultipartUpload', { service: 's3', action: 'abortMultipartUpload', optimized: false }],
    ['arn:aws:states:::aws-sdk:s3:listParts', { service: 's3', action: 'listParts', optimized: false }],
    ['arn:aws:states:::aws-sdk:sfn:startExecution', { service: 'sfn', action: 'startExecution', optimized: false }],
    ['arn:aws:states:::dynamodb:updateItem', { service: 'dynamodb', action: 'updateItem', optimized: true }],
    ['arn:aws-us-gov:states:::dynamodb:putItem', { service: 'dynamodb', action: 'putItem', optimized: true }],
  ])('reads %s', (resource, expected) => {
    // Act / Assert
    expect(parseResource(resource)).toEqual(expected);
  });

  it('refuses a Lambda ARN, which the local runtime cannot run', () => {
    // Act / Assert
    expect(() => parseResource('arn:aws:lambda:us-east-1:123456789012:function:f')).toThrow(/cannot run the resource/);
  });

  it('names the SDK v3 command', () => {
    expect(commandName('listMultipartUploads')).toBe('ListMultipartUploadsCommand');
  });
});

describe('statesErrorName', () => {
  const serviceError = (name: string, status = 400) => Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

  // modeled exceptions keep their name (with "Exception"); every other service error is the service's generic one
  it.each([
    ['s3', serviceError('NoSuchUpload', 404), 'S3.NoSuchUploadException'],
    ['s3', serviceError('NoSuchBucket', 404), 'S3.NoSuchBucketException'],
    ['s3', serviceError('AccessDenied', 403), 'S3.S3Exception'],
    ['s3', serviceError('SlowDown', 503), 'S3.S3Exception'],
    ['s3', serviceError('PreconditionFailed', 412), 'S3.S3Exception'],
    ['s3', serviceError('Unknown', 500), 'S3.S3Exception'],
    ['dynamodb', serviceError('ConditionalCheckFailedException'), 'DynamoDb.ConditionalCheckFailedException'],
    ['dynamodb', serviceError('InternalServerError', 500), 'DynamoDb.InternalServerErrorException'],
    ['dynamodb', serviceError('ValidationException'), 'DynamoDb.DynamoDbException'],
  ])('aws-sdk:%s %s → %s', (service, error, expected) => {
    // Act / Assert
    expect(statesErrorName(service, error)).toBe(expected);
  });

  it.each([
    [serviceError('ConditionalCheckFailedException'), 'DynamoDB.ConditionalCheckFailedException'],
    [serviceError('ProvisionedThroughputExceededException'), 'DynamoDB.ProvisionedThroughputExceededException'],
    [serviceError('ValidationException'), 'DynamoDB.AmazonDynamoDBException'],
  ])('optimized dynamodb %s → %s', (error, expected) => {
    // Act / Assert
    expect(statesErrorName('dynamodb', error, true)).toBe(expected);
  });

  it('names an error that never reached the service SdkClientException, as the AWS SDK for Java does', () => {
    // Arrange
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

    // Act / Assert
    expect(statesErrorName('s3', refused)).toBe('S3.SdkClientException');
  });

  it('decides "reached the service" by an HTTP status, not by the presence of $metadata', () => {
    // Arrange: SDK v3 attaches $metadata to a connection reset too
    const reset = Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET', $metadata: { attempts: 1 } });

    // Act / Assert
    expect(statesErrorName('s3', reset)).toBe('S3.SdkClientException');
    expect(statesErrorName('dynamodb', reset, true)).toBe('DynamoDB.SdkClientException');
  });
});

describe('toSdkInput', () => {
  it('turns ISO-8601 strings of timestamp members into Dates and leaves the rest alone', () => {
    // Act
    const input = toSdkInput({ Bucket: 'b--use1-az4--x-s3', IfMatchInitiatedTime: '2026-11-20T10:00:00Z', Key: '2026-11-20T10:00:00Z' });

    // Assert
    expect(input.IfMatchInitiatedTime).toEqual(new Date('2026-11-20T10:00:00Z'));
    expect(input.Key).toBe('2026-11-20T10:00:00Z');
  });
});

describe('TaskDispatcher.run', () => {
  const dispatcher = new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' });

  it('sends AbortMultipartUpload with every parameter the Task gave', async () => {
    // Arrange
    s3Mock.on(AbortMultipartUploadCommand).resolves({ $metadata: { httpStatusCode: 204 } });

    // Act
    const output = await dispatcher.run('arn:aws:states:::aws-sdk:s3:abortMultipartUpload', {
      Bucket: 'b',
      Key: 'k',
      UploadId: 'u',
      RequestPayer: 'requester',
      ExpectedBucketOwner: '111122223333',
    });

    // Assert
    expect(s3Mock).toHaveReceivedCommandWith(AbortMultipartUploadCommand, {
      Bucket: 'b',
      Key: 'k',
      UploadId: 'u',
      RequestPayer: 'requester',
      ExpectedBucketOwner: '111122223333',
    });
    expect(output).toEqual({});
  });

  it('returns ListParts output as JSON, without $metadata and with dates as strings', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).resolves({
      $metadata: {},
      Parts: [{ PartNumber: 1, Size: 5, LastModified: new Date('2026-01-01T00:00:00Z') }],
      IsTruncated: false,
    });

    // Act
    const output = await dispatcher.run('arn:aws:states:::aws-sdk:s3:listParts', { Bucket: 'b', Key: 'k', UploadId: 'u', MaxParts: 1 });

    // Assert
    expect(output).toEqual({ Parts: [{ PartNumber: 1, Size: 5, LastModified: '2026-01-01T00:00:00.000Z' }], IsTruncated: false });
  });

  it('rejects with the Step Functions error name and the cause as the AWS SDK for Java writes it', async () => {
    // Arrange
    s3Mock.on(ListPartsCommand).rejects(
      new NoSuchUpload({
        message: 'The specified upload does not exist.',
        $metadata: { httpStatusCode: 404, requestId: 'R1', extendedRequestId: 'X1' },
      }),
    );

    // Act
    const run = dispatcher.run('arn:aws:states:::aws-sdk:s3:listParts', { Bucket: 'b', Key: 'k', UploadId: 'u' });

    // Assert
    await expect(run).rejects.toMatchObject({
      name: 'S3.NoSuchUploadException',
      message: 'The specified upload does not exist. (Service: S3, Status Code: 404, Request ID: R1, Extended Request ID: X1)',
    });
  });

  it('names an unmodelled S3 error S3.S3Exception and keeps its message in the cause', async () => {
    // Arrange
    s3Mock
      .on(AbortMultipartUploadCommand)
      .rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }));

    // Act / Assert
    await expect(dispatcher.run('arn:aws:states:::aws-sdk:s3:abortMultipartUpload', { Bucket: 'b', Key: 'k', UploadId: 'u' })).rejects.toMatchObject({
      name: 'S3.S3Exception',
      message: 'Access Denied (Service: S3, Status Code: 403, Request ID: null)',
    });
  });

  it('names a HeadObject 404 S3.NoSuchKeyException, as the AWS SDK for Java v2 raises it', async () => {
    // Arrange
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } }));

    // Act / Assert
    await expect(dispatcher.run('arn:aws:states:::aws-sdk:s3:headObject', { Bucket: 'b', Key: 'k' })).rejects.toMatchObject({ name: 'S3.NoSuchKeyException' });
  });

  it('runs the DynamoDB optimized integration with the low-level attribute values of the definition', async () => {
    // Arrange
    dynamoMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }));
    const parameters = {
      TableName: 't',
      Key: { id: { S: 'x' } },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'ABORTED' } },
    };

    // Act
    const run = dispatcher.run('arn:aws:states:::dynamodb:updateItem', parameters);

    // Assert
    await expect(run).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException' });
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateItemCommand, parameters);
  });
});

describe('serializeItemUpdates (moto loses concurrent ADDs on one item)', () => {
  it('sends UpdateItems on the same item one at a time, and on different items at once', async () => {
    // Arrange
    let inFlight = 0;
    let most = 0;
    dynamoMock.on(UpdateItemCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return {};
    });
    const serial = new TaskDispatcher({ endpoint: 'http://127.0.0.1:1', serializeItemUpdates: true });
    const update = (id: string) =>
      serial.run('arn:aws:states:::dynamodb:updateItem', {
        TableName: 't',
        Key: { id: { S: id } },
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      });

    // Act
    await Promise.all(Array.from({ length: 10 }, () => update('same')));
    const sameMost = most;
    most = 0;
    await Promise.all(Array.from({ length: 10 }, (_, i) => update(`item-${i}`)));

    // Assert
    expect(sameMost).toBe(1);
    expect(most).toBeGreaterThan(1);
    expect(dynamoMock).toHaveReceivedCommandTimes(UpdateItemCommand, 20);
  });
});
