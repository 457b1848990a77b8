/**
 * Packages the `test` stage with osls (offline, no AWS) and checks the CloudFormation template it writes:
 * resources, every IAM statement, the EventBridge rules, the state machine's definition and substitutions,
 * the table, the API. Then asl-validator on every ASL file and, when it is installed, AWS's cfn-lint.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { recordsTableDefinition } from '../../lib/records.ts';
import { ABORT_SETTINGS_DEFAULTS } from '../../lib/settings.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STAGE = 'test';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const SERVICE = 's3-mpu-reaper';
const PACKAGE_TIMEOUT_MS = 120_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Resource { Type: string; Properties: JsonObject; DependsOn?: string | string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }
interface Template { Resources: Record<string, Resource>; Outputs: Record<string, { Value: Json }>; Conditions?: Record<string, Json> }

const config = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
  params: Record<string, { allowedBuckets?: string[] }>;
  custom: { abortRequestedPattern: JsonObject };
};
const allowedBuckets = config.params[STAGE].allowedBuckets ?? [];

let packageDir: string;
let template: Template;
let packageMs: number;

/**
 * Runs osls. After a failed build (an esbuild error such as an unresolvable import) osls prints its "Error:"
 * report and then does not exit: the process is ended a moment after that report, or at the timeout.
 */
function runOsls(args: string[]): Promise<{ status: number | null; output: string; failure?: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn('osls', args, {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let failure: string | undefined;
    const stop = (reason: string) => {
      failure ??= reason;
      child.kill('SIGTERM');
    };
    const timeout = setTimeout(() => stop(`no exit after ${PACKAGE_TIMEOUT_MS} ms`), PACKAGE_TIMEOUT_MS);
    let reported: NodeJS.Timeout | undefined;
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!reported && /^Error:\s*$/m.test(output)) reported = setTimeout(() => stop('osls reported an error and did not exit'), 3_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => stop(error.message));
    child.on('close', (status) => {
      clearTimeout(timeout);
      clearTimeout(reported);
      resolvePromise({ status, output, failure });
    });
  });
}

beforeAll(async () => {
  packageDir = mkdtempSync(join(tmpdir(), 'mpu-reaper-package-'));
  const started = Date.now();
  const result = await runOsls(['package', '--stage', STAGE, '--region', REGION, '--package', packageDir]);
  packageMs = Date.now() - started;
  const output = result.output.trim().split('\n').slice(-40).join('\n');
  if (result.failure) throw new Error(`osls package failed (${result.failure}, ${packageMs} ms):\n${output}`);
  if (result.status !== 0) throw new Error(`osls package exited ${result.status}:\n${output}`);
  console.info(`osls package --stage ${STAGE}: ${packageMs} ms`);
  template = JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}, PACKAGE_TIMEOUT_MS + 30_000);

afterAll(() => {
  if (packageDir) rmSync(packageDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- evaluating intrinsic functions
// References to the stack's own resources stay symbolic ("Ref(X)", "GetAtt(X.Arn)"); pseudo parameters take
// the values of a deployment to `partition` / us-east-1 / account 123456789012.

const NO_VALUE = Symbol('AWS::NoValue');

function pseudo(name: string, partition: string): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Partition': return partition;
    case 'AWS::Region': return REGION;
    case 'AWS::AccountId': return ACCOUNT;
    case 'AWS::URLSuffix': return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    case 'AWS::NoValue': return NO_VALUE;
    default: return undefined;
  }
}

function condition(name: string, partition: string): boolean {
  const definition = template.Conditions?.[name] as JsonObject | undefined;
  if (!definition) throw new Error(`unknown condition ${name}`);
  const equals = definition['Fn::Equals'] as Json[] | undefined;
  if (!equals) throw new Error(`condition ${name}: only Fn::Equals is evaluated here`);
  const [a, b] = equals.map((v) => resolve(v, partition));
  return a === b;
}

function resolve(node: Json, partition = 'aws'): any {
  if (Array.isArray(node)) return node.map((item) => resolve(item, partition)).filter((item) => item !== NO_VALUE);
  if (node === null || typeof node !== 'object') return node;
  const keys = Object.keys(node);
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = node[fn];
    switch (fn) {
      case 'Ref': {
        const value = pseudo(arg as string, partition);
        return value === undefined ? `Ref(${arg})` : value;
      }
      case 'Fn::GetAtt': return `GetAtt(${(arg as string[]).join('.')})`;
      case 'Fn::Join': {
        const [separator, list] = arg as [string, Json];
        return (resolve(list, partition) as string[]).join(separator);
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, Json];
        return (resolve(source, partition) as string).split(separator);
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = arg as [string, Json, Json];
        return resolve(condition(name, partition) ? whenTrue : whenFalse, partition);
      }
      case 'Fn::Sub': {
        const [text, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, JsonObject];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in variables) return resolve(variables[name], partition);
          const value = pseudo(name, partition);
          if (typeof value === 'string') return value;
          return name.includes('.') ? `GetAtt(${name})` : `Ref(${name})`;
        });
      }
      default: break;
    }
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolve(value, partition)]).filter(([, value]) => value !== NO_VALUE));
}

const ofType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

interface Statement { Effect: string; Action: string[]; Resource: string[] }
function statementsOf(roleId: string, partition = 'aws'): Statement[] {
  const role = resolve(template.Resources[roleId].Properties, partition) as {
    Policies?: Array<{ PolicyDocument: { Statement: Array<{ Effect: string; Action: string | string[]; Resource: string | string[] }> } }>;
  };
  return (role.Policies ?? [])
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .map((s) => ({ Effect: s.Effect, Action: asArray(s.Action).sort(), Resource: asArray(s.Resource).sort() }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
const allow = (actions: string[], resources: string[]): Statement => ({ Effect: 'Allow', Action: [...actions].sort(), Resource: [...resources].sort() });
const sortStatements = (statements: Statement[]) => [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const TABLE_ARN = 'GetAtt(RecordsTable.Arn)';
const STATE_MACHINE = 'AbortUploadStateMachine';
const STATE_MACHINE_NAME = `${SERVICE}-${STAGE}-abort-upload`;
const FUNCTIONS = {
  createAbort: { id: 'CreateAbort', handler: 'functions/create-abort.handler', api: true },
  getAbort: { id: 'GetAbort', handler: 'functions/get-abort.handler', api: true },
  listAborts: { id: 'ListAborts', handler: 'functions/list-aborts.handler', api: true },
  recordInterruptedRun: { id: 'RecordInterruptedRun', handler: 'functions/record-interrupted-run.handler', api: false },
} as const;
const ownLogs = (fn: string) => allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`GetAtt(${fn}LogGroup.Arn)`]);
const s3ObjectArns = (partition: string) => allowedBuckets.map((pattern) => `arn:${partition}:s3:::${pattern}/*`);

/** Every role in the template, with the service that assumes it and ALL its statements. */
const EXPECTED_ROLES: Record<string, { service: string; statements: (partition: string) => Statement[] }> = {
  AbortUploadStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: (partition) => [
      allow(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      allow(['dynamodb:UpdateItem'], [TABLE_ARN]),
      allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], ['*']),
      allow([
        'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
        'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
      ], ['*']),
    ],
  },
  // generated by serverless-step-functions for the abort-request rule's target
  AbortUploadEventToStepFunctionsRole: {
    service: 'events.amazonaws.com',
    statements: () => [allow(['states:StartExecution'], [`Ref(${STATE_MACHINE})`])],
  },
  CreateAbortRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [
      ownLogs('CreateAbort'),
      allow(['states:StartExecution'], [`Ref(${STATE_MACHINE})`]),
      allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], [TABLE_ARN]),
    ],
  },
  GetAbortRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('GetAbort'), allow(['dynamodb:GetItem'], [TABLE_ARN])],
  },
  ListAbortsRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('ListAborts'), allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStartedAt`, `${TABLE_ARN}/index/byStatus`])],
  },
  RecordInterruptedRunRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('RecordInterruptedRun'), allow(['dynamodb:UpdateItem'], [TABLE_ARN])],
  },
};

/** File names inside a zip, from its central directory. */
function zipEntries(file: string): string[] {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`${file}: not a zip`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: bad central directory entry`);
    const nameLength = zip.readUInt16LE(offset + 28);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return names.sort();
}

// ---------------------------------------------------------------- resources

describe('packaged template: resources', () => {
  it('has every resource the service needs', () => {
    const count = (type: string) => ofType(type).length;
    expect(template.Resources[STATE_MACHINE]?.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(count('AWS::StepFunctions::StateMachine')).toBe(1);
    expect(template.Resources.RecordsTable?.Type).toBe('AWS::DynamoDB::Table');
    expect(template.Resources.AbortRequestsDeadLetterQueue?.Type).toBe('AWS::SQS::Queue');
    expect(template.Resources.AbortRequestsDeadLetterQueuePolicy?.Type).toBe('AWS::SQS::QueuePolicy');
    expect(template.Resources.AbortUploadEventsRuleCloudWatchEvent1?.Type).toBe('AWS::Events::Rule');
    expect(count('AWS::Events::Rule')).toBe(2);
    expect(template.Resources.ApiGatewayRestApi?.Type).toBe('AWS::ApiGateway::RestApi');
    expect(count('AWS::ApiGateway::Method')).toBe(3);
    expect(count('AWS::ApiGateway::Deployment')).toBe(1);
    expect(count('AWS::Lambda::Function')).toBe(4);
    expect(count('AWS::Logs::LogGroup')).toBe(5); // one per function and the state machine's
    expect(ofType('AWS::IAM::Role').map(([id]) => id).sort()).toEqual(Object.keys(EXPECTED_ROLES).sort());
    // the framework's shared role is not there: each function has its own
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('declares the four functions with their handlers, runtime, architecture and own role and log group', () => {
    for (const [name, fn] of Object.entries(FUNCTIONS)) {
      const resource = template.Resources[`${fn.id}LambdaFunction`];
      expect(resource, name).toBeDefined();
      const props = resolve(resource.Properties);
      expect(props.Handler).toBe(fn.handler);
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.FunctionName).toBe(`${SERVICE}-${STAGE}-${name}`);
      expect(props.Role).toBe(`GetAtt(${fn.id}Role.Arn)`);
      expect(resolve(template.Resources[`${fn.id}LogGroup`].Properties).LogGroupName).toBe(`/aws/lambda/${SERVICE}-${STAGE}-${name}`);
      const expectedEnvironment: Record<string, string> = { RECORDS_TABLE: 'Ref(RecordsTable)', LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps' };
      if (fn.api) {
        expectedEnvironment.ABORT_STATE_MACHINE_ARN = `Ref(${STATE_MACHINE})`;
        expectedEnvironment.ALLOWED_BUCKETS = allowedBuckets.join(',');
      }
      expect(props.Environment.Variables).toEqual(expectedEnvironment);
    }
  });

  it('gives the API the same allowlist as the state machine role, in a form lib/allowlist.ts accepts', () => {
    expect(allowedBuckets.length).toBeGreaterThan(0);
    const allowlist = parseAllowlist(resolve(template.Resources.CreateAbortLambdaFunction.Properties).Environment.Variables.ALLOWED_BUCKETS);
    expect(allowlist.patterns).toEqual(allowedBuckets);
  });

  it('zips only what esbuild emitted: one ES module bundle and its source map per function', () => {
    for (const [name, fn] of Object.entries(FUNCTIONS)) {
      const base = fn.handler.replace(/\.handler$/, '');
      expect(zipEntries(join(packageDir, `${name}.zip`)), name).toEqual([`${base}.mjs`, `${base}.mjs.map`]);
    }
  });

  it('sets a retention on every log group', () => {
    for (const [id, group] of ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays, id).toBe(30);
  });

  it('has the outputs', () => {
    const outputs = Object.fromEntries(Object.entries(template.Outputs).map(([key, output]) => [key, resolve(output.Value)]));
    expect(outputs).toMatchObject({
      ApiUrl: `https://Ref(ApiGatewayRestApi).execute-api.${REGION}.amazonaws.com/${STAGE}`,
      StateMachineArn: `Ref(${STATE_MACHINE})`,
      TableName: 'Ref(RecordsTable)',
      DeadLetterQueueUrl: 'Ref(AbortRequestsDeadLetterQueue)',
    });
  });
});

// ---------------------------------------------------------------- IAM

describe('packaged template: IAM', () => {
  it.each(Object.keys(EXPECTED_ROLES))('%s has exactly the intended statements', (roleId) => {
    const expected = EXPECTED_ROLES[roleId];
    const role = resolve(template.Resources[roleId].Properties);
    const trust = role.AssumeRolePolicyDocument.Statement as Array<{ Effect: string; Principal: { Service: string }; Action: string }>;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Effect: 'Allow', Principal: { Service: expected.service }, Action: 'sts:AssumeRole' });
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(statementsOf(roleId)).toEqual(sortStatements(expected.statements('aws')));
  });

  it('lets Step Functions assume the state machine role only for this account and state machine', () => {
    const [trust] = resolve(template.Resources.AbortUploadStateMachineRole.Properties).AssumeRolePolicyDocument.Statement;
    expect(trust.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}` },
    });
    expect(template.Resources[STATE_MACHINE].Properties.StateMachineName).toBe(STATE_MACHINE_NAME);
  });

  it.each(['aws-cn', 'aws-us-gov'])('scopes S3 to the allowlist in the %s partition too', (partition) => {
    expect(statementsOf('AbortUploadStateMachineRole', partition)).toEqual(sortStatements(EXPECTED_ROLES.AbortUploadStateMachineRole.statements(partition)));
  });

  it('grants no s3, dynamodb or states action on a wildcard resource', () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      for (const [roleId] of ofType('AWS::IAM::Role')) {
        for (const statement of statementsOf(roleId, partition)) {
          if (!statement.Action.some((action) => /^(s3|dynamodb|states):/.test(action))) continue;
          expect(statement.Resource.length, roleId).toBeGreaterThan(0);
          for (const resource of statement.Resource) {
            expect(resource, `${roleId}: ${statement.Action.join(',')}`).not.toBe('*');
            expect(resource).not.toMatch(/^arn:[^:]+:s3:::\*/);
            expect(resource).not.toContain('arn:*');
          }
        }
      }
    }
  });
});

// ---------------------------------------------------------------- EventBridge

describe('packaged template: EventBridge', () => {
  it('starts the state machine for abort requests, with the pattern held in serverless.yml', () => {
    const rule = template.Resources.AbortUploadEventsRuleCloudWatchEvent1;
    expect(rule.Properties.EventPattern).toEqual(config.custom.abortRequestedPattern);
    expect(rule.Properties.State).toBe('ENABLED');
    const targets = resolve(rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: `Ref(${STATE_MACHINE})`,
      InputPath: '$.detail',
      RoleArn: 'GetAtt(AbortUploadEventToStepFunctionsRole.Arn)',
      DeadLetterConfig: { Arn: 'GetAtt(AbortRequestsDeadLetterQueue.Arn)' },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
    });
  });

  it('requires bucket, key and uploadId in the pattern', () => {
    expect(config.custom.abortRequestedPattern).toEqual({
      source: ['mpu-reaper'],
      'detail-type': ['Abort Multipart Upload Requested'],
      detail: { bucket: [{ exists: true }], key: [{ exists: true }], uploadId: [{ exists: true }] },
    });
  });

  it('keeps undeliverable requests in an encrypted queue that only this rule may write to', () => {
    expect(template.Resources.AbortRequestsDeadLetterQueue.Properties.SqsManagedSseEnabled).toBe(true);
    const policy = resolve(template.Resources.AbortRequestsDeadLetterQueuePolicy.Properties);
    expect(policy.Queues).toEqual(['Ref(AbortRequestsDeadLetterQueue)']);
    expect(policy.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: 'GetAtt(AbortRequestsDeadLetterQueue.Arn)',
      Condition: { ArnEquals: { 'aws:SourceArn': 'GetAtt(AbortUploadEventsRuleCloudWatchEvent1.Arn)' } },
    }]);
  });

  it('sends ABORTED and TIMED_OUT executions of this state machine to recordInterruptedRun', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.EventPattern).includes('aws.states'));
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [{ Ref: STATE_MACHINE }] },
    });
    const targets = resolve(rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    expect(targets[0].Arn).toBe('GetAtt(RecordInterruptedRunLambdaFunction.Arn)');
  });
});

// ---------------------------------------------------------------- state machine

describe('packaged template: state machine', () => {
  const ASL_FILE = join(ROOT, 'statemachines', 'abort-upload.asl.json');

  it('packages the ASL file unchanged', () => {
    const packaged = template.Resources[STATE_MACHINE].Properties.DefinitionString;
    expect(typeof packaged).toBe('string');
    expect(JSON.parse(packaged as string)).toEqual(JSON.parse(readFileSync(ASL_FILE, 'utf8')));
  });

  it('substitutes exactly the placeholders of the ASL file, with the settings of lib/settings.ts', () => {
    const placeholders = [...new Set([...readFileSync(ASL_FILE, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();
    const substitutions = resolve(template.Resources[STATE_MACHINE].Properties.DefinitionSubstitutions) as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);
    expect(substitutions.RecordsTableName).toBe('Ref(RecordsTable)');
    for (const [name, value] of Object.entries(ABORT_SETTINGS_DEFAULTS)) expect(Number(substitutions[name]), name).toBe(value);
  });

  it('is a STANDARD state machine with its own role, ERROR logging without execution data, and tracing', () => {
    const props = resolve(template.Resources[STATE_MACHINE].Properties);
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.RoleArn).toBe('GetAtt(AbortUploadStateMachineRole.Arn)');
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: 'GetAtt(AbortUploadLogGroup.Arn)' } }],
    });
    expect(template.Resources.AbortUploadLogGroup.Properties.RetentionInDays).toBe(30);
  });

  it('every ASL file in statemachines/ passes asl-validator', () => {
    const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
    const files = readdirSync(join(ROOT, 'statemachines')).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      // the validator writes default QueryLanguage fields into what it is given: give it its own copy
      const { isValid, errorsText } = aslValidator(JSON.parse(readFileSync(join(ROOT, 'statemachines', file), 'utf8')));
      expect(isValid, `${file}: ${isValid ? '' : errorsText('\n')}`).toBe(true);
    }
  });
});

// ---------------------------------------------------------------- table, API

describe('packaged template: records table', () => {
  it('has the keys and indexes the local stack creates (lib/records.ts)', () => {
    const table = template.Resources.RecordsTable;
    const expected = recordsTableDefinition('unused');
    const byName = <T extends { AttributeName?: string; IndexName?: string }>(list: T[]) =>
      [...list].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.KeySchema).toEqual(expected.KeySchema);
    expect(byName(table.Properties.AttributeDefinitions as never)).toEqual(byName(expected.AttributeDefinitions as never));
    expect(byName(table.Properties.GlobalSecondaryIndexes as never)).toEqual(byName(expected.GlobalSecondaryIndexes as never));
  });

  it('expires records by TTL, keeps point-in-time recovery, encrypts, and survives stack removal', () => {
    const table = template.Resources.RecordsTable;
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('packaged template: API', () => {
  it('serves the three routes with IAM authorisation, each through its own function', () => {
    const paths = Object.fromEntries(ofType('AWS::ApiGateway::Resource').map(([id, r]) => [id, r]));
    const pathOf = (resourceId: Json): string => {
      const ref = (resourceId as JsonObject).Ref as string | undefined;
      if (!ref) return '';
      const resource = paths[ref];
      return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart as string}`;
    };
    const routes = Object.fromEntries(ofType('AWS::ApiGateway::Method').map(([, method]) => {
      expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
      const uri = JSON.stringify(method.Properties.Integration);
      const target = Object.values(FUNCTIONS).find((fn) => uri.includes(`"${fn.id}LambdaFunction"`));
      return [`${method.Properties.HttpMethod as string} ${pathOf(method.Properties.ResourceId)}`, target?.id];
    }));
    expect(routes).toEqual({ 'POST /aborts': 'CreateAbort', 'GET /aborts/{id}': 'GetAbort', 'GET /aborts': 'ListAborts' });
  });
});

// ---------------------------------------------------------------- cfn-lint

/**
 * Findings accepted on purpose: W3005 "dependency already enforced by a GetAtt" on each function's DependsOn of
 * its role. The framework writes that DependsOn itself whenever `role:` names a resource; it is redundant, not
 * wrong, and serverless.yml cannot remove it.
 */
const ACCEPTED_FINDINGS = Object.values(FUNCTIONS).map((fn) => ({ rule: 'W3005', resource: `${fn.id}LambdaFunction`, dependsOn: `${fn.id}Role` }));

describe('packaged template: cfn-lint', () => {
  it('has no findings but the accepted ones', () => {
    const templatePath = join(packageDir, 'cloudformation-template-update-stack.json');
    const lint = spawnSync('cfn-lint', ['--format', 'json', '--', templatePath], { encoding: 'utf8', timeout: 120_000 });
    // 127: a pyenv shim for a Python without cfn-lint
    if ((lint.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || lint.status === 127) {
      console.warn('cfn-lint not on PATH: template not linted');
      return;
    }
    if (lint.error) throw lint.error;
    // exit status: a bit mask, 2 errors, 4 warnings, 8 informational; 1 means cfn-lint itself failed
    expect(lint.status === 1, lint.stderr).toBe(false);
    const findings = JSON.parse(lint.stdout || '[]') as Array<{ Level: string; Message: string; Rule: { Id: string }; Location: { Path: Array<string | number> } }>;
    const unexpected = findings.filter((finding) => !ACCEPTED_FINDINGS.some((accepted) =>
      finding.Rule.Id === accepted.rule && finding.Location.Path[1] === accepted.resource && finding.Message.includes(`'${accepted.dependsOn}'`)));
    expect(unexpected.map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`)).toEqual([]);
    expect([0, 4]).toContain(lint.status);
  });
});
