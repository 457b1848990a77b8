/**
 * The error and cause Step Functions gives a failed Task, built from what the local side saw (an AWS SDK v3 error, a
 * Lambda handler's exception, a local Step Functions API error). Shapes recorded from AWS are kept in
 * test/fixtures/aws-recorded/ and test/conformance/error-names.test.ts reproduces each of them.
 *
 * AWS SDK integrations (`arn:aws:states:::aws-sdk:SERVICE:action`) run on the AWS SDK for Java v2:
 * - a MODELED exception of the service → `<Prefix>.<Name>` with "Exception" appended unless the name has it
 *   (`S3.NoSuchUploadException`, `DynamoDb.ResourceNotFoundException`); every other service error → the service's
 *   generic exception `<Prefix>.<Prefix>Exception` (`S3.S3Exception`, `DynamoDb.DynamoDbException`);
 * - cause: `<message> (Service: <Prefix>, Status Code: <status>, Request ID: <id>[, Extended Request ID: <ext>])`.
 *   Sources: developer guide "AWS SDK service integrations" (the Exception suffix), LocalStack's AWS-recorded
 *   tests/aws/services/stepfunctions/v2/error_handling/test_aws_sdk.snapshot.json (S3.NoSuchBucketException,
 *   DynamoDb.DynamoDbException, DynamoDb.ResourceNotFoundException with their causes).
 * Optimized integrations (`arn:aws:states:::dynamodb:putItem`, `…:states:startExecution`) run on the AWS SDK for Java
 * v1: modeled → `DynamoDB.<Name>Exception`, other → `DynamoDB.AmazonDynamoDBException`; cause
 * `<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: <code>; Request ID: <id>; Proxy: null)`
 * (test_task_service_dynamodb.snapshot.json; test_task_service_sfn.snapshot.json for StepFunctions.*).
 * An error with no HTTP status never reached the service (reset, refused, timed out): `<Prefix>.SdkClientException`,
 * cause `Unable to execute HTTP request: <message>` (the Java SDKs' wording for a failed HTTP exchange). SDK v3 may
 * attach `$metadata` to such an error too, so "reached the service" means "has an HTTP status code".
 *
 * "Modeled" = an exception class exported by the service's @aws-sdk/client-* package (SDK v3 and the Java SDK are
 * generated from the same service model), except the shapes listed in NOT_IN_STEP_FUNCTIONS_MODEL.
 */
import * as s3 from '@aws-sdk/client-s3';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as sfn from '@aws-sdk/client-sfn';

type SdkModule = Record<string, unknown>;

/** Step Functions' prefix per service (also the `Service:` of an aws-sdk cause), and the SDK v3 module modelling it */
export const SERVICES: Record<string, { prefix: string; optimizedPrefix?: string; javaV1Service?: string; module: SdkModule }> = {
  s3: { prefix: 'S3', module: s3 },
  dynamodb: { prefix: 'DynamoDb', optimizedPrefix: 'DynamoDB', javaV1Service: 'AmazonDynamoDBv2', module: dynamodb },
  sfn: { prefix: 'Sfn', module: sfn },
};

/**
 * Shapes @aws-sdk/client-s3 exports that Step Functions does not treat as modeled. `AccessDenied` entered the S3
 * model with UpdateObjectEncryption (2025); the project's AWS evidence (plan/DESIGN.md, shared/aws-behaviour.md)
 * has S3's 403 AccessDenied arrive as S3.S3Exception.
 */
const NOT_IN_STEP_FUNCTIONS_MODEL = new Set(['AccessDenied']);

/** S3 operations whose 404 the Java SDK v2 raises as a more specific exception than the model's `NotFound` */
const JAVA_NOT_FOUND: Record<string, string> = { headObject: 'NoSuchKey', headBucket: 'NoSuchBucket' };

const modeledNames = new Map<string, Set<string>>();
function modeled(service: string): Set<string> {
  let names = modeledNames.get(service);
  if (!names) {
    const module = SERVICES[service]?.module ?? {};
    const base = Object.entries(module).find(([name, value]) => /ServiceException$/.test(name) && typeof value === 'function')?.[1] as
      | (new (
          ...args: never[]
        ) => unknown)
      | undefined;
    names = new Set(
      Object.entries(module)
        .filter(([name, value]) => base && typeof value === 'function' && value.prototype instanceof base && !NOT_IN_STEP_FUNCTIONS_MODEL.has(name))
        .map(([name]) => name),
    );
    modeledNames.set(service, names);
  }
  return names;
}

const withException = (name: string): string => (name.endsWith('Exception') ? name : `${name}Exception`);

export interface StatesError {
  error: string;
  cause: string;
}

type SdkError = { name?: string; message?: string; Code?: string; $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string } };

/** The AWS SDK for Java v1's rendering of a service error (optimized integrations) */
export const javaV1Cause = (message: string, service: string, status: number, code: string, requestId: string | undefined): string =>
  `${message} (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: ${requestId ?? 'null'}; Proxy: null)`;

/**
 * Error and cause of a Task whose SDK call failed. `action` is the integration's action (`headObject`). Codes in
 * `generic` are named as unmodeled errors (`S3.S3Exception`) although the SDK models them.
 */
export function sdkTaskError(
  resource: { service: string; action?: string; optimized?: boolean },
  error: unknown,
  generic: ReadonlySet<string> = new Set(),
): StatesError {
  const spec = SERVICES[resource.service];
  const prefix = (resource.optimized ? spec?.optimizedPrefix : undefined) ?? spec?.prefix ?? resource.service;
  const e = (error ?? {}) as SdkError;
  const message = e.message || e.name || 'Unknown error';
  const status = e.$metadata?.httpStatusCode;
  if (typeof status !== 'number') return { error: `${prefix}.SdkClientException`, cause: `Unable to execute HTTP request: ${message}` };
  let code = e.Code ?? e.name ?? 'Unknown';
  if (code === 'NotFound' && resource.action && JAVA_NOT_FOUND[resource.action]) code = JAVA_NOT_FOUND[resource.action];
  const isModeled = modeled(resource.service).has(code) && !generic.has(code);
  const requestId = e.$metadata?.requestId;
  if (resource.optimized) {
    return {
      error: `${prefix}.${isModeled ? withException(code) : `Amazon${prefix}Exception`}`,
      cause: javaV1Cause(message, spec?.javaV1Service ?? `Amazon${prefix}`, status, code, requestId),
    };
  }
  const extended = e.$metadata?.extendedRequestId === undefined ? '' : `, Extended Request ID: ${e.$metadata.extendedRequestId}`;
  return {
    error: `${prefix}.${isModeled ? withException(code) : `${prefix}Exception`}`,
    cause: `${message} (Service: ${prefix}, Status Code: ${status}, Request ID: ${requestId ?? 'null'}${extended})`,
  };
}

/**
 * A Lambda function error as Step Functions reports it: Error = the error's type, Cause = the function's error
 * document as a JSON string. The Node.js runtime (nodejs22.x, this project's) writes
 * `{"errorType", "errorMessage", "trace"}` (Lambda developer guide, "AWS Lambda function errors in Node.js").
 */
export function lambdaFunctionError(error: unknown): StatesError {
  const e = error instanceof Error ? error : new Error(String(error));
  const errorType = e.name || 'Error';
  const trace = (e.stack ?? `${errorType}: ${e.message}`).split('\n');
  return { error: errorType, cause: JSON.stringify({ errorType, errorMessage: e.message, trace }) };
}

/**
 * An error of a Step Functions API call made by an optimized `states:` integration (startExecution): Java SDK v1,
 * `StepFunctions.<Code>Exception`, service AWSStepFunctions (LocalStack's AWS-recorded
 * test_task_service_sfn.snapshot.json: StepFunctions.StateMachineDoesNotExistException).
 */
export const stepFunctionsTaskError = (code: string, message: string): StatesError => ({
  error: `StepFunctions.${withException(code)}`,
  cause: javaV1Cause(message, 'AWSStepFunctions', 400, code, crypto.randomUUID()),
});
