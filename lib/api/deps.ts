/** The API handlers' dependencies, read from the Lambda environment once per process. */
import { parseAllowlist } from '../allowlist.ts';
import { clients } from '../aws.ts';
import type { AbortApiDeps } from './aborts.ts';
import type { SweepApiDeps } from './sweeps.ts';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function apiDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AbortApiDeps {
  const { sfn, doc } = clients();
  return {
    sfn, doc,
    tableName: required(env, 'RECORDS_TABLE'),
    stateMachineArn: required(env, 'ABORT_STATE_MACHINE_ARN'),
    allowlist: parseAllowlist(required(env, 'ALLOWED_BUCKETS')),
  };
}

export function sweepApiDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SweepApiDeps {
  const { sfn, doc } = clients();
  return {
    sfn, doc,
    tableName: required(env, 'RECORDS_TABLE'),
    sweepStateMachineArn: required(env, 'SWEEP_STATE_MACHINE_ARN'),
    allowlist: parseAllowlist(required(env, 'ALLOWED_BUCKETS')),
  };
}

/** the read-only handlers need only the table */
export function readDepsFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return { doc: clients().doc, tableName: required(env, 'RECORDS_TABLE') };
}
