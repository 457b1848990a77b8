/**
 * Packages the `test` stage with osls (offline, no AWS) and checks the CloudFormation template it writes:
 * resources, every IAM statement, the EventBridge rules and schedule, the four state machines' definitions and
 * substitutions, the table, the API. A second package with `--param="deadlines=true"` and a sweepSchedule checks
 * that the stage params switch the deadline rule and the schedule on. Then asl-validator on every ASL file and,
 * when it is installed, AWS's cfn-lint.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { recordsTableDefinition } from '../../lib/records.ts';
import { stateMachineType, ABORT_SETTINGS_DEFAULTS, FUNCTIONS as INVOKED_FUNCTIONS, STATE_MACHINES as MACHINES, SWEEP_SETTINGS_DEFAULTS, type StateMachineKey } from '../../lib/settings.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STAGE = 'test';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const SERVICE = 's3-mpu-reaper';
const PACKAGE_TIMEOUT_MS = 120_000;
/** the second package: the params that switch the deadline rule and the sweep schedule on */
const SWEEP_SCHEDULE = 'rate(2 hours)';
const SWITCHED_ON_PARAMS = ['--param=deadlines=true', `--param=sweepSchedule=${SWEEP_SCHEDULE}`];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
interface Resource { Type: string; Properties: JsonObject; DependsOn?: string | string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }
interface Template { Resources: Record<string, Resource>; Outputs: Record<string, { Value: Json }>; Conditions?: Record<string, Json> }
type StageParams = { allowedBuckets?: string[]; allowedBucketMatchers?: Json[]; sweepTargets?: Json[]; deadlines?: boolean; sweepSchedule?: string };

const config = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
  plugins: string[];
  params: Record<string, StageParams>;
  custom: {
    abortRequestedPattern: JsonObject; sweepRequestedPattern: JsonObject; uploadCreatedPattern: JsonObject;
    apiThrottling: { rateLimit: number; burstLimit: number };
  };
};
const allowedBuckets = config.params[STAGE].allowedBuckets ?? [];

/** a custom.* pattern as the `test` stage resolves it: `${param:NAME}` replaced by the stage's (or default) param */
function withStageParams(node: Json): Json {
  if (typeof node === 'string') {
    const reference = /^\$\{param:([A-Za-z0-9]+)\}$/.exec(node);
    if (!reference) return node;
    const value = (config.params[STAGE] as Record<string, Json>)[reference[1]] ?? (config.params.default as Record<string, Json>)[reference[1]];
    if (value === undefined) throw new Error(`no param ${reference[1]} for stage ${STAGE}`);
    return value;
  }
  if (Array.isArray(node)) return node.map(withStageParams);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withStageParams(value)]));
}

/** the EventBridge matchers an allowlist pattern stands for: exact name → the name, "x-*" → { prefix: "x-" }, "*" → exists */
const matcherOf = (pattern: string): Json => (pattern === '*' ? { exists: true } : pattern.endsWith('*') ? { prefix: pattern.slice(0, -1) } : pattern);

let packageDir: string;
let template: Template;
let switchedOnTemplate: Template;

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

/** packages the `test` stage into a new directory (osls and serverless-esbuild share .esbuild/: one at a time) */
async function packageStage(extraArgs: string[]): Promise<{ dir: string; template: Template; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mpu-reaper-package-'));
  const started = Date.now();
  const result = await runOsls(['package', '--stage', STAGE, '--region', REGION, '--package', dir, ...extraArgs]);
  const ms = Date.now() - started;
  const output = result.output.trim().split('\n').slice(-40).join('\n');
  const what = ['osls package', ...extraArgs].join(' ');
  if (result.failure) throw new Error(`${what} failed (${result.failure}, ${ms} ms):\n${output}`);
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${output}`);
  console.info(`${what} --stage ${STAGE}: ${ms} ms`);
  return { dir, ms, template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template };
}

interface LintRun { status: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }
/** AWS's cfn-lint on a packaged template, started at once (it runs beside the next package: two cores) */
function cfnLint(dir: string): Promise<LintRun> {
  return new Promise((resolvePromise) => {
    const child = spawn('cfn-lint', ['--format', 'json', '--', join(dir, 'cloudformation-template-update-stack.json')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    let error: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('error', (e) => { error = e; });
    child.on('close', (status) => resolvePromise({ status, stdout, stderr, error }));
  });
}

let switchedOnDir: string | undefined;
const lintRuns: Array<{ name: string; run: Promise<LintRun> }> = [];
beforeAll(async () => {
  ({ dir: packageDir, template } = await packageStage([]));
  lintRuns.push({ name: 'default params', run: cfnLint(packageDir) });
  const switchedOn = await packageStage(SWITCHED_ON_PARAMS);
  switchedOnDir = switchedOn.dir;
  switchedOnTemplate = switchedOn.template;
  lintRuns.push({ name: SWITCHED_ON_PARAMS.join(' '), run: cfnLint(switchedOnDir) });
}, 2 * PACKAGE_TIMEOUT_MS + 30_000);

afterAll(() => {
  for (const dir of [packageDir, switchedOnDir]) if (dir) rmSync(dir, { recursive: true, force: true });
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
const pascal = (key: string) => key[0].toUpperCase() + key.slice(1);

/** the four machines: logical ids, names and files, by the keys of lib/settings.ts STATE_MACHINES */
const STATE_MACHINES = Object.fromEntries((Object.keys(MACHINES) as StateMachineKey[]).map((key) => {
  const id = pascal(key);
  return [key, {
    id: `${id}StateMachine`, role: `${id}StateMachineRole`, logGroup: `${id}LogGroup`, file: MACHINES[key].file,
    name: `${SERVICE}-${STAGE}-${MACHINES[key].file.replace(/\.asl\.json$/, '')}`,
  }];
})) as Record<StateMachineKey, { id: string; role: string; logGroup: string; file: string; name: string }>;
const sm = (key: StateMachineKey) => STATE_MACHINES[key];
const executionsOf = (key: StateMachineKey) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${sm(key).name}:*`;

/** the value every DefinitionSubstitution must have, by name: table, settings, ARNs (lib/settings.ts names them) */
const SETTINGS: Record<string, number> = { ...ABORT_SETTINGS_DEFAULTS, ...SWEEP_SETTINGS_DEFAULTS };
const ARN_SUBSTITUTIONS: Record<string, string> = {
  ...Object.fromEntries((Object.keys(MACHINES) as StateMachineKey[]).map((key) => [MACHINES[key].arnSubstitution, `Ref(${sm(key).id})`])),
  ...Object.fromEntries(Object.entries(INVOKED_FUNCTIONS).map(([key, fn]) => [fn.arnSubstitution, `GetAtt(${pascal(key)}LambdaFunction.Arn)`])),
};

const apiEnvironment = { ABORT_STATE_MACHINE_ARN: `Ref(${STATE_MACHINE})`, ALLOWED_BUCKETS: allowedBuckets.join(',') };
const FUNCTIONS = {
  createAbort: { id: 'CreateAbort', handler: 'functions/create-abort.handler', route: 'POST /aborts', env: { ...apiEnvironment, RECORD_RETENTION_SECONDS: String(SETTINGS.RecordRetentionSeconds) } },
  getAbort: { id: 'GetAbort', handler: 'functions/get-abort.handler', route: 'GET /aborts/{id}', env: apiEnvironment },
  listAborts: { id: 'ListAborts', handler: 'functions/list-aborts.handler', route: 'GET /aborts', env: apiEnvironment },
  createSweep: {
    id: 'CreateSweep', handler: 'functions/create-sweep.handler', route: 'POST /sweeps',
    env: { SWEEP_STATE_MACHINE_ARN: `Ref(${sm('sweepUploads').id})`, ALLOWED_BUCKETS: allowedBuckets.join(',') },
  },
  getSweep: { id: 'GetSweep', handler: 'functions/get-sweep.handler', route: 'GET /sweeps/{id}', env: {} },
  listSweeps: { id: 'ListSweeps', handler: 'functions/list-sweeps.handler', route: 'GET /sweeps', env: {} },
  planSweep: { id: 'PlanSweep', handler: INVOKED_FUNCTIONS.planSweep.handler, route: undefined, env: {} },
  sweepLanes: { id: 'SweepLanes', handler: INVOKED_FUNCTIONS.sweepLanes.handler, route: undefined, env: {} },
  sweepList: { id: 'SweepList', handler: INVOKED_FUNCTIONS.sweepList.handler, route: undefined, env: {} },
  sweepRecord: { id: 'SweepRecord', handler: INVOKED_FUNCTIONS.sweepRecord.handler, route: undefined, env: {} },
  sweepFinish: { id: 'SweepFinish', handler: INVOKED_FUNCTIONS.sweepFinish.handler, route: undefined, env: {} },
  prepareRun: { id: 'PrepareRun', handler: INVOKED_FUNCTIONS.prepareRun.handler, route: undefined, env: { ALLOWED_BUCKETS: allowedBuckets.join(',') } },
  recordOutcome: { id: 'RecordOutcome', handler: INVOKED_FUNCTIONS.recordOutcome.handler, route: undefined, env: {} },
  recordInterruptedRun: { id: 'RecordInterruptedRun', handler: 'functions/record-interrupted-run.handler', route: undefined, env: { RECORD_RETENTION_SECONDS: String(SETTINGS.RecordRetentionSeconds) } },
} as const;
const ownLogs = (fn: string) => allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`GetAtt(${fn}LogGroup.Arn)`]);
const s3ObjectArns = (partition: string) => allowedBuckets.map((pattern) => `arn:${partition}:s3:::${pattern}/*`);
const s3BucketArns = (partition: string) => allowedBuckets.map((pattern) => `arn:${partition}:s3:::${pattern}`);
const XRAY = allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], ['*']);
const LOG_DELIVERY = allow([
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
  'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
], ['*']);
/** what a startExecution.sync:2 task needs besides StartExecution on the child (AWS's documented policy) */
const awaitChild = (key: StateMachineKey) => [
  allow(['states:DescribeExecution', 'states:StopExecution'], [executionsOf(key)]),
  allow(['events:PutTargets', 'events:PutRule', 'events:DescribeRule'], [`arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`]),
];
const startOnly = (key: StateMachineKey) => allow(['states:StartExecution'], [`Ref(${sm(key).id})`]);

/** Every role in the template, with the service that assumes it and ALL its statements. */
const EXPECTED_ROLES: Record<string, { service: string; statements: (partition: string) => Statement[] }> = {
  AbortUploadStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: (partition) => [
      allow(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      allow(['lambda:InvokeFunction'], ['GetAtt(PrepareRunLambdaFunction.Arn)', 'GetAtt(RecordOutcomeLambdaFunction.Arn)']),
      XRAY, LOG_DELIVERY,
    ],
  },
  SweepPageStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: (partition) => [
      allow(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      allow(['lambda:InvokeFunction'], ['GetAtt(SweepListLambdaFunction.Arn)', 'GetAtt(SweepRecordLambdaFunction.Arn)']),
      XRAY, LOG_DELIVERY,
    ],
  },
  SweepTargetStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: () => [
      allow(['states:StartExecution'], [`Ref(${sm('sweepPage').id})`, `Ref(${sm('abortUpload').id})`]),
      allow(['states:DescribeExecution', 'states:StopExecution'], [
        `arn:aws:states:${REGION}:${ACCOUNT}:express:${sm('sweepPage').name}:*`, executionsOf('sweepPage'), executionsOf('abortUpload'),
      ]),
      awaitChild('sweepPage')[1],
      allow(['lambda:InvokeFunction'], ['GetAtt(SweepRecordLambdaFunction.Arn)']),
      XRAY, LOG_DELIVERY,
    ],
  },
  SweepUploadsStateMachineRole: {
    service: 'states.amazonaws.com',
    statements: () => [
      allow(['lambda:InvokeFunction'], ['GetAtt(PlanSweepLambdaFunction.Arn)', 'GetAtt(SweepLanesLambdaFunction.Arn)', 'GetAtt(SweepRecordLambdaFunction.Arn)',
        'GetAtt(SweepFinishLambdaFunction.Arn)']),
      startOnly('sweepTarget'),
      ...awaitChild('sweepTarget'),
      allow(['dynamodb:PutItem'], [TABLE_ARN]),
      XRAY, LOG_DELIVERY,
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
  CreateSweepRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('CreateSweep'), startOnly('sweepUploads')],
  },
  GetSweepRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('GetSweep'), allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [TABLE_ARN])],
  },
  ListSweepsRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('ListSweeps'), allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStartedAt`])],
  },
  PlanSweepRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('PlanSweep')],
  },
  SweepListRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('SweepList'), allow(['s3:ListBucketMultipartUploads'], s3BucketArns(partition)), allow(['s3:ListMultipartUploadParts'], s3ObjectArns(partition)),
      allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byStatus`]), allow(['dynamodb:BatchGetItem'], [TABLE_ARN]),
    ],
  },
  SweepLanesRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [ownLogs('SweepLanes'), allow(['s3:ListBucketMultipartUploads'], s3BucketArns(partition))],
  },
  SweepRecordRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('SweepRecord'), allow(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], [TABLE_ARN])],
  },
  SweepFinishRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('SweepFinish'), allow(['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], [TABLE_ARN])],
  },
  PrepareRunRole: {
    service: 'lambda.amazonaws.com',
    statements: (partition) => [
      ownLogs('PrepareRun'), allow(['dynamodb:UpdateItem', 'dynamodb:GetItem'], [TABLE_ARN]),
      allow(['s3:ListMultipartUploadParts', 's3:GetObject'], s3ObjectArns(partition)), allow(['s3:ListBucket'], s3BucketArns(partition)),
    ],
  },
  RecordOutcomeRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('RecordOutcome'), allow(['dynamodb:UpdateItem'], [TABLE_ARN])],
  },
  RecordInterruptedRunRole: {
    service: 'lambda.amazonaws.com',
    statements: () => [ownLogs('RecordInterruptedRun'), allow(['dynamodb:UpdateItem'], [TABLE_ARN])],
  },
};

const rulesTargeting = (arn: string, from: Template = template) => Object.entries(from.Resources)
  .filter(([, r]) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.Targets).includes(arn));
const INTERRUPTED_RUNS_RULE_NAME = `${SERVICE}-${STAGE}-interrupted-runs`;
const DLQ_ARN = 'GetAtt(AbortRequestsDeadLetterQueue.Arn)';
const RETRY = { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 };

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
    expect(ofType('AWS::StepFunctions::StateMachine').map(([id]) => id).sort()).toEqual(Object.values(STATE_MACHINES).map((m) => m.id).sort());
    expect(template.Resources.RecordsTable?.Type).toBe('AWS::DynamoDB::Table');
    expect(template.Resources.AbortRequestsDeadLetterQueue?.Type).toBe('AWS::SQS::Queue');
    expect(template.Resources.AbortRequestsDeadLetterQueuePolicy?.Type).toBe('AWS::SQS::QueuePolicy');
    // abort requests, sweep requests, sweep schedule, upload created (deadlines), abort-upload status changes
    expect(count('AWS::Events::Rule')).toBe(5);
    expect(template.Resources.ApiGatewayRestApi?.Type).toBe('AWS::ApiGateway::RestApi');
    expect(count('AWS::ApiGateway::Method')).toBe(6);
    expect(count('AWS::ApiGateway::Deployment')).toBe(1);
    // the stage is its own resource (lib/serverless/api-stage-throttling.cjs), not the deployment's
    expect(ofType('AWS::ApiGateway::Stage').map(([id]) => id)).toEqual(['ApiGatewayStage']);
    expect(ofType('AWS::Lambda::Function').map(([id]) => id).sort()).toEqual(Object.values(FUNCTIONS).map((fn) => `${fn.id}LambdaFunction`).sort());
    // one per function and one per state machine
    expect(ofType('AWS::Logs::LogGroup').map(([id]) => id).sort()).toEqual(
      [...Object.values(FUNCTIONS).map((fn) => `${fn.id}LogGroup`), ...Object.values(STATE_MACHINES).map((m) => m.logGroup)].sort());
    expect(ofType('AWS::IAM::Role').map(([id]) => id).sort()).toEqual(Object.keys(EXPECTED_ROLES).sort());
    // the framework's shared role is not there: each function has its own
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    // lib/serverless/monitoring.cjs: three alarms per state machine, PARTS_REMAIN, throttled transitions, the DLQ; a dashboard
    expect(ofType('AWS::CloudWatch::Alarm').map(([id]) => id).sort()).toEqual([
      ...Object.values(STATE_MACHINES).flatMap((m) => ['Failed', 'TimedOut', 'Throttled'].map((what) => `${m.id}${what}Alarm`)),
      'PartsRemainAlarm', 'SweepPartsRemainAlarm', 'StateTransitionsThrottledAlarm', 'DeadLetterQueueAlarm',
    ].sort());
    expect(ofType('AWS::CloudWatch::Dashboard').map(([id]) => id)).toEqual(['MonitoringDashboard']);
  });

  it('declares every function with its handler, runtime, architecture, own role and log group, and only the environment it reads', () => {
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
      expect(props.Environment.Variables, name).toEqual({ RECORDS_TABLE: 'Ref(RecordsTable)', LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps', ...fn.env });
    }
  });

  it('gives both APIs the same allowlist as the state machine roles, in a form lib/allowlist.ts accepts', () => {
    expect(allowedBuckets.length).toBeGreaterThan(0);
    for (const fn of ['CreateAbort', 'CreateSweep']) {
      const allowlist = parseAllowlist(resolve(template.Resources[`${fn}LambdaFunction`].Properties).Environment.Variables.ALLOWED_BUCKETS);
      expect(allowlist.patterns, fn).toEqual(allowedBuckets);
    }
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
      // the framework's own output (osls info / deploy print it)
      ServiceEndpoint: `https://Ref(ApiGatewayRestApi).execute-api.${REGION}.amazonaws.com/${STAGE}`,
      StateMachineArn: `Ref(${STATE_MACHINE})`,
      SweepStateMachineArn: `Ref(${sm('sweepUploads').id})`,
      DeadlineStateMachineArn: `Ref(${sm('abortAfterDeadline').id})`,
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

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])('lets Step Functions assume the %s role only for this account and that state machine', (key) => {
    const [trust] = resolve(template.Resources[sm(key).role].Properties).AssumeRolePolicyDocument.Statement;
    expect(trust.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${sm(key).name}` },
    });
    expect(template.Resources[sm(key).id].Properties.StateMachineName).toBe(sm(key).name);
  });

  it.each(['aws-cn', 'aws-us-gov'])('scopes S3 to the allowlist in the %s partition too', (partition) => {
    for (const roleId of ['AbortUploadStateMachineRole', 'SweepPageStateMachineRole', 'PrepareRunRole', 'SweepListRole', 'SweepLanesRole']) {
      expect(statementsOf(roleId, partition), roleId).toEqual(sortStatements(EXPECTED_ROLES[roleId].statements(partition)));
    }
  });

  it('grants no s3, dynamodb, states or lambda action on a wildcard resource', () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      for (const [roleId] of ofType('AWS::IAM::Role')) {
        for (const statement of statementsOf(roleId, partition)) {
          if (!statement.Action.some((action) => /^(s3|dynamodb|states|lambda):/.test(action))) continue;
          expect(statement.Resource.length, roleId).toBeGreaterThan(0);
          for (const resource of statement.Resource) {
            expect(resource, `${roleId}: ${statement.Action.join(',')}`).not.toBe('*');
            expect(resource).not.toMatch(/^arn:[^:]+:s3:::\*/);
            expect(resource).not.toContain('arn:*');
            // only execution ARNs (Standard or Express) of one named state machine end in a wildcard
            if (resource.endsWith('*') && /^arn:[^:]+:states:/.test(resource)) expect(resource).toMatch(/:(execution|express):[^:*]+:\*$/);
          }
        }
      }
    }
  });
});

// ---------------------------------------------------------------- EventBridge

describe('packaged template: EventBridge', () => {
  /** the one rule that targets the state machine with an event pattern */
  const patternRuleOf = (key: StateMachineKey, from: Template = template) => {
    const rules = rulesTargeting(`{"Ref":"${sm(key).id}"}`, from).filter(([, rule]) => rule.Properties.EventPattern);
    expect(rules, key).toHaveLength(1);
    return rules[0];
  };

  it.each([
    ['abortUpload', 'abortRequestedPattern'],
    ['sweepUploads', 'sweepRequestedPattern'],
    ['abortAfterDeadline', 'uploadCreatedPattern'],
  ] as const)('starts %s with the pattern held in custom.%s, the detail as input, retries and the dead-letter queue', (key, patternName) => {
    const [id, rule] = patternRuleOf(key);
    expect(id).toBe(`${pascal(key)}EventsRuleCloudWatchEvent1`);
    expect(rule.Properties.EventPattern).toEqual(withStageParams(config.custom[patternName]));
    const targets = resolve(rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    // abort-upload's input is the envelope every entry uses: the detail is the request, the trigger is fixed by the rule
    const input = key === 'abortUpload'
      ? { InputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"request": <detail>, "trigger": "event"}' } }
      : { InputPath: '$.detail' };
    expect(targets[0]).toMatchObject({
      Arn: `Ref(${sm(key).id})`,
      ...input,
      RoleArn: `GetAtt(${pascal(key)}EventToStepFunctionsRole.Arn)`,
      DeadLetterConfig: { Arn: DLQ_ARN },
      RetryPolicy: RETRY,
    });
  });

  it('keeps the serverless.yml shape lib/local/eventbridge.ts reads: every state machine rule refers to a custom pattern', () => {
    type Target = { event?: unknown; inputPath?: string; inputTransformer?: { inputPathsMap: Record<string, string> } };
    const yml = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as { stepFunctions: { stateMachines: Record<string, { events?: Array<{ eventBridge?: Target }> }> } };
    const references = Object.entries(yml.stepFunctions.stateMachines).flatMap(([key, machine]) =>
      (machine.events ?? []).filter((e) => e.eventBridge).map((e) => [key, e.eventBridge!.event, e.eventBridge!.inputPath ?? e.eventBridge!.inputTransformer?.inputPathsMap.detail]));
    expect(references).toEqual([
      ['abortUpload', '${self:custom.abortRequestedPattern}', '$.detail'],
      ['sweepUploads', '${self:custom.sweepRequestedPattern}', '$.detail'],
      ['abortAfterDeadline', '${self:custom.uploadCreatedPattern}', '$.detail'],
    ]);
  });

  it('requires bucket, key and uploadId in the abort request pattern', () => {
    expect(config.custom.abortRequestedPattern).toEqual({
      source: ['mpu-reaper'],
      'detail-type': ['Abort Multipart Upload Requested'],
      detail: { bucket: [{ exists: true }], key: [{ exists: true }], uploadId: [{ exists: true }] },
    });
    expect(config.custom.sweepRequestedPattern).toEqual({ source: ['mpu-reaper'], 'detail-type': ['Sweep Requested'] });
  });

  it('listens for successful CreateMultipartUpload data events of the allowlisted buckets only', () => {
    const [, rule] = patternRuleOf('abortAfterDeadline');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['s3.amazonaws.com'],
        eventName: ['CreateMultipartUpload'],
        errorCode: [{ exists: false }],
        requestParameters: { bucketName: [{ prefix: 'mpu-reaper-test-' }, 'mpu-reaper-fixture'] },
      },
    });
  });

  it('writes every stage\'s allowlist twice, as ARN patterns and as EventBridge matchers, and both agree', () => {
    const stages = Object.entries(config.params).filter(([stage]) => stage !== 'default');
    expect(stages.length).toBeGreaterThan(0);
    for (const [stage, params] of stages) {
      expect(params.allowedBuckets, stage).toBeDefined();
      expect(params.allowedBucketMatchers, stage).toEqual(params.allowedBuckets!.map(matcherOf));
    }
  });

  it('leaves the deadline rule and the sweep schedule DISABLED unless the stage switches them on', () => {
    expect(config.params.default).toMatchObject({ deadlines: false, sweepTargets: [] });
    expect(config.params[STAGE].deadlines ?? config.params.default.deadlines).toBe(false);
    expect(config.params[STAGE].sweepSchedule ?? config.params.default.sweepSchedule).toBeUndefined();
    expect(patternRuleOf('abortAfterDeadline')[1].Properties.State).toBe('DISABLED');
    const schedule = template.Resources.SweepUploadsStepFunctionsEventsRuleSchedule1;
    expect(schedule.Properties.State).toBe('DISABLED');
    // every other rule is on
    for (const [id, rule] of ofType('AWS::Events::Rule')) {
      if (id !== 'SweepUploadsStepFunctionsEventsRuleSchedule1' && id !== 'AbortAfterDeadlineEventsRuleCloudWatchEvent1') expect(rule.Properties.State, id).toBe('ENABLED');
    }
  });

  it('switches both on with --param="deadlines=true" and a sweepSchedule, and changes nothing else', () => {
    const [id, rule] = patternRuleOf('abortAfterDeadline', switchedOnTemplate);
    expect(rule.Properties.State).toBe('ENABLED');
    const schedule = switchedOnTemplate.Resources.SweepUploadsStepFunctionsEventsRuleSchedule1;
    expect(schedule.Properties).toMatchObject({ State: 'ENABLED', ScheduleExpression: SWEEP_SCHEDULE });
    const withoutSwitches = (t: Template) => {
      const { [id]: deadlineRule, SweepUploadsStepFunctionsEventsRuleSchedule1: scheduleRule, ...rest } = t.Resources;
      const strip = (r: Resource) => ({ ...r, Properties: { ...r.Properties, State: undefined, ScheduleExpression: undefined } });
      // the API deployment's logical id carries a timestamp (and the stage refers to it), the Lambda versions' a
      // hash of the code, and the code's S3 key the time of packaging
      const stable = Object.entries(rest)
        .filter(([, r]) => r.Type !== 'AWS::ApiGateway::Deployment' && r.Type !== 'AWS::Lambda::Version')
        .map(([key, r]) => [key, r.Type === 'AWS::Lambda::Function' ? { ...r, Properties: { ...r.Properties, Code: undefined } }
          : r.Type === 'AWS::ApiGateway::Stage' ? { ...r, Properties: { ...r.Properties, DeploymentId: undefined } } : r]);
      return { ...Object.fromEntries(stable), deadlineRule: strip(deadlineRule), scheduleRule: strip(scheduleRule) };
    };
    expect(withoutSwitches(switchedOnTemplate)).toEqual(withoutSwitches(template));
  });

  it('schedules sweeps of the stage\'s sweepTargets through its own role', () => {
    const props = resolve(template.Resources.SweepUploadsStepFunctionsEventsRuleSchedule1.Properties);
    expect(props.ScheduleExpression).toMatch(/^(rate|cron)\(.+\)$/);
    expect(props.Targets).toHaveLength(1);
    expect(props.Targets[0]).toMatchObject({ Arn: `Ref(${sm('sweepUploads').id})`, RoleArn: 'GetAtt(SweepUploadsScheduleToStepFunctionsRole.Arn)' });
    expect(JSON.parse(props.Targets[0].Input)).toEqual({ targets: config.params[STAGE].sweepTargets ?? config.params.default.sweepTargets, trigger: 'schedule' });
  });

  it('keeps undeliverable events in an encrypted queue that only the project\'s rules may write to', () => {
    expect(template.Resources.AbortRequestsDeadLetterQueue.Properties.SqsManagedSseEnabled).toBe(true);
    const policy = resolve(template.Resources.AbortRequestsDeadLetterQueuePolicy.Properties);
    expect(policy.Queues).toEqual(['Ref(AbortRequestsDeadLetterQueue)']);
    const { Statement: [statement, ...others] } = policy.PolicyDocument;
    expect(others).toEqual([]);
    expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: DLQ_ARN });
    expect(Object.keys(statement.Condition)).toEqual(['ArnEquals']);
    expect([...statement.Condition.ArnEquals['aws:SourceArn']].sort()).toEqual([
      'GetAtt(AbortUploadEventsRuleCloudWatchEvent1.Arn)',
      'GetAtt(SweepUploadsEventsRuleCloudWatchEvent1.Arn)',
      'GetAtt(AbortAfterDeadlineEventsRuleCloudWatchEvent1.Arn)',
      `arn:aws:events:${REGION}:${ACCOUNT}:rule/${INTERRUPTED_RUNS_RULE_NAME}`,
    ].sort());
    // …and every rule that sends to the queue is one of them
    const senders = ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('AbortRequestsDeadLetterQueue'));
    expect(senders.map(([id, rule]) => (rule.Properties.Name ? `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rule.Properties.Name as string}` : `GetAtt(${id}.Arn)`)).sort())
      .toEqual([...statement.Condition.ArnEquals['aws:SourceArn']].sort());
  });

  it('sends ABORTED, TIMED_OUT and FAILED executions of abort-upload and sweep-uploads (only) to recordInterruptedRun, with retries and the dead-letter queue', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.EventPattern ?? {}).includes('aws.states'));
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    expect(rule.Properties.Name).toBe(INTERRUPTED_RUNS_RULE_NAME);
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [{ Ref: STATE_MACHINE }, { Ref: 'SweepUploadsStateMachine' }] },
    });
    const targets = resolve(rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ Arn: 'GetAtt(RecordInterruptedRunLambdaFunction.Arn)', RetryPolicy: RETRY, DeadLetterConfig: { Arn: DLQ_ARN } });
  });

  it('lets nothing but EventBridge rules start the state machines, and nothing start sweep-page but the sweep', () => {
    // sweep-page has no rule; planSweep no trigger at all
    expect(rulesTargeting(`{"Ref":"${sm('sweepPage').id}"}`)).toEqual([]);
    expect(ofType('AWS::Lambda::Permission').filter(([id]) => id.startsWith('PlanSweep'))).toEqual([]);
  });
});

// ---------------------------------------------------------------- state machines

describe('packaged template: state machines', () => {
  const placeholdersOf = (file: string) =>
    [...new Set([...readFileSync(join(ROOT, 'statemachines', file), 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])('%s: packages the ASL file unchanged', (key) => {
    const packaged = template.Resources[sm(key).id].Properties.DefinitionString;
    expect(typeof packaged).toBe('string');
    expect(JSON.parse(packaged as string)).toEqual(JSON.parse(readFileSync(join(ROOT, 'statemachines', sm(key).file), 'utf8')));
  });

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])('%s: substitutes exactly the placeholders of its file, with the values lib/settings.ts names', (key) => {
    const substitutions = resolve(template.Resources[sm(key).id].Properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholdersOf(sm(key).file));
    for (const [name, value] of Object.entries(substitutions)) {
      if (name === 'RecordsTableName') expect(value).toBe('Ref(RecordsTable)');
      else if (name in SETTINGS) expect(Number(value), name).toBe(SETTINGS[name]);
      else if (name in ARN_SUBSTITUTIONS) expect(value, name).toBe(ARN_SUBSTITUTIONS[name]);
      else throw new Error(`${key}: substitution ${name} is neither the table, a setting of lib/settings.ts nor an ARN it names`);
    }
    // a machine never names itself (that would be a cycle)
    expect(Object.values(substitutions)).not.toContain(`Ref(${sm(key).id})`);
  });

  it('uses every setting of lib/settings.ts in some machine', () => {
    const used = new Set(Object.values(STATE_MACHINES).flatMap((m) => Object.keys(template.Resources[m.id].Properties.DefinitionSubstitutions as JsonObject)));
    for (const name of Object.keys(SETTINGS)) expect(used.has(name), name).toBe(true);
  });

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])('%s: its type, its own role, ERROR logging without execution data into its own log group, and tracing', (key) => {
    const props = resolve(template.Resources[sm(key).id].Properties);
    // sweep-page is EXPRESS (billed per request and GB-second, not per transition); the others STANDARD
    expect(props.StateMachineType).toBe(stateMachineType(key));
    expect(props.RoleArn).toBe(`GetAtt(${sm(key).role}.Arn)`);
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: `GetAtt(${sm(key).logGroup}.Arn)` } }],
    });
    expect(resolve(template.Resources[sm(key).logGroup].Properties)).toEqual({ LogGroupName: `/aws/vendedlogs/states/${sm(key).name}`, RetentionInDays: 30 });
  });

  it('every ASL file in statemachines/ is packaged, and passes asl-validator', () => {
    const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
    const files = readdirSync(join(ROOT, 'statemachines')).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual(Object.values(STATE_MACHINES).map((m) => m.file).sort());
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
  it('serves the six routes with IAM authorisation, each through its own function', () => {
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
    expect(routes).toEqual(Object.fromEntries(Object.values(FUNCTIONS).filter((fn) => fn.route).map((fn) => [fn.route, fn.id])));
  });

  it('configures custom.apiThrottling (50 requests/s, bursts of 100) and registers the plugin that applies it', () => {
    expect(config.custom.apiThrottling).toStrictEqual({ rateLimit: 50, burstLimit: 100 });
    expect(config.plugins).toContain('./lib/serverless/api-stage-throttling.cjs');
  });

  it.each([0, 1])('template %i: throttles every method of the stage, through an explicit AWS::ApiGateway::Stage with tracing', (index) => {
    const t = [template, switchedOnTemplate][index];
    const [[deploymentId]] = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::ApiGateway::Deployment');
    const stage = t.Resources.ApiGatewayStage;
    expect(stage.Type).toBe('AWS::ApiGateway::Stage');
    expect(stage.Properties).toStrictEqual({
      RestApiId: { Ref: 'ApiGatewayRestApi' },
      DeploymentId: { Ref: deploymentId },
      StageName: STAGE,
      TracingEnabled: true,
      MethodSettings: [{
        ResourcePath: '/*',
        HttpMethod: '*',
        ThrottlingRateLimit: config.custom.apiThrottling.rateLimit,
        ThrottlingBurstLimit: config.custom.apiThrottling.burstLimit,
      }],
    });
    // no other stage settings anywhere: no throttling through a usage plan, none on the deployment
    expect(Object.values(t.Resources).filter((r) => r.Type === 'AWS::ApiGateway::UsagePlan')).toEqual([]);
  });

  it.each([0, 1])('template %i: the deployment no longer creates the stage (no StageName, no StageDescription)', (index) => {
    const t = [template, switchedOnTemplate][index];
    const deployments = Object.values(t.Resources).filter((r) => r.Type === 'AWS::ApiGateway::Deployment');
    expect(deployments).toHaveLength(1);
    expect(deployments[0].Properties).toStrictEqual({ RestApiId: { Ref: 'ApiGatewayRestApi' } });
  });

  it('refers to the stage only where it exists by then: the URL outputs, and Lambda permissions for any stage', () => {
    const stageName = template.Resources.ApiGatewayStage.Properties.StageName;
    expect(resolve(template.Outputs.ApiUrl.Value)).toBe(`https://Ref(ApiGatewayRestApi).execute-api.${REGION}.amazonaws.com/${stageName as string}`);
    // the API's invoke permissions name every stage (…/<api>/*/*): they do not wait for the stage
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toHaveLength(Object.values(FUNCTIONS).filter((fn) => fn.route).length);
    for (const [id, permission] of permissions) {
      expect(resolve(permission.Properties.SourceArn), id).toBe(`arn:aws:execute-api:${REGION}:${ACCOUNT}:Ref(ApiGatewayRestApi)/*/*`);
    }
    // whatever waited for the deployment (it used to create the stage) now waits for the stage too
    const [[deploymentId]] = ofType('AWS::ApiGateway::Deployment');
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (id !== 'ApiGatewayStage' && asArray(resource.DependsOn ?? []).includes(deploymentId)) expect(asArray(resource.DependsOn ?? []), id).toContain('ApiGatewayStage');
    }
    // a resource that names the stage (a string equal to it, or a path segment /<stage>) waits for it; names that
    // merely contain the stage ("<service>-<stage>-…") do not count, nor the code's S3 key (serverless/…/<stage>/…)
    const unordered = Object.entries(template.Resources)
      .filter(([id]) => id !== 'ApiGatewayStage')
      .filter(([, r]) => JSON.stringify(resolve(r.Type === 'AWS::Lambda::Function' ? { ...r.Properties, Code: null } : r.Properties))
        .match(new RegExp(`"${STAGE}"|/${STAGE}(?:/|")`)))
      .filter(([, r]) => !asArray(r.DependsOn ?? []).includes('ApiGatewayStage'))
      .map(([id]) => id);
    expect(unordered).toEqual([]);
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
  it.each([0, 1])('template %i (0: default params, 1: deadlines and schedule on) has no findings but the accepted ones', async (index) => {
    const { name, run } = lintRuns[index];
    const lint = await run;
    // 127: a pyenv shim for a Python without cfn-lint
    if (lint.error?.code === 'ENOENT' || lint.status === 127) {
      console.warn('cfn-lint not on PATH: template not linted');
      return;
    }
    if (lint.error) throw lint.error;
    // exit status: a bit mask, 2 errors, 4 warnings, 8 informational; 1 means cfn-lint itself failed
    expect(lint.status === 1, `${name}: ${lint.stderr}`).toBe(false);
    const findings = JSON.parse(lint.stdout || '[]') as Array<{ Level: string; Message: string; Rule: { Id: string }; Location: { Path: Array<string | number> } }>;
    const unexpected = findings.filter((finding) => !ACCEPTED_FINDINGS.some((accepted) =>
      finding.Rule.Id === accepted.rule && finding.Location.Path[1] === accepted.resource && finding.Message.includes(`'${accepted.dependsOn}'`)));
    expect(unexpected.map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`), name).toEqual([]);
    expect([0, 4]).toContain(lint.status);
  });
});
