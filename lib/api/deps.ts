/** The API handlers' dependencies, read from the Lambda environment once per process. */
import { parseAllowlist } from '../allowlist.ts';
import { documentClient, sfnClient } from '../aws.ts';
import { recordRetentionFromEnv, requiredEnv, secondsFromEnv, sweepMinimumAgeFromEnv } from '../env.ts';
import type { AbortApiDeps } from './aborts.ts';
import type { ApplyDeps } from './plans.ts';
import type { SweepApiDeps } from './sweeps.ts';

const required = (env: NodeJS.ProcessEnv, name: string) => requiredEnv(name, env);

/** the read-only handlers need only the table */
export function readDepsFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return { doc: documentClient(), tableName: required(env, 'RECORDS_TABLE') };
}

/** the handlers that start executions: the table, the allowlist and an SFN client */
function startingDeps(env: NodeJS.ProcessEnv) {
  return { ...readDepsFromEnv(env), sfn: sfnClient(), allowlist: parseAllowlist(required(env, 'ALLOWED_BUCKETS')) };
}

export function apiDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AbortApiDeps {
  return { ...startingDeps(env), stateMachineArn: required(env, 'ABORT_STATE_MACHINE_ARN'), retentionSeconds: recordRetentionFromEnv(env) };
}

export function sweepApiDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SweepApiDeps {
  return { ...startingDeps(env), sweepStateMachineArn: required(env, 'SWEEP_STATE_MACHINE_ARN'), minimumAgeSeconds: sweepMinimumAgeFromEnv(env) };
}

/** POST /sweeps/{id}/apply and GET /sweeps/{id}/plan: the sweep's deps and SweepPlanMaxAge */
export function applyDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ApplyDeps {
  return { ...sweepApiDepsFromEnv(env), planMaxAgeSeconds: secondsFromEnv('SWEEP_PLAN_MAX_AGE_SECONDS', env) };
}

export function planDepsFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return { ...readDepsFromEnv(env), planMaxAgeSeconds: secondsFromEnv('SWEEP_PLAN_MAX_AGE_SECONDS', env) };
}
