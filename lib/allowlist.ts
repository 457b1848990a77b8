/**
 * The bucket allowlist: exact names and prefix patterns ending in "*" ("logs-*"). The same list scopes the
 * state machine role's S3 permissions in serverless.yml, so a bucket outside it is refused before anything starts.
 */
export interface BucketAllowlist {
  allows(bucket: string): boolean;
  readonly patterns: readonly string[];
}

const PATTERN = /^[a-z0-9][a-z0-9.-]*\*?$|^\*$/;

export function parseAllowlist(value: string | undefined): BucketAllowlist {
  const patterns = (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of patterns) {
    if (!PATTERN.test(p)) throw new Error(`ALLOWED_BUCKETS: "${p}" is neither a bucket name nor a prefix pattern ending in *`);
  }
  return {
    patterns,
    allows: (bucket) => patterns.some((p) => (p.endsWith('*') ? bucket.startsWith(p.slice(0, -1)) : bucket === p)),
  };
}
