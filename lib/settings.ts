import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import SETTINGS_FILE from './settings.json' with { type: 'json' };

/**
 * The state machines' settings (their DefinitionSubstitutions, ${Name} in the ASL files). Their default values live in
 * lib/settings.json, the one source: serverless.yml reads it (custom.settings, where a stage may override any of them
 * with a param of the same name) and so does this module. Deployed values reach the Lambdas that need one through
 * their environment (lib/env.ts), never through these defaults.
 */
export interface AbortSettings {
  /** seconds to wait after the first abort before ListParts checks it */
  FirstWaitSeconds: number;
  /** the backoff doubles the wait after every abort that left parts, up to this cap */
  MaxWaitSeconds: number;
  /** aborts before the run gives up and records PARTS_REMAIN */
  MaxAbortAttempts: number;
  /** how long a record lives before DynamoDB's TTL removes it (90 days); Lambdas read it as RECORD_RETENTION_SECONDS */
  RecordRetentionSeconds: number;
}

/**
 * The sweep's settings (lib/sweep/state.ts SweepRunSettings): pages of a target run in EXPRESS executions of
 * sweep-page, each target in STANDARD executions of sweep-target (test/bench/cost.ts prices the design).
 */
export interface SweepSettings {
  /** MaxUploads of each ListMultipartUploads call, and the most uploads a page holds (S3 answers 1,000 at most) */
  SweepPageSize: number;
  /** a page's estimated state in bytes (keys, upload ids, measures, room for the answers): 192 KiB, below Step Functions' 256 KiB */
  SweepPageBytes: number;
  /** one wait per page after its aborts, for parts still in flight (and once more when some upload needed a second abort) */
  SweepWaitSeconds: number;
  /** a page execution (EXPRESS: at most 5 minutes) starts no new page after this many seconds */
  SweepRunSeconds: number;
  /** history events a sweep-target execution may use before sweep-uploads goes on in a new one (Standard's cap: 25,000) */
  SweepSliceEvents: number;
  /** stubborn uploads of one page handed to abort-upload; a page with more is recorded as seen (S3 refusing, not parts arriving) */
  SweepHandoversPerPage: number;
  /**
   * a target's listing is split into lanes of at most about this many listed uploads (cut at key boundaries, swept side
   * by side; lib/sweep/lanes.ts laneSize): each lane's pages run one after another, so a lane of 50,000 uploads takes
   * ~6 minutes on AWS. A smaller target is cut into up to SweepLanesAtOnce lanes of at least 10 pages (MIN_LANE_PAGES).
   */
  SweepLaneUploads: number;
  /** lanes swept at once ("Sweep each lane" MaxConcurrency), over all targets */
  SweepLanesAtOnce: number;
  /**
   * a sweep's most AbortMultipartUploads per second on one bucket (lib/sweep/rate.ts): half of S3's "at least 3,500
   * PUT/COPY/POST/DELETE … requests per second per partitioned prefix" (S3 User Guide, optimizing performance)
   */
  SweepAbortsPerSecond: number;
  /** a sweep's most ListParts and ListMultipartUploads per second on one bucket: half of S3's 5,500 GET/HEAD per prefix */
  SweepReadsPerSecond: number;
  /**
   * the activity guard's default window (a request's activeWithin overrides it): a sweep skips, as SKIPPED_ACTIVE, every
   * upload that received a part within this many seconds (docs/activity-guard.md); 0 turns the guard off by default
   */
  SweepActiveWithin: number;
  /** abort-after-deadline: seconds an upload may stay incomplete after EventBridge delivered its CreateMultipartUpload event (6 hours) */
  DeadlineSeconds: number;
  /** seconds after a dry run's start during which its plan may be applied (7 days); the apply API reads it as SWEEP_PLAN_MAX_AGE_SECONDS */
  SweepPlanMaxAge: number;
  /**
   * seconds: a sweep whose olderThan is below this (1 hour) is refused before any S3 call unless it says force (an
   * upload that young may still be receiving parts); the API reads it as SWEEP_MINIMUM_AGE_SECONDS. 0 = no minimum.
   */
  SweepMinimumAge: number;
}

export type Settings = AbortSettings & SweepSettings;

/** abort-upload's defaults (lib/settings.json "abort") */
export const ABORT_SETTINGS_DEFAULTS: Readonly<AbortSettings> = Object.freeze({ ...SETTINGS_FILE.abort });
/** the sweep and deadline machines' defaults (lib/settings.json "sweep") */
export const SWEEP_SETTINGS_DEFAULTS: Readonly<SweepSettings> = Object.freeze({ ...SETTINGS_FILE.sweep });
/**
 * The local profile (lib/settings.json "local"), layered on the defaults by `npm start` (bin/local-stack.ts): the first
 * ListParts check after 1 s, the backoff capped at 4 s, a sweep page's wait 1 s, deadlines of 1 minute.
 */
export const LOCAL_SETTINGS: Readonly<Partial<Settings>> = Object.freeze({ ...SETTINGS_FILE.local });

const MINIMUM: Partial<Record<keyof Settings, number>> = {
  FirstWaitSeconds: 0,
  SweepWaitSeconds: 0,
  SweepRunSeconds: 0,
  SweepHandoversPerPage: 0,
  DeadlineSeconds: 0,
  SweepMinimumAge: 0,
  SweepActiveWithin: 0,
};

/** Every setting: the defaults of lib/settings.json with the given overrides on top, validated. */
export function resolveSettings(settings: Partial<Settings> = {}): Settings {
  const merged: Settings = { ...ABORT_SETTINGS_DEFAULTS, ...SWEEP_SETTINGS_DEFAULTS, ...settings };
  for (const [name, value] of Object.entries(merged)) {
    if (!(name in ABORT_SETTINGS_DEFAULTS) && !(name in SWEEP_SETTINGS_DEFAULTS)) throw new Error(`unknown setting ${name}`);
    const minimum = MINIMUM[name as keyof Settings] ?? 1;
    if (!Number.isInteger(value) || value < minimum) throw new Error(`setting ${name} must be a whole number ≥ ${minimum}, got ${value}`);
  }
  return merged;
}

/** The settings substitutions (numbers as strings, as CloudFormation passes them), validated. */
export function settingsSubstitutions(settings: Partial<Settings> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(resolveSettings(settings)).map(([k, v]) => [k, String(v)]));
}

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

// ---- Outside AWS: the definitions as the local stack and the CLI's `local deploy` (lib/deploy-local.ts) deploy them.
// Product code, not emulator-only: lib/deploy-local.ts and lib/cli/ use these, so they stay here (not in emulator/).

/** the account id of the local stack (the emulator checks no credentials): local ARNs are built with it */
export const LOCAL_ACCOUNT_ID = '123456789012';

/**
 * Every DefinitionSubstitution outside AWS: the table, the settings, and the ARNs of the state machines and
 * functions by their local names in the given region and account.
 */
export function localSubstitutions(
  tableName: string,
  settings: Partial<Settings> = {},
  where = { region: 'us-east-1', accountId: LOCAL_ACCOUNT_ID },
): Record<string, string> {
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
