/**
 * A sweep request turned into a plan: validated targets, each with the cutoff (initiated before it = old enough),
 * computed from the sweep's start time. The sweep state machine asks for it once (Step Functions has no date
 * arithmetic in JSONPath); the API and the CLI validate with the same code before they start anything.
 */
import { ABORT_SETTINGS_DEFAULTS } from '../settings.ts';
import { bucketProblem, type Problem } from '../validation.ts';

export interface SweepTarget { bucket: string; prefix?: string; olderThan: string; expectedBucketOwner?: string }
export interface SweepRequest { targets: SweepTarget[]; dryRun?: boolean; maxUploads?: number }
export interface PlannedTarget { bucket: string; prefix: string; olderThan: string; olderThanSeconds: number; cutoff: string; expectedBucketOwner?: string }
export interface SweepPlan { targets: PlannedTarget[]; dryRun: boolean; maxUploads: number; trigger: string; startedAt: string; expiresAt: number }

export const MAX_TARGETS = 20;
export const DEFAULT_MAX_UPLOADS = 100_000;
export const MAX_MAX_UPLOADS = 1_000_000;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** a sweep cannot reach back further than 100 years */
const MAX_AGE_SECONDS = 36_500 * 86_400;

/** "30m", "24h", "7d", "90s", "1d12h" → seconds; undefined if not a duration */
export function parseAge(text: string): number | undefined {
  const match = /^(\d+[smhd])+$/.exec(text);
  if (!match) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) seconds += Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  return seconds;
}

/** The moment an upload must have been initiated before to be old enough; second precision, ISO-8601 UTC. */
export function cutoffFor(start: Date, olderThanSeconds: number): string {
  return new Date(Math.floor(start.getTime() / 1000) * 1000 - olderThanSeconds * 1000).toISOString();
}

export function validateSweepRequest(input: unknown): Problem[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return [{ field: 'body', rule: 'must be a JSON object' }];
  const body = input as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const field of Object.keys(body)) {
    if (!['targets', 'dryRun', 'maxUploads'].includes(field)) problems.push({ field, rule: 'is not a known field (known: targets, dryRun, maxUploads)' });
  }
  if (!Array.isArray(body.targets) || body.targets.length === 0) {
    problems.push({ field: 'targets', rule: 'must be a non-empty array' });
  } else if (body.targets.length > MAX_TARGETS) {
    problems.push({ field: 'targets', rule: `must have at most ${MAX_TARGETS} entries` });
  } else {
    body.targets.forEach((target: unknown, i: number) => {
      const at = `targets[${i}]`;
      if (target === null || typeof target !== 'object' || Array.isArray(target)) {
        problems.push({ field: at, rule: 'must be an object' });
        return;
      }
      const t = target as Record<string, unknown>;
      for (const field of Object.keys(t)) {
        if (!['bucket', 'prefix', 'olderThan', 'expectedBucketOwner'].includes(field)) problems.push({ field: `${at}.${field}`, rule: 'is not a known field (known: bucket, prefix, olderThan, expectedBucketOwner)' });
      }
      if (typeof t.bucket !== 'string') problems.push({ field: `${at}.bucket`, rule: 'is required, a string' });
      else {
        const rule = bucketProblem(t.bucket);
        if (rule) problems.push({ field: `${at}.bucket`, rule });
      }
      if (t.prefix !== undefined && (typeof t.prefix !== 'string' || Buffer.byteLength(t.prefix) > 1024)) problems.push({ field: `${at}.prefix`, rule: 'must be a string of at most 1,024 bytes' });
      if (typeof t.olderThan !== 'string') problems.push({ field: `${at}.olderThan`, rule: 'is required, a duration such as "30m", "24h" or "7d"' });
      else {
        const seconds = parseAge(t.olderThan);
        if (seconds === undefined) problems.push({ field: `${at}.olderThan`, rule: 'must be a duration such as "30m", "24h" or "7d" (units s, m, h, d)' });
        else if (seconds > MAX_AGE_SECONDS) problems.push({ field: `${at}.olderThan`, rule: 'must be at most 36500d' });
      }
      if (t.expectedBucketOwner !== undefined && (typeof t.expectedBucketOwner !== 'string' || !/^\d{12}$/.test(t.expectedBucketOwner))) {
        problems.push({ field: `${at}.expectedBucketOwner`, rule: 'must be a 12-digit AWS account id' });
      }
    });
  }
  if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') problems.push({ field: 'dryRun', rule: 'must be true or false' });
  if (body.maxUploads !== undefined && (!Number.isInteger(body.maxUploads) || (body.maxUploads as number) < 1 || (body.maxUploads as number) > MAX_MAX_UPLOADS)) {
    problems.push({ field: 'maxUploads', rule: `must be a whole number from 1 to ${MAX_MAX_UPLOADS.toLocaleString('en-US')}` });
  }
  return problems;
}

export class InvalidSweepRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSweepRequest';
  }
}

/**
 * The plan for a sweep execution's input: the request, plus the `trigger` its starter may add (api, cli, schedule;
 * "direct" when none).
 */
export function planSweep(input: unknown, start: Date, retentionSeconds: number = ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds): SweepPlan {
  const { trigger = 'direct', ...request } = (input !== null && typeof input === 'object' && !Array.isArray(input) ? input : { input }) as Record<string, unknown>;
  const problems = validateSweepRequest(typeof trigger === 'string' ? request : input);
  if (problems.length > 0) throw new InvalidSweepRequest(problems.map((p) => `${p.field}: ${p.rule}`).join('; '));
  const r = request as unknown as SweepRequest;
  return {
    targets: r.targets.map((t) => {
      const olderThanSeconds = parseAge(t.olderThan)!;
      return {
        bucket: t.bucket, prefix: t.prefix ?? '', olderThan: t.olderThan, olderThanSeconds, cutoff: cutoffFor(start, olderThanSeconds),
        ...(t.expectedBucketOwner ? { expectedBucketOwner: t.expectedBucketOwner } : {}),
      };
    }),
    dryRun: r.dryRun ?? false,
    maxUploads: r.maxUploads ?? DEFAULT_MAX_UPLOADS,
    trigger: trigger as string,
    startedAt: start.toISOString(),
    expiresAt: Math.floor(start.getTime() / 1000) + retentionSeconds,
  };
}
