import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The one place that names the state machines' DefinitionSubstitutions and their defaults.
 * serverless.yml and the local runtime both read these names; the ASL files use them as ${Name}.
 */
export const ABORT_SETTINGS_DEFAULTS = {
  /** seconds to wait after the first abort before ListParts checks it */
  FirstWaitSeconds: 5,
  /** the backoff doubles the wait after every abort that left parts, up to this cap */
  MaxWaitSeconds: 60,
  /** aborts before the run gives up and records PARTS_REMAIN */
  MaxAbortAttempts: 6,
  /** how long a record lives before DynamoDB's TTL removes it (90 days) */
  RecordRetentionSeconds: 90 * 24 * 3600,
} as const;

/**
 * The sweep's settings (lib/sweep/state.ts SweepRunSettings): pages of a target run in EXPRESS executions of
 * sweep-page, each target in STANDARD executions of sweep-target (lib/sweep/cost.ts prices the design).
 */
export const SWEEP_SETTINGS_DEFAULTS = {
  /** MaxUploads of each ListMultipartUploads call, and the most uploads a page holds (S3 answers 1,000 at most) */
  SweepPageSize: 1000,
  /** a page's estimated state in bytes (keys, upload ids, measures, room for the answers): 192 KiB, below Step Functions' 256 KiB */
  SweepPageBytes: 196_608,
  /** one wait per page after its aborts, for parts still in flight (and once more when some upload needed a second abort) */
  SweepWaitSeconds: 5,
  /** a page execution (EXPRESS: at most 5 minutes) starts no new page after this many seconds */
  SweepRunSeconds: 60,
  /** history events a sweep-target execution may use before sweep-uploads goes on in a new one (Standard's cap: 25,000) */
  SweepSliceEvents: 20_000,
  /** stubborn uploads of one page handed to abort-upload; a page with more is recorded as seen (S3 refusing, not parts arriving) */
  SweepHandoversPerPage: 25,
  /**
   * a target's listing is split into lanes of about this many listed uploads (cut at key boundaries, swept side by side;
   * lib/sweep/lanes.ts): each lane's pages run one after another, so a lane of 50,000 uploads takes ~6 minutes on AWS
   */
  SweepLaneUploads: 50_000,
  /** lanes swept at once ("Sweep each lane" MaxConcurrency), over all targets */
  SweepLanesAtOnce: 20,
  /** abort-after-deadline: seconds an upload may stay incomplete after its CreateMultipartUpload (6 hours) */
  DeadlineSeconds: 6 * 3600,
} as const;

export type AbortSettings = { [K in keyof typeof ABORT_SETTINGS_DEFAULTS]: number };
export type SweepSettings = { [K in keyof typeof SWEEP_SETTINGS_DEFAULTS]: number };
export type Settings = AbortSettings & SweepSettings;

export const STATE_MACHINES = {
  abortUpload: { file: 'abort-upload.asl.json', name: 'mpu-reaper-abort-upload', arnSubstitution: 'AbortUploadStateMachineArn' },
  sweepPage: { file: 'sweep-page.asl.json', name: 'mpu-reaper-sweep-page', arnSubstitution: 'SweepPageStateMachineArn', type: 'EXPRESS' },
  sweepTarget: { file: 'sweep-target.asl.json', name: 'mpu-reaper-sweep-target', arnSubstitution: 'SweepTargetStateMachineArn' },
  sweepUploads: { file: 'sweep-uploads.asl.json', name: 'mpu-reaper-sweep-uploads', arnSubstitution: 'SweepUploadsStateMachineArn' },
  abortAfterDeadline: { file: 'abort-after-deadline.asl.json', name: 'mpu-reaper-abort-after-deadline', arnSubstitution: 'AbortAfterDeadlineStateMachineArn' },
} as const;
export type StateMachineKey = keyof typeof STATE_MACHINES;
/** CreateStateMachine's type: STANDARD unless the entry says EXPRESS */
export const stateMachineType = (key: StateMachineKey): 'STANDARD' | 'EXPRESS' => ('type' in STATE_MACHINES[key] ? 'EXPRESS' : 'STANDARD');

/** Lambda functions the state machines invoke (outside the abort loop), by the substitution that names them */
export const FUNCTIONS = {
  planSweep: { name: 'mpu-reaper-plan-sweep', arnSubstitution: 'PlanSweepFunctionArn', handler: 'functions/plan-sweep.handler' },
  prepareRun: { name: 'mpu-reaper-prepare-run', arnSubstitution: 'PrepareRunFunctionArn', handler: 'functions/prepare-run.handler' },
  recordOutcome: { name: 'mpu-reaper-record-outcome', arnSubstitution: 'RecordOutcomeFunctionArn', handler: 'functions/record-outcome.handler' },
  sweepList: { name: 'mpu-reaper-sweep-list', arnSubstitution: 'SweepListFunctionArn', handler: 'functions/sweep-list.handler' },
  sweepRecord: { name: 'mpu-reaper-sweep-record', arnSubstitution: 'SweepRecordFunctionArn', handler: 'functions/sweep-record.handler' },
  sweepLanes: { name: 'mpu-reaper-sweep-lanes', arnSubstitution: 'SweepLanesFunctionArn', handler: 'functions/sweep-lanes.handler' },
  sweepFinish: { name: 'mpu-reaper-sweep-finish', arnSubstitution: 'SweepFinishFunctionArn', handler: 'functions/sweep-finish.handler' },
} as const;

export const DEFAULT_TABLE_NAME = 'mpu-reaper-records';

/** the account id of the local stack (the emulator checks no credentials): local ARNs are built with it */
export const LOCAL_ACCOUNT_ID = '123456789012';

const MINIMUM: Partial<Record<keyof Settings, number>> = {
  FirstWaitSeconds: 0, SweepWaitSeconds: 0, SweepRunSeconds: 0, SweepHandoversPerPage: 0, DeadlineSeconds: 0,
};

/** The settings substitutions (numbers as strings, as CloudFormation passes them), validated. */
export function settingsSubstitutions(settings: Partial<Settings> = {}): Record<string, string> {
  const merged = { ...ABORT_SETTINGS_DEFAULTS, ...SWEEP_SETTINGS_DEFAULTS, ...settings };
  for (const [name, value] of Object.entries(merged)) {
    const minimum = MINIMUM[name as keyof Settings] ?? 1;
    if (!Number.isInteger(value) || value < minimum) throw new Error(`setting ${name} must be a whole number ≥ ${minimum}, got ${value}`);
  }
  return Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, String(v)]));
}

/**
 * Every DefinitionSubstitution outside AWS: the table, the settings, and the ARNs of the state machines and
 * functions by their local names in the given region and account.
 */
export function localSubstitutions(tableName: string, settings: Partial<Settings> = {}, where = { region: 'us-east-1', accountId: LOCAL_ACCOUNT_ID }): Record<string, string> {
  const arns = Object.fromEntries([
    ...Object.values(STATE_MACHINES).map((m) => [m.arnSubstitution, `arn:aws:states:${where.region}:${where.accountId}:stateMachine:${m.name}`]),
    ...Object.values(FUNCTIONS).map((f) => [f.arnSubstitution, `arn:aws:lambda:${where.region}:${where.accountId}:function:${f.name}`]),
  ]);
  return { RecordsTableName: tableName, ...settingsSubstitutions(settings), ...arns };
}

export const STATEMACHINES_DIR = fileURLToPath(new URL('../statemachines/', import.meta.url));

/** Reads an ASL file and applies DefinitionSubstitutions the way CloudFormation does; an unknown ${Name} is an error. */
export function loadDefinition(file: string, substitutions: Record<string, string>): string {
  const text = readFileSync(STATEMACHINES_DIR + file, 'utf8');
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    if (!(name in substitutions)) throw new Error(`${file}: no value for the substitution \${${name}}`);
    return substitutions[name];
  });
}
