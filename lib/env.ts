import { SWEEP_SETTINGS_DEFAULTS } from './settings.ts';
/** A Lambda's configuration from its environment, read once at cold start: a missing variable fails loudly. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/**
 * The deployed record retention (serverless.yml custom.settings.RecordRetentionSeconds, default in lib/settings.json),
 * for the Lambdas that write a record's expiresAt themselves instead of receiving it from a state machine: a whole
 * number of seconds ≥ 0 (0: keep records, no expiresAt), or the function fails at cold start.
 */
export function recordRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return secondsFromEnv('RECORD_RETENTION_SECONDS', env, 0);
}

/** a whole number of seconds ≥ minimum (1 unless given) from the environment, or the function fails at cold start */
export function secondsFromEnv(name: string, env: NodeJS.ProcessEnv = process.env, minimum = 1): number {
  const value = requiredEnv(name, env);
  const seconds = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(seconds) || seconds < minimum) {
    throw new Error(`environment variable ${name} must be a whole number of seconds ≥ ${minimum}${minimum === 0 ? ' (0 = keep)' : ''}, got '${value}'`);
  }
  return seconds;
}

/** The deployed SweepMinimumAge (SWEEP_MINIMUM_AGE_SECONDS) for the API; unset → lib/settings.json's; malformed fails at cold start. */
export function sweepMinimumAgeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.SWEEP_MINIMUM_AGE_SECONDS;
  if (value === undefined || value === '') return SWEEP_SETTINGS_DEFAULTS.SweepMinimumAge;
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new Error(`environment variable SWEEP_MINIMUM_AGE_SECONDS must be a whole number of seconds ≥ 0, got '${value}'`);
  }
  return Number(value);
}
