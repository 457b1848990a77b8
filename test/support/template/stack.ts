/**
 * What the template tests expect of the `test` stage, by name: its constants, serverless.yml as written, the logical
 * ids and names of the state machines and functions (from lib/settings.ts), and the DefinitionSubstitutions' values.
 * Nothing here packages: test files that only read serverless.yml or statemachines/ import this alone.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  ABORT_SETTINGS_DEFAULTS,
  FUNCTIONS as INVOKED_FUNCTIONS,
  STATE_MACHINES as MACHINES,
  SWEEP_SETTINGS_DEFAULTS,
  type StateMachineKey,
} from '../../../lib/settings.ts';
import { DEFAULT_MAX_LIST_PARTS } from '../../../lib/scan/debt.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const STAGE = 'test';
export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const SERVICE = 's3-mpu-reaper';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export interface Resource {
  Type: string;
  Properties: JsonObject;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: Json }>;
  Conditions?: Record<string, Json>;
}
export type StageParams = { allowedBuckets?: string[]; sweepTargets?: Json[]; deadlines?: boolean; sweepSchedule?: string };

/** serverless.yml as written (before osls resolves anything) */
export const config = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
  plugins: string[];
  params: Record<string, StageParams>;
  custom: {
    abortRequestedPattern: JsonObject;
    sweepRequestedPattern: JsonObject;
    uploadCreatedPattern: JsonObject;
    apiThrottling: { rateLimit: number; burstLimit: number };
  };
  stepFunctions: {
    stateMachines: Record<
      string,
      { events?: Array<{ eventBridge?: { event?: unknown; inputPath?: string; inputTransformer?: { inputPathsMap: Record<string, string> } } }> }
    >;
  };
};
export const allowedBuckets = config.params[STAGE].allowedBuckets ?? [];

/** the deploy's allowlist plugin: the forms (csv, ARNs, matchers) it derives from the param allowedBuckets */
export const allowlistPlugin = createRequire(import.meta.url)('../../../plugins/allowlist.cjs') as {
  parseAllowedBuckets: (value: unknown, stage: string) => string[];
  parseKmsKeyArns: (value: unknown) => string[];
  allowlistForms: (patterns: string[]) => { csv: string; objectArns: Json[]; bucketArns: Json[]; matchers: Json[] };
};

/**
 * a custom.* pattern as the `test` stage resolves it: `${param:NAME}` replaced by the stage's (or default) param,
 * `${self:custom.allowlist.FORM}` by the plugin's form of the stage's allowlist
 */
export function withStageParams(node: Json): Json {
  if (typeof node === 'string') {
    const form = /^\$\{self:custom\.allowlist\.([A-Za-z]+)\}$/.exec(node);
    if (form) return allowlistPlugin.allowlistForms(allowlistPlugin.parseAllowedBuckets(allowedBuckets, STAGE))[form[1] as 'matchers'];
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

export const pascal = (key: string) => key[0].toUpperCase() + key.slice(1);
export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

export const TABLE_ARN = 'GetAtt(RecordsTable.Arn)';
export const STATE_MACHINE = 'AbortUploadStateMachine';

/** the machines: logical ids, names and files, by the keys of lib/settings.ts STATE_MACHINES */
export const STATE_MACHINES = Object.fromEntries(
  (Object.keys(MACHINES) as StateMachineKey[]).map((key) => {
    const id = pascal(key);
    return [
      key,
      {
        id: `${id}StateMachine`,
        role: `${id}StateMachineRole`,
        logGroup: `${id}LogGroup`,
        file: MACHINES[key].file,
        name: `${SERVICE}-${STAGE}-${MACHINES[key].file.replace(/\.asl\.json$/, '')}`,
      },
    ];
  }),
) as Record<StateMachineKey, { id: string; role: string; logGroup: string; file: string; name: string }>;
export const MACHINE_KEYS = Object.keys(STATE_MACHINES) as StateMachineKey[];
export const sm = (key: StateMachineKey) => STATE_MACHINES[key];
export const executionsOf = (key: StateMachineKey) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${sm(key).name}:*`;

/** the value every DefinitionSubstitution must have, by name: table, settings, ARNs (lib/settings.ts names them) */
export const SETTINGS: Record<string, number> = { ...ABORT_SETTINGS_DEFAULTS, ...SWEEP_SETTINGS_DEFAULTS };
export const ARN_SUBSTITUTIONS: Record<string, string> = {
  ...Object.fromEntries(MACHINE_KEYS.map((key) => [MACHINES[key].arnSubstitution, `Ref(${sm(key).id})`])),
  ...Object.fromEntries(Object.entries(INVOKED_FUNCTIONS).map(([key, fn]) => [fn.arnSubstitution, `GetAtt(${pascal(key)}LambdaFunction.Arn)`])),
};

const apiEnvironment = { ABORT_STATE_MACHINE_ARN: `Ref(${STATE_MACHINE})`, ALLOWED_BUCKETS: allowedBuckets.join(',') };
/** every function: logical id prefix, handler, API route (if any) and the environment beyond the common one */
export const FUNCTIONS = {
  createAbort: {
    id: 'CreateAbort',
    handler: 'functions/create-abort.handler',
    route: 'POST /aborts',
    env: { ...apiEnvironment, RECORD_RETENTION_SECONDS: String(SETTINGS.RecordRetentionSeconds) },
  },
  getAbort: { id: 'GetAbort', handler: 'functions/get-abort.handler', route: 'GET /aborts/{id}', env: apiEnvironment },
  listAborts: { id: 'ListAborts', handler: 'functions/list-aborts.handler', route: 'GET /aborts', env: apiEnvironment },
  createSweep: {
    id: 'CreateSweep',
    handler: 'functions/create-sweep.handler',
    route: 'POST /sweeps',
    env: {
      SWEEP_STATE_MACHINE_ARN: `Ref(${sm('sweepUploads').id})`,
      SWEEP_MINIMUM_AGE_SECONDS: String(SWEEP_SETTINGS_DEFAULTS.SweepMinimumAge),
      ALLOWED_BUCKETS: allowedBuckets.join(','),
    },
  },
  getSweep: { id: 'GetSweep', handler: 'functions/get-sweep.handler', route: 'GET /sweeps/{id}', env: {} },
  listSweeps: { id: 'ListSweeps', handler: 'functions/list-sweeps.handler', route: 'GET /sweeps', env: {} },
  getReport: {
    id: 'GetReport',
    handler: 'functions/get-report.handler',
    route: 'GET /report',
    env: { RECORD_RETENTION_SECONDS: String(SETTINGS.RecordRetentionSeconds) },
  },
  getSweepPlan: {
    id: 'GetSweepPlan',
    handler: 'functions/get-sweep-plan.handler',
    route: 'GET /sweeps/{id}/plan',
    env: { SWEEP_PLAN_MAX_AGE_SECONDS: String(SETTINGS.SweepPlanMaxAge) },
  },
  applySweepPlan: {
    id: 'ApplySweepPlan',
    handler: 'functions/apply-sweep-plan.handler',
    route: 'POST /sweeps/{id}/apply',
    env: {
      SWEEP_STATE_MACHINE_ARN: `Ref(${sm('sweepUploads').id})`,
      SWEEP_MINIMUM_AGE_SECONDS: String(SWEEP_SETTINGS_DEFAULTS.SweepMinimumAge),
      ALLOWED_BUCKETS: allowedBuckets.join(','),
      SWEEP_PLAN_MAX_AGE_SECONDS: String(SETTINGS.SweepPlanMaxAge),
    },
  },
  cancelSweep: { id: 'CancelSweep', handler: 'functions/cancel-sweep.handler', route: 'DELETE /sweeps/{id}', env: {} },
  planSweep: { id: 'PlanSweep', handler: INVOKED_FUNCTIONS.planSweep.handler, route: undefined, env: {} },
  sweepLanes: { id: 'SweepLanes', handler: INVOKED_FUNCTIONS.sweepLanes.handler, route: undefined, env: {} },
  sweepList: { id: 'SweepList', handler: INVOKED_FUNCTIONS.sweepList.handler, route: undefined, env: { SWEEP_INTENTS_BUCKET: 'Ref(SweepIntentsBucket)' } },
  sweepRecord: {
    id: 'SweepRecord',
    handler: INVOKED_FUNCTIONS.sweepRecord.handler,
    route: undefined,
    env: { SWEEP_INTENTS_BUCKET: 'Ref(SweepIntentsBucket)' },
  },
  sweepFinish: { id: 'SweepFinish', handler: INVOKED_FUNCTIONS.sweepFinish.handler, route: undefined, env: {} },
  prepareRun: { id: 'PrepareRun', handler: INVOKED_FUNCTIONS.prepareRun.handler, route: undefined, env: { ALLOWED_BUCKETS: allowedBuckets.join(',') } },
  recordOutcome: { id: 'RecordOutcome', handler: INVOKED_FUNCTIONS.recordOutcome.handler, route: undefined, env: {} },
  debtScan: {
    id: 'DebtScan',
    handler: 'functions/debt-scan.handler',
    route: undefined,
    env: { ALLOWED_BUCKETS: allowedBuckets.join(','), DEBT_MAX_LIST_PARTS: String(DEFAULT_MAX_LIST_PARTS) },
  },
  recordInterruptedRun: {
    id: 'RecordInterruptedRun',
    handler: 'functions/record-interrupted-run.handler',
    route: undefined,
    env: {
      RECORD_RETENTION_SECONDS: String(SETTINGS.RecordRetentionSeconds),
      SWEEP_TARGET_STATE_MACHINE_ARN: `Ref(${sm('sweepTarget').id})`,
      ABORT_STATE_MACHINE_ARN: `Ref(${sm('abortUpload').id})`,
      SWEEP_INTENTS_BUCKET: 'Ref(SweepIntentsBucket)',
    },
  },
} as const;

export const INTERRUPTED_RUNS_RULE_NAME = `${SERVICE}-${STAGE}-interrupted-runs`;
export const DLQ_ARN = 'GetAtt(AbortRequestsDeadLetterQueue.Arn)';
export const RETRY = { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 };
