/**
 * The one place that reads a Step Functions task error. AWS names an AWS SDK integration's error after the service's
 * model: modeled exceptions keep their name (`S3.NoSuchUploadException`), every other error of the service arrives as
 * the generic `S3.S3Exception` (`DynamoDb.DynamoDbException`, `DynamoDB.AmazonDynamoDBException` for the optimized
 * integration) with the details only in the cause, in the AWS SDK for Java's format:
 *   `Please reduce your request rate. (Service: S3, Status Code: 503, Request ID: …, Extended Request ID: …)`
 * Sources: the developer guide's page on AWS SDK service integrations; LocalStack's snapshots recorded against AWS
 * (tests/aws/services/stepfunctions/v2/error_handling/test_aws_sdk.snapshot.json). The cause carries S3's message and
 * HTTP status, not its error code: the code is recovered from S3's documented messages, then from the status.
 */

export interface ClassifiedError {
  /** the service's own error code (SlowDown, AccessDenied, NoSuchBucket …), or the Step Functions name */
  code: string;
  /** HTTP status from the cause, where there was an answer */
  status?: number;
  /** true when retrying can help: throttling, 5xx, a lost connection, a timeout */
  transient: boolean;
  /** the Step Functions error name as received */
  error: string;
  cause: string;
}

/**
 * S3's error messages, by code (Amazon S3 API Reference, "Error responses", list of error codes). The cause Step Functions
 * gives carries the message, not the code: the code is recovered from the message.
 */
export const S3_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Reduce your request rate.',
  AccessDenied: 'Access Denied',
  PreconditionFailed: 'At least one of the pre-conditions you specified did not hold',
  InternalError: 'We encountered an internal error. Please try again.',
  RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
  NoSuchUpload: 'The specified upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
  NoSuchBucket: 'The specified bucket does not exist',
  NoSuchKey: 'The specified key does not exist.',
  ExpiredToken: 'The provided token has expired.',
  AllAccessDisabled: 'All access to this Amazon S3 resource has been disabled.',
};

/** the code whose documented message the given message is (S3 may add detail after it) */
const s3CodeOfMessage = (message: string) =>
  Object.entries(S3_ERROR_MESSAGES).find(([, documented]) => message.trim().toLowerCase().startsWith(documented.replace(/\.$/, '').toLowerCase()))?.[0];

/** the HTTP status's usual S3 code, where the message is not one of S3's */
const STATUS_CODES: Record<number, string> = {
  400: 'InvalidRequest',
  403: 'AccessDenied',
  404: 'NotFound',
  409: 'OperationAborted',
  412: 'PreconditionFailed',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

const JAVA_CAUSE = /^(?<message>[\s\S]*?)\s*\(Service: (?<service>[^,;]+)[,;] Status Code: (?<status>\d{3})[,;]/;

export function classifyTaskError(failure: { Error?: string; Cause?: string } | undefined): ClassifiedError {
  const error = failure?.Error ?? 'States.TaskFailed';
  const cause = failure?.Cause ?? '';
  const javaCause = JAVA_CAUSE.exec(cause);
  const status = javaCause ? Number(javaCause.groups!.status) : undefined;
  const message = javaCause ? javaCause.groups!.message : cause;
  const [prefix, name = ''] = error.includes('.') ? [error.slice(0, error.indexOf('.')), error.slice(error.indexOf('.') + 1)] : ['', error];
  const generic = /^(S3Exception|DynamoDbException|AmazonDynamoDBException|SdkClientException)$/.test(name);
  let code: string;
  if (prefix === 'States') code = error;
  else if (!generic && prefix !== '') code = name.replace(/Exception$/, '') || name;
  else if (name === 'SdkClientException') code = 'SdkClientException';
  else if (prefix === 'S3' || prefix === '') code = s3CodeOfMessage(message) ?? (status !== undefined ? STATUS_CODES[status] : undefined) ?? name;
  else code = (javaCause && /Error Code: (\w+)/.exec(cause)?.[1]) ?? (status !== undefined ? STATUS_CODES[status] : undefined) ?? name;
  const transient = name === 'SdkClientException' || error === 'States.Timeout' || (status !== undefined && status >= 500) || TRANSIENT_CODES.test(code);
  return { code, status, transient, error, cause };
}

/** the services' codes for throttling and passing failures, whatever their HTTP status (S3's RequestTimeout is a 400) */
const TRANSIENT_CODES =
  /^(SlowDown|ServiceUnavailable|InternalError|RequestTimeout|Throttling|ThrottlingException|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests)$/;

/**
 * An error of the AWS SDK for JavaScript (a sweep Lambda's own call) in the same terms: its name as the error, S3's
 * status in the Java SDK's cause format; an error without an HTTP answer (connection reset, timeout) is the SDK's
 * client error, as Step Functions names it.
 */
export function classifySdkError(error: unknown): ClassifiedError {
  const e = (error ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? String(error);
  if (status === undefined) return classifyTaskError({ Error: 'SdkClientException', Cause: message });
  const classified = classifyTaskError({ Error: e.name ?? 'Error', Cause: `${message} (Service: S3, Status Code: ${status}, Request ID: -)` });
  // the JavaScript SDK names the error after the service's own code (S3's <Code>, DynamoDB's __type): a throttling code
  // is transient whatever the status and message say
  const named = (e.name ?? '').replace(/Exception$/, '');
  return TRANSIENT_CODES.test(named) || TRANSIENT_CODES.test(e.name ?? '') ? { ...classified, code: named, transient: true } : classified;
}
