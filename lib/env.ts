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
  const value = requiredEnv('RECORD_RETENTION_SECONDS', env);
  const seconds = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(seconds) || seconds < 0) {
    throw new Error(`environment variable RECORD_RETENTION_SECONDS must be a whole number of seconds ≥ 0 (0 = keep), got '${value}'`);
  }
  return seconds;
}
