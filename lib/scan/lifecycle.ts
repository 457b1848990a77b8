/**
 * A bucket's lifecycle configuration with a rule that aborts incomplete uploads after N days, merged into the rules it
 * has. PutBucketLifecycleConfiguration replaces the whole configuration (S3 API Reference: "Creates a new lifecycle
 * configuration for the bucket or replaces an existing lifecycle configuration"), so every other rule is written back
 * exactly as read, and the configuration is read again right before the write: if it changed, nothing is written.
 */
import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  type PutBucketLifecycleConfigurationCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';

/** the ID of the rule this tool adds (and the only rule it ever changes) */
export const ABORT_RULE_ID = 'mpu-reaper-abort-incomplete-uploads';
/** S3 holds at most 1,000 rules in a configuration (S3 User Guide, lifecycle configuration elements) */
export const MAX_RULES = 1000;

export interface LifecycleConfig {
  rules: LifecycleRule[];
  /** read and written back unchanged: leaving it out on a PUT would reset it to S3's default */
  transitionDefaultMinimumObjectSize?: string;
}

export type LifecycleMerge =
  | { kind: 'add' | 'update'; rules: LifecycleRule[]; rule: LifecycleRule; replaced?: LifecycleRule }
  | { kind: 'refused'; reason: string };

/** a rule without any condition but an empty prefix: it applies to every key of the bucket */
export function coversWholeBucket(rule: LifecycleRule): boolean {
  const f = rule.Filter;
  if (f === undefined) return (rule.Prefix ?? '') === '';
  if (f.And || f.Tag || f.ObjectSizeGreaterThan !== undefined || f.ObjectSizeLessThan !== undefined) return false;
  return (f.Prefix ?? '') === '' && (rule.Prefix ?? '') === '';
}

const abortDays = (rule: LifecycleRule) => (rule.Status === 'Enabled' ? rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation : undefined);

/** The configuration's rules with this tool's abort rule added (or its days changed), or why that must not be done. */
export function mergeAbortRule(rules: readonly LifecycleRule[], days: number): LifecycleMerge {
  const covering = rules.filter((r) => r.ID !== ABORT_RULE_ID && coversWholeBucket(r) && abortDays(r) !== undefined && abortDays(r)! <= days);
  if (covering.length) {
    const r = covering[0];
    return {
      kind: 'refused',
      reason: `rule "${r.ID ?? '(no ID)'}" already aborts incomplete uploads in the whole bucket after ${abortDays(r)} days (≤ ${days}): nothing to add`,
    };
  }
  // S3 refuses a configuration that mixes the legacy top-level Prefix with Filter: write the rule in the form the others use
  const legacy = rules.length > 0 && rules.every((r) => r.Filter === undefined && r.Prefix !== undefined);
  const rule: LifecycleRule = {
    ID: ABORT_RULE_ID,
    ...(legacy ? { Prefix: '' } : { Filter: { Prefix: '' } }),
    Status: 'Enabled',
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
  };
  const mine = rules.findIndex((r) => r.ID === ABORT_RULE_ID);
  if (mine >= 0) {
    const current = rules[mine];
    const { AbortIncompleteMultipartUpload: _days, ...shape } = current;
    const { AbortIncompleteMultipartUpload: _ours, ...ourShape } = rule;
    if (JSON.stringify(sorted(shape)) !== JSON.stringify(sorted(ourShape)))
      return { kind: 'refused', reason: `a rule with the ID "${ABORT_RULE_ID}" holds more than an abort of every incomplete upload: not changed` };
    if (abortDays(current) === days)
      return { kind: 'refused', reason: `rule "${ABORT_RULE_ID}" already aborts incomplete uploads after ${days} days: nothing to change` };
    return { kind: 'update', rules: rules.map((r, i) => (i === mine ? rule : r)), rule, replaced: current };
  }
  if (rules.length >= MAX_RULES) return { kind: 'refused', reason: `the configuration already holds ${rules.length} rules, S3's limit is ${MAX_RULES}` };
  const ids = rules.map((r) => r.ID).filter(Boolean);
  if (new Set(ids).size !== ids.length) return { kind: 'refused', reason: 'the configuration holds two rules with one ID: it cannot be written back as read' };
  return { kind: 'add', rules: [...rules, rule], rule };
}

/** an object with its keys sorted, deeply: two reads of one configuration compare equal whatever the key order */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sorted(v)]),
    );
  return value;
}

export const sameConfig = (a: LifecycleConfig, b: LifecycleConfig): boolean => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

/** the bucket's lifecycle configuration; none is an empty one */
export async function readLifecycle(s3: S3Client, bucket: string): Promise<LifecycleConfig> {
  try {
    const answer = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    return {
      rules: answer.Rules ?? [],
      ...(answer.TransitionDefaultMinimumObjectSize ? { transitionDefaultMinimumObjectSize: answer.TransitionDefaultMinimumObjectSize } : {}),
    };
  } catch (error) {
    if ((error as Error).name === 'NoSuchLifecycleConfiguration') return { rules: [] };
    throw error;
  }
}

export class LifecycleChanged extends Error {}

/**
 * Writes the merged rules if the configuration is still the one they were merged into, then reads it back: resolves
 * only when the written rule is there. Throws LifecycleChanged (nothing written) when someone changed it meanwhile.
 */
export async function applyLifecycle(
  s3: S3Client,
  bucket: string,
  read: LifecycleConfig,
  merge: Extract<LifecycleMerge, { rules: unknown }>,
): Promise<LifecycleConfig> {
  const now = await readLifecycle(s3, bucket);
  if (!sameConfig(now, read))
    throw new LifecycleChanged(`the lifecycle configuration of ${bucket} changed since it was read: nothing written (run again to merge into the new one)`);
  const input: PutBucketLifecycleConfigurationCommandInput = {
    Bucket: bucket,
    LifecycleConfiguration: { Rules: merge.rules },
    ...(read.transitionDefaultMinimumObjectSize ? { TransitionDefaultMinimumObjectSize: read.transitionDefaultMinimumObjectSize as never } : {}),
  };
  await s3.send(new PutBucketLifecycleConfigurationCommand(input));
  const written = await readLifecycle(s3, bucket);
  const rule = written.rules.find((r) => r.ID === ABORT_RULE_ID);
  if (rule?.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== merge.rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation)
    throw new Error(`the lifecycle configuration of ${bucket} was written but does not hold rule "${ABORT_RULE_ID}" when read back`);
  return written;
}
