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

/** S3's error messages (Amazon S3 API Reference, "Error responses": List of error codes) → its codes */
const S3_MESSAGES: Array<[RegExp, string]> = [
  [/^Please reduce your request rate\.?/i, 'SlowDown'],
  [/^Access Denied\.?$/i, 'AccessDenied'],
  [/^At least one of the pre-conditions you specified did not hold/i, 'PreconditionFailed'],
  [/^We encountered an internal error\. Please try again\.?/i, 'InternalError'],
  [/^Your socket connection to the server was not read from or written to within the timeout period/i, 'RequestTimeout'],
  [/^(Service Unavailable|Reduce your request rate)/i, 'ServiceUnavailable'],
  [/^The specified upload does not exist/i, 'NoSuchUpload'],
  [/^The specified bucket does not exist/i, 'NoSuchBucket'],
  [/^The specified key does not exist/i, 'NoSuchKey'],
  [/^The provided token has expired/i, 'ExpiredToken'],
  [/^All access to this (Amazon S3 )?(object|resource) has been disabled/i, 'AllAccessDisabled'],
];

/** the HTTP status's usual S3 code, where the message is not one of S3's */
const STATUS_CODES: Record<number, string> = {
  400: 'InvalidRequest', 403: 'AccessDenied', 404: 'NotFound', 409: 'OperationAborted', 412: 'PreconditionFailed',
  500: 'InternalError', 503: 'ServiceUnavailable',
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
  if (!generic && prefix !== 'States' && prefix !== '') code = name.replace(/Exception$/, '') || name;
  else if (name === 'SdkClientException') code = 'SdkClientException';
  else if (prefix === 'S3' || prefix === '') code = S3_MESSAGES.find(([pattern]) => pattern.test(message.trim()))?.[1] ?? (status !== undefined ? STATUS_CODES[status] : undefined) ?? name;
  else code = (javaCause && /Error Code: (\w+)/.exec(cause)?.[1]) ?? (status !== undefined ? STATUS_CODES[status] : undefined) ?? name;
  const transient = name === 'SdkClientException' || error === 'States.Timeout' || (status !== undefined && status >= 500)
    || /^(SlowDown|ServiceUnavailable|InternalError|RequestTimeout|Throttling|ThrottlingException|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests)$/.test(code);
  return { code, status, transient, error, cause };
}
