/**
 * What a Task reports, as AWS Step Functions reports it: error names and causes of AWS SDK and optimized integrations,
 * nested executions and Lambda function errors, and result types that follow the AWS SDK for Java model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import * as s3 from '@aws-sdk/client-s3';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';
import { LocalStepFunctions, type RuntimeOptions } from '../../emulator/runtime.ts';
import recorded from '../fixtures/aws-recorded/task-errors.json' with { type: 'json' };

const s3Mock = mockClient(s3.S3Client);
const dynamoMock = mockClient(dynamodb.DynamoDBClient);
afterEach(() => {
  s3Mock.reset();
  dynamoMock.reset();
});

const dispatcher = new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' });

async function execute(definition: object, input: unknown = {}, options: Partial<RuntimeOptions> = {}, children: Record<string, object> = {}) {
  const local = new LocalStepFunctions({ dispatcher, ...options });
  for (const [name, child] of Object.entries(children)) local.createStateMachine({ name, definition: JSON.stringify(child) });
  const { stateMachineArn } = local.createStateMachine({ name: 'parent', definition: JSON.stringify(definition) });
  const { executionArn } = local.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  return local.waitForExecution(executionArn);
}

const failure = async (run: Promise<unknown>) =>
  run.then(
    () => {
      throw new Error('the Task succeeded');
    },
    (error: Error) => ({ error: error.name, cause: error.message }),
  );

/** the SDK v3 error the dispatcher receives for a recorded failure: the modeled class when the SDK has one */
function sdkError(service: 's3' | 'dynamodb', e: { code: string; status: number; message: string }) {
  const module = (service === 's3' ? s3 : dynamodb) as unknown as Record<string, new (options: object) => Error>;
  const $metadata = { httpStatusCode: e.status, requestId: 'REQUEST-1', ...(service === 's3' ? { extendedRequestId: 'EXTENDED-1' } : {}) };
  const Modeled = module[e.code];
  const Base = service === 's3' ? s3.S3ServiceException : dynamodb.DynamoDBServiceException;
  return Modeled && Modeled.prototype instanceof Base
    ? new Modeled({ message: e.message, $metadata })
    : new Base({ name: e.code, $fault: 'client', message: e.message, $metadata });
}

const withPlaceholders = (cause: string) => cause.replaceAll('REQUEST-1', '<request_id>').replaceAll('EXTENDED-1', '<extended_request_id>');

// Source: AWS-recorded TaskFailed events in test/fixtures/aws-recorded/task-errors.json (LocalStack's snapshots
// test_aws_sdk.snapshot.json and test_task_service_dynamodb.snapshot.json); developer guide, "AWS SDK service
// integrations": an exception of the service's model is named `Service.<Name>Exception`.
describe('error names and causes as AWS records them', () => {
  it.each(recorded.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // Arrange
    const service = c.resource.includes(':s3:') ? 's3' : 'dynamodb';
    if (service === 's3') s3Mock.onAnyCommand().rejects(sdkError(service, c.sdkError));
    else dynamoMock.onAnyCommand().rejects(sdkError(service, c.sdkError));

    // Act
    const { error, cause } = await failure(dispatcher.run(c.resource, { Bucket: 'b', TableName: 't', Item: null }));

    // Assert
    expect({ error, cause: withPlaceholders(cause) }).toEqual(c.recorded);
  });

  it('names a StartExecution of a missing state machine StepFunctions.StateMachineDoesNotExistException', async () => {
    // Arrange: the runtime serves states:startExecution itself
    const missing = 'arn:aws:states:us-east-1:123456789012:stateMachine:missing';
    const start = { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution', Parameters: { StateMachineArn: missing }, End: true };
    const definition = { StartAt: 'Start', States: { Start: start } };

    // Act
    const execution = await execute(definition);

    // Assert
    const cause = execution.cause!.replace(missing, '<state_machine_arn>').replace(/Request ID: [0-9a-f-]{36}/, 'Request ID: <request_id>');
    expect({ error: execution.error, cause }).toEqual(recorded.stepFunctions.recorded);
  });

  it('names an unmodeled S3 error (SlowDown, 503) S3.S3Exception with its message and status in the cause', async () => {
    // Arrange
    s3Mock.onAnyCommand().rejects(sdkError('s3', { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' }));

    // Act / Assert
    await expect(failure(dispatcher.run('arn:aws:states:::aws-sdk:s3:abortMultipartUpload', { Bucket: 'b', Key: 'k', UploadId: 'u' }))).resolves.toEqual({
      error: 'S3.S3Exception',
      cause: 'Please reduce your request rate. (Service: S3, Status Code: 503, Request ID: REQUEST-1, Extended Request ID: EXTENDED-1)',
    });
  });

  it('names a connection reset SdkClientException even when the SDK attached $metadata to it', async () => {
    // Arrange
    s3Mock.onAnyCommand().rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 1, totalRetryDelay: 0 } }));
    dynamoMock.onAnyCommand().rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));

    // Act / Assert
    await expect(failure(dispatcher.run('arn:aws:states:::aws-sdk:s3:listParts', { Bucket: 'b', Key: 'k', UploadId: 'u' }))).resolves.toEqual({
      error: 'S3.SdkClientException',
      cause: 'Unable to execute HTTP request: socket hang up',
    });
    await expect(failure(dispatcher.run('arn:aws:states:::dynamodb:updateItem', { TableName: 't' }))).resolves.toEqual({
      error: 'DynamoDB.SdkClientException',
      cause: 'Unable to execute HTTP request: connect ECONNREFUSED 127.0.0.1:1',
    });
  });
});

// Sources: developer guide, "Start workflow executions from a task state" (.sync:2: the Task waits for the child; a
// child that does not succeed fails the Task with States.TaskFailed and the DescribeExecution output as cause, JSON in
// which members that are not set are absent); Lambda developer guide, "AWS Lambda function errors in Node.js" (the
// error document {"errorType", "errorMessage", "trace"}) and Step Functions' "Handling errors" (Error = the error
// type, Cause = that document).
describe('nested executions and Lambda function errors', () => {
  const parent = (resource: string, catchAll = false) => ({
    StartAt: 'Child',
    States: {
      Child: {
        Type: 'Task',
        Resource: resource,
        Parameters: { StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:child', Input: { n: 1 } },
        ...(catchAll ? { Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }] } : {}),
        End: true,
      },
      ...(catchAll ? { Caught: { Type: 'Pass', End: true } } : {}),
    },
  });

  it("fails a .sync:2 Task with States.TaskFailed and the child's description, with Error and Cause only as the child set them", async () => {
    // Arrange
    const failsWithCause = { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Boom', Cause: 'why' } } };
    const failsWithoutCause = { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Boom' } } };

    // Act
    const withCause = await execute(parent('arn:aws:states:::states:startExecution.sync:2'), {}, {}, { child: failsWithCause });
    const withoutCause = await execute(parent('arn:aws:states:::states:startExecution.sync:2'), {}, {}, { child: failsWithoutCause });

    // Assert
    expect(withCause.error).toBe('States.TaskFailed');
    const description = JSON.parse(withCause.cause!);
    expect(description).toMatchObject({ Status: 'FAILED', Error: 'Boom', Cause: 'why', Input: { n: 1 }, Name: expect.any(String) });
    expect(description).not.toHaveProperty('Output');
    expect(Object.keys(JSON.parse(withoutCause.cause!))).not.toContain('Cause');
  });

  it("gives a succeeded .sync:2 child's output parsed, and no Error or Cause member", async () => {
    const child = { StartAt: 'P', States: { P: { Type: 'Pass', Result: { done: true }, End: true } } };
    const execution = await execute(parent('arn:aws:states:::states:startExecution.sync:2'), {}, {}, { child });
    const output = JSON.parse(execution.output!);
    expect(output).toMatchObject({ Status: 'SUCCEEDED', Output: { done: true } });
    expect(Object.keys(output)).not.toEqual(expect.arrayContaining(['Error']));
    expect(Object.keys(output)).not.toEqual(expect.arrayContaining(['Cause']));
  });

  it("names a Lambda function error after its type, with the Node.js runtime's error document as cause", async () => {
    // Arrange
    class RecordConflict extends Error {
      override name = 'RecordConflict';
    }
    const invoke = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f', Payload: {} }, End: true };
    const definition = { StartAt: 'L', States: { L: invoke } };

    // Act
    const execution = await execute(
      definition,
      {},
      {
        lambdaHandlers: {
          f: async () => {
            throw new RecordConflict('the record changed');
          },
        },
      },
    );

    // Assert
    expect(execution.error).toBe('RecordConflict');
    const document = JSON.parse(execution.cause!);
    expect(Object.keys(document)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(document).toMatchObject({
      errorType: 'RecordConflict',
      errorMessage: 'the record changed',
      trace: expect.arrayContaining([expect.stringContaining('RecordConflict')]),
    });
  });
});

// Source: Step Functions' AWS SDK integrations return results as the AWS SDK for Java models them: ListParts'
// PartNumberMarker, NextPartNumberMarker and MaxParts and ListMultipartUploads' MaxUploads are integers there (the
// S3 model's Java/boto3 types: PartNumberMarker int, NextPartNumberMarker int, MaxParts int); SDK v3 has strings.
describe('result types of the AWS SDK for Java model', () => {
  it('gives ListParts markers and MaxParts as numbers', async () => {
    // Arrange
    s3Mock.on(s3.ListPartsCommand).resolves({
      PartNumberMarker: '0',
      NextPartNumberMarker: '1',
      MaxParts: 1,
      IsTruncated: true,
      Parts: [{ PartNumber: 1, Size: 5 }],
    });

    // Act
    const output = await dispatcher.run('arn:aws:states:::aws-sdk:s3:listParts', { Bucket: 'b', Key: 'k', UploadId: 'u', MaxParts: 1 });

    // Assert
    expect(output).toMatchObject({ PartNumberMarker: 0, NextPartNumberMarker: 1, MaxParts: 1 });
  });

  it('gives ListMultipartUploads MaxUploads as a number', async () => {
    s3Mock.on(s3.ListMultipartUploadsCommand).resolves({ MaxUploads: '1000' as never, IsTruncated: false });
    await expect(dispatcher.run('arn:aws:states:::aws-sdk:s3:listMultipartUploads', { Bucket: 'b' })).resolves.toMatchObject({ MaxUploads: 1000 });
  });

  it('lets a Choice match the next part number marker as a number (NumericEquals)', async () => {
    // Arrange
    s3Mock.on(s3.ListPartsCommand).resolves({ NextPartNumberMarker: '1000', IsTruncated: true });
    const definition = {
      StartAt: 'List',
      States: {
        List: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:s3:listParts', Parameters: { Bucket: 'b', Key: 'k', UploadId: 'u' }, Next: 'More?' },
        'More?': { Type: 'Choice', Choices: [{ Variable: '$.NextPartNumberMarker', NumericEquals: 1000, Next: 'More' }], Default: 'Done' },
        More: { Type: 'Succeed' },
        Done: { Type: 'Fail', Error: 'NoMore' },
      },
    };

    // Act
    const execution = await execute(definition);

    // Assert
    expect(execution.status).toBe('SUCCEEDED');
  });
});
