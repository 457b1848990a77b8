/**
 * classifyTaskError: the one reader of Step Functions task errors. The shapes below are AWS's (modeled exceptions keep
 * their names; every other S3 error is `S3.S3Exception` with the AWS SDK for Java's cause; DynamoDB's optimized
 * integration says `DynamoDB.AmazonDynamoDBException`), the local runtime's (`S3.SlowDownException`), and Lambda's
 * (the thrown error's name, the cause a JSON document): each must give S3's own code.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifySdkError, classifyTaskError } from '../../lib/task-errors.ts';

const java = (message: string, status: number, service = 'S3') =>
  `${message} (Service: ${service}, Status Code: ${status}, Request ID: 4V8M2Q, Extended Request ID: a1b2c3=)`;
const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorMessage, errorType, stackTrace: ['at x (file.js:1:1)'] });

/** S3's errors: code, HTTP status, S3's documented message, and whether retrying can help */
const S3_ERRORS = [
  ['SlowDown', 503, 'Please reduce your request rate.', true],
  ['InternalError', 500, 'We encountered an internal error. Please try again.', true],
  ['ServiceUnavailable', 503, 'Service Unavailable', true],
  [
    'RequestTimeout',
    400,
    'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
    true,
  ],
  ['AccessDenied', 403, 'Access Denied', false],
  ['PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', false],
  ['ExpiredToken', 400, 'The provided token has expired.', false],
  ['AllAccessDisabled', 403, 'All access to this Amazon S3 resource has been disabled.', false],
] as const;

describe('classifyTaskError: S3 errors as AWS names them (S3.S3Exception, Java-format cause)', () => {
  it.each(S3_ERRORS)("%s (%i): S3's message gives the code", (code, status, message, transient) => {
    // Act
    const classified = classifyTaskError({ Error: 'S3.S3Exception', Cause: java(message, status) });

    // Assert
    expect(classified).toEqual({ code, status, transient, error: 'S3.S3Exception', cause: java(message, status) });
  });

  it.each(S3_ERRORS)("%s: the local runtime's name (S3.<code>Exception) gives the same code", (code, status, message, transient) => {
    // Act
    const local = classifyTaskError({ Error: `S3.${code}Exception`, Cause: `${message} (Service: s3, Action: abortMultipartUpload)` });
    const aws = classifyTaskError({ Error: 'S3.S3Exception', Cause: java(message, status) });

    // Assert
    expect(local.code).toBe(aws.code);
    expect(local.transient).toBe(transient);
  });

  it.each([
    [409, 'OperationAborted', false],
    [500, 'InternalError', true],
    [503, 'ServiceUnavailable', true],
    [403, 'AccessDenied', false],
  ])('falls back on the HTTP status for a message S3 does not document: %i → %s', (status, code, transient) => {
    expect(classifyTaskError({ Error: 'S3.S3Exception', Cause: java('Something new happened.', status) })).toMatchObject({ code, status, transient });
  });

  it.each([
    [
      'S3.NoSuchUploadException',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      'NoSuchUpload',
    ],
    ['S3.NoSuchBucketException', 'The specified bucket does not exist', 404, 'NoSuchBucket'],
    ['S3.NoSuchKeyException', 'The specified key does not exist.', 404, 'NoSuchKey'],
  ])("keeps a modeled exception's name: %s", (error, message, status, code) => {
    expect(classifyTaskError({ Error: error, Cause: java(message, status) })).toMatchObject({ code: code, status, transient: false, error });
  });

  it('calls an error that never reached S3 (reset, refused, timed out) SdkClientException, and transient', () => {
    expect(classifyTaskError({ Error: 'S3.SdkClientException', Cause: 'Unable to execute HTTP request: Connection reset' })).toEqual({
      code: 'SdkClientException',
      transient: true,
      error: 'S3.SdkClientException',
      cause: 'Unable to execute HTTP request: Connection reset',
      status: undefined,
    });
  });
});

describe('classifyTaskError: DynamoDB, Lambda and Step Functions errors', () => {
  it.each([
    [
      'DynamoDB.ConditionalCheckFailedException',
      'The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: R)',
      'ConditionalCheckFailed',
      false,
    ],
    [
      'DynamoDB.AmazonDynamoDBException',
      'Throughput exceeds the current capacity (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ThrottlingException; Request ID: R; Proxy: null)',
      'ThrottlingException',
      true,
    ],
    [
      'DynamoDB.AmazonDynamoDBException',
      'Internal server error (Service: AmazonDynamoDBv2; Status Code: 500; Error Code: InternalServerError; Request ID: R)',
      'InternalServerError',
      true,
    ],
    [
      'DynamoDB.ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput for the table was exceeded (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ProvisionedThroughputExceededException; Request ID: R)',
      'ProvisionedThroughputExceeded',
      true,
    ],
  ])('%s gives the code in the cause (%#)', (error, cause, code, transient) => {
    expect(classifyTaskError({ Error: error, Cause: cause })).toMatchObject({ code, transient });
  });

  it.each([
    ['SlowDown', 'Please reduce your request rate.', 'SlowDown', true],
    ['AccessDenied', 'Access Denied', 'AccessDenied', false],
    ['ServiceUnavailable', 'The service is currently unavailable or busy.', 'ServiceUnavailable', true],
    ['InvalidRequest', 'request.uploadId: must not be empty', 'InvalidRequest', false],
  ])("takes a Lambda function error's type as its code: %s", (errorType, message, code, transient) => {
    // Act: AWS's cause is Lambda's JSON error document; the local runtime's is the message
    const aws = classifyTaskError({ Error: errorType, Cause: lambdaCause(errorType, message) });
    const local = classifyTaskError({ Error: errorType, Cause: message });

    // Assert
    expect(aws).toMatchObject({ code, transient });
    expect(local).toMatchObject({ code, transient });
  });

  it('reads a missing failure as States.TaskFailed, not retried', () => {
    expect(classifyTaskError(undefined)).toMatchObject({ error: 'States.TaskFailed', cause: '', transient: false });
  });

  it('counts States.Timeout as transient', () => {
    expect(classifyTaskError({ Error: 'States.Timeout', Cause: '' })).toMatchObject({ transient: true, error: 'States.Timeout' });
  });

  // a record's error reads as the interrupted-runs rule writes it (States.Timeout), not "Timeout"
  it('keeps the Step Functions name of a States.* error as its code', () => {
    expect(classifyTaskError({ Error: 'States.Timeout', Cause: '' }).code).toBe('States.Timeout');
    expect(classifyTaskError(undefined).code).toBe('States.TaskFailed');
  });
});

describe('classifyTaskError: properties', () => {
  const failure = fc.record({ Error: fc.option(fc.string(), { nil: undefined }), Cause: fc.option(fc.string(), { nil: undefined }) });

  it('never throws, and always names a code and echoes what it was given', () => {
    fc.assert(
      fc.property(failure, (f) => {
        const classified = classifyTaskError(f);
        expect(typeof classified.code).toBe('string');
        expect(classified.error).toBe(f.Error ?? 'States.TaskFailed');
        expect(classified.cause).toBe(f.Cause ?? '');
      }),
    );
  });

  it("reads S3's code from any AWS-shaped cause, whatever the request ids say", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...S3_ERRORS),
        fc.stringMatching(/^[A-Z0-9]{0,20}$/),
        fc.base64String(),
        ([code, status, message, transient], requestId, extended) => {
          const cause = `${message} (Service: S3, Status Code: ${status}, Request ID: ${requestId}, Extended Request ID: ${extended})`;
          expect(classifyTaskError({ Error: 'S3.S3Exception', Cause: cause })).toMatchObject({ code, status, transient });
        },
      ),
    );
  });

  it('calls every 5xx transient, whatever the message', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 599 }),
        fc.string().filter((s) => !s.includes('(')),
        (status, message) => {
          expect(classifyTaskError({ Error: 'S3.S3Exception', Cause: java(message, status) }).transient).toBe(true);
        },
      ),
    );
  });
});

describe('classifySdkError (a sweep Lambda\'s own S3 call, e.g. the walk of "Split targets into lanes")', () => {
  const sdkError = (name: string, status: number | undefined, message: string) =>
    Object.assign(new Error(message), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } });

  it.each([
    [sdkError('NoSuchBucket', 404, 'The specified bucket does not exist'), 'NoSuchBucket', false],
    [sdkError('AccessDenied', 403, 'Access Denied'), 'AccessDenied', false],
    [sdkError('Unknown', 403, 'whatever a proxy says'), 'AccessDenied', false],
    [sdkError('SlowDown', 503, 'Please reduce your request rate.'), 'SlowDown', true],
    [sdkError('InternalError', 500, 'We encountered an internal error. Please try again.'), 'InternalError', true],
    [sdkError('TimeoutError', undefined, 'socket hang up'), 'SdkClientException', true],
    // the SDK's name is the service's own code: a throttling code is transient whatever the status and message
    [sdkError('SlowDown', 400, 'SlowDown'), 'SlowDown', true],
    [sdkError('ThrottlingException', 400, 'Rate exceeded'), 'Throttling', true],
    [
      sdkError('ProvisionedThroughputExceededException', 400, 'The level of configured provisioned throughput for the table was exceeded.'),
      'ProvisionedThroughputExceeded',
      true,
    ],
  ])('%s → %s (transient: %s)', (error, code, transient) => {
    expect(classifySdkError(error)).toMatchObject({ code, transient });
  });
});
