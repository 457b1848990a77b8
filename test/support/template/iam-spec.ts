/**
 * The IAM spec of the packaged stack, as data: every role in the template, the service that assumes it and ALL its
 * statements (per partition: S3 ARNs name it), and how to read a role's statements out of a template.
 */
import type { StateMachineKey } from '../../../lib/settings.ts';
import type { Resolve } from './intrinsics.ts';
import { ACCOUNT, REGION, TABLE_ARN, allowedBuckets, asArray, executionsOf, sm, type Template } from './stack.ts';

export interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
}

/** a role's statements, evaluated for `partition`, each with its actions and resources sorted, in a stable order */
export function statementsOf(template: Template, resolve: Resolve, roleId: string, partition = 'aws'): Statement[] {
  const role = resolve(template.Resources[roleId].Properties, partition) as {
    Policies?: Array<{
      PolicyDocument: { Statement: Array<Omit<Statement, 'Action' | 'Resource'> & { Action: string | string[]; Resource: string | string[] }> };
    }>;
  };
  return (role.Policies ?? [])
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .map((s) => ({
      Effect: s.Effect,
      Action: asArray(s.Action).sort(),
      Resource: asArray(s.Resource).sort(),
      ...(s.Condition ? { Condition: s.Condition } : {}),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
export const allow = (actions: string[], resources: string[]): Statement => ({ Effect: 'Allow', Action: [...actions].sort(), Resource: [...resources].sort() });
export const sortStatements = (statements: Statement[]) => [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const ownLogs = (fn: string) => allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`GetAtt(${fn}LogGroup.Arn)`]);
const s3ObjectArns = (partition: string) => allowedBuckets.map((pattern) => `arn:${partition}:s3:::${pattern}/*`);
const s3BucketArns = (partition: string) => allowedBuckets.map((pattern) => `arn:${partition}:s3:::${pattern}`);
/**
 * ListParts of an SSE-KMS or DSSE-KMS upload needs kms:Decrypt: every role that calls ListParts may decrypt, through
 * S3 in the stack's region only, with the keys given (any key when the stage names none)
 */
export const kmsDecrypt = (partition: string, keys = ['*']): Statement => ({
  ...allow(['kms:Decrypt'], keys),
  Condition: { StringEquals: { 'kms:ViaService': `s3.${REGION}.${partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}` } },
});
/** the roles that call ListParts (s3:ListMultipartUploadParts) */
export const LIST_PARTS_ROLES = [
  'AbortUploadStateMachineRole',
  'SweepPageStateMachineRole',
  'PrepareRunRole',
  'SweepListRole',
  // a page's intent is reconciled with ListParts after the page died (lib/sweep/intent.ts)
  'SweepRecordRole',
  'RecordInterruptedRunRole',
  // the debt scan measures every upload it covers
  'DebtScanRole',
];
const XRAY = allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], ['*']);
const LOG_DELIVERY = allow(
  [
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
  ],
  ['*'],
);
/** what a startExecution.sync:2 task needs besides StartExecution on the child (AWS's documented policy) */
const awaitChild = (key: StateMachineKey) => [
  allow(['states:DescribeExecution', 'states:StopExecution'], [executionsOf(key)]),
  allow(
    ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
    [`arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`],
  ),
];
const startOnly = (key: StateMachineKey) => allow(['states:StartExecution'], [`Ref(${sm(key).id})`]);

/** Every role in the template, with the service that assumes it and ALL its statements. */
export const EXPECTED_ROLES: Record<string, { service: string; statements: (partition: string) => Statement[] }> = {
  AbortUploadStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: (partition) => [
      allow(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      kmsDecrypt(partition),
      allow(['lambda:InvokeFunction'], ['GetAtt(PrepareRunLambdaFunction.Arn)', 'GetAtt(RecordOutcomeLambdaFunction.Arn)']),
      XRAY,
      LOG_DELIVERY,
    ],
  },
  SweepPageStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: (partition) => [
      allow(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      kmsDecrypt(partition),
      allow(['lambda:InvokeFunction'], ['GetAtt(SweepListLambdaFunction.Arn)', 'GetAtt(SweepRecordLambdaFunction.Arn)']),
      XRAY,
      LOG_DELIVERY,
    ],
  },
  SweepTargetStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: () => [
      allow(['states:StartExecution'], [`Ref(${sm('sweepPage').id})`, `Ref(${sm('abortUpload').id})`]),
      allow(
        ['states:DescribeExecution', 'states:StopExecution'],
        [`arn:aws:states:${REGION}:${ACCOUNT}:express:${sm('sweepPage').name}:*`, executionsOf('sweepPage'), executionsOf('abortUpload')],
      ),
      awaitChild('sweepPage')[1],
      allow(['lambda:InvokeFunction'], ['GetAtt(SweepRecordLambdaFunction.Arn)']),
      XRAY,
      LOG_DELIVERY,
    ],
  },
  SweepUploadsStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: () => [
      allow(
        ['lambda:InvokeFunction'],
        [
          'GetAtt(PlanSweepLambdaFunction.Arn)',
          'GetAtt(SweepLanesLambdaFunction.Arn)',
          'GetAtt(SweepRecordLambdaFunction.Arn)',
          'GetAtt(SweepFinishLambdaFunction.Arn)',
        ],
      ),
      startOnly('sweepTarget'),
      ...awaitChild('sweepTarget'),
      allow(['dynamodb:PutItem'], [TABLE_ARN]),
      XRAY,
      LOG_DELIVERY,
    ],
  },
  AbortAfterDeadlineStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: () => [startOnly('abortUpload'), ...awaitChild('abortUpload'), XRAY, LOG_DELIVERY],
  },
  // generated by serverless-step-functions for the rules' and the schedule's targets
  AbortUploadEventToStepFunctionsRole: { service: 'events.amazonaws.com', statements: () => [startOnly('abortUpload')] },
  SweepUploadsEventToStepFunctionsRole: { service: 'events.amazonaws.com', statements: () => [startOnly('sweepUploads')] },
  SweepUploadsScheduleToStepFunctionsRole: { service: 'events.amazonaws.com', statements: () => [startOnly('sweepUploads')] },
  AbortAfterDeadlineEventToStepFunctionsRole: { service: 'events.amazonaws.com', statements: () => [startOnly('abortAfterDeadline')] },
  CreateAbortRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [
      ownLogs('CreateAbort'),
      startOnly('abortUpload'),
      allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], [TABLE_ARN]),
      allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStatusShard`]),
    ],
  },
  GetAbortRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('GetAbort'), allow(['dynamodb:GetItem'], [TABLE_ARN])],
  },
  ListAbortsRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('ListAborts'), allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byShardStartedAt`, `${TABLE_ARN}/index/byStatusShard`])],
  },
  CreateSweepRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('CreateSweep'), startOnly('sweepUploads'), allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStatusShard`])],
  },
  GetSweepRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('GetSweep'), allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [TABLE_ARN])],
  },
  ListSweepsRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('ListSweeps'), allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byShardStartedAt`])],
  },
  GetReportRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('GetReport'), allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStatusShard`])],
  },
  PlanSweepRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('PlanSweep'), allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStatusShard`])],
  },
  SweepListRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('SweepList'),
      allow(['s3:ListBucketMultipartUploads'], s3BucketArns(partition)),
      allow(['s3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      kmsDecrypt(partition),
      allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStatusShard`]),
      allow(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], [TABLE_ARN]),
      allow(['s3:PutObject'], ['GetAtt(SweepIntentsBucket.Arn)/*']),
    ],
  },
  SweepLanesRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('SweepLanes'),
      allow(['s3:ListBucketMultipartUploads'], s3BucketArns(partition)),
      allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [TABLE_ARN]),
    ],
  },
  GetSweepPlanRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('GetSweepPlan'), allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [TABLE_ARN])],
  },
  ApplySweepPlanRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('ApplySweepPlan'), allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [TABLE_ARN]), startOnly('sweepUploads')],
  },
  SweepRecordRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('SweepRecord'),
      allow(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'], [TABLE_ARN]),
      allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byShardStartedAt`]),
      allow(['s3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      kmsDecrypt(partition),
      allow(['s3:GetObject'], ['GetAtt(SweepIntentsBucket.Arn)/*']),
    ],
  },
  SweepFinishRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('SweepFinish'), allow(['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], [TABLE_ARN])],
  },
  PrepareRunRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('PrepareRun'),
      allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStatusShard`]),
      allow(['dynamodb:UpdateItem', 'dynamodb:GetItem'], [TABLE_ARN]),
      allow(['s3:ListMultipartUploadParts', 's3:GetObject'], s3ObjectArns(partition)),
      kmsDecrypt(partition),
      allow(['s3:ListBucket'], s3BucketArns(partition)),
    ],
  },
  RecordOutcomeRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('RecordOutcome'), allow(['dynamodb:UpdateItem'], [TABLE_ARN])],
  },
  RecordInterruptedRunRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('RecordInterruptedRun'),
      allow(['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'], [TABLE_ARN]),
      allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byShardStartedAt`]),
      allow(['states:ListExecutions'], [`Ref(${sm('sweepTarget').id})`, `Ref(${sm('abortUpload').id})`]),
      allow(['states:DescribeExecution', 'states:StopExecution'], [executionsOf('sweepTarget'), executionsOf('abortUpload')]),
      allow(['s3:GetObject'], ['GetAtt(SweepIntentsBucket.Arn)/*']),
      allow(['s3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      kmsDecrypt(partition),
    ],
  },
  DebtScanRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('DebtScan'),
      allow(['s3:ListAllMyBuckets'], ['*']),
      allow(['s3:ListBucketMultipartUploads', 's3:GetLifecycleConfiguration', 's3:GetBucketLocation'], s3BucketArns(partition)),
      allow(['s3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      kmsDecrypt(partition),
    ],
  },
  CancelSweepRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [
      ownLogs('CancelSweep'),
      allow(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'], [TABLE_ARN]),
      allow(['states:StopExecution'], [executionsOf('sweepUploads')]),
    ],
  },
};
