/** `mpu-reaper lifecycle --bucket B --days N [--apply]`: prevention, a lifecycle rule that aborts incomplete uploads. */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { bucketProblem } from '../validation.ts';
import { ABORT_RULE_ID, LifecycleChanged, applyLifecycle, mergeAbortRule, readLifecycle } from '../scan/lifecycle.ts';
import { regionOfLocation, type S3ForRegion } from '../scan/scan.ts';
import { GetBucketLocationCommand } from '@aws-sdk/client-s3';
import { parse } from './args.ts';
import { CliFailure, UsageError, type CliIo } from './io.ts';
import { s3ForEnvironment } from './scan.ts';
import { clientConfig } from '../aws.ts';

export const LIFECYCLE_USAGE = `Usage: mpu-reaper lifecycle --bucket B --days N [--apply] [--json]

Shows the bucket's lifecycle configuration with a rule "${ABORT_RULE_ID}" that aborts every incomplete
multipart upload N days after it was initiated (AbortIncompleteMultipartUpload), as a diff: "+" added, "-" removed,
other rules unchanged. With --apply, writes it: every other rule is kept exactly; the configuration is read again just
before the write and nothing is written if it changed. Refused (exit 1, nothing written) when a rule already aborts
uploads in the whole bucket within N days, or the configuration cannot be merged safely.

  --bucket B                  the bucket
  --days N                    days after initiation, a whole number from 1 to 36,500 (S3 counts whole days)
  --apply                     write the merged configuration (default: only show it)
  --json                      print one JSON document
  -h, --help                  show this help`;

const line = (rule: LifecycleRule) => JSON.stringify(rule);

/** the configuration before and after, one rule a line */
export function lifecycleDiff(before: readonly LifecycleRule[], after: readonly LifecycleRule[]): string {
  const kept = new Set(after.map(line));
  const old = new Set(before.map(line));
  return [...before.map((r) => `${kept.has(line(r)) ? ' ' : '-'} ${line(r)}`), ...after.filter((r) => !old.has(line(r))).map((r) => `+ ${line(r)}`)].join('\n');
}

export async function lifecycleCommand(argv: string[], io: CliIo, s3For: S3ForRegion = s3ForEnvironment(io.env)): Promise<number> {
  const { values } = parse('lifecycle', argv, { bucket: { type: 'string' }, days: { type: 'string' }, apply: { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(`${LIFECYCLE_USAGE}\n`);
    return 0;
  }
  const bucket = values.bucket as string | undefined;
  if (bucket === undefined) throw new UsageError('lifecycle: --bucket: is required');
  const problem = bucketProblem(bucket);
  if (problem) throw new UsageError(`lifecycle: --bucket ${bucket}: ${problem}`);
  const daysText = values.days as string | undefined;
  if (daysText === undefined) throw new UsageError('lifecycle: --days: is required, a whole number of days');
  if (!/^\d+$/.test(daysText) || Number(daysText) < 1 || Number(daysText) > 36_500)
    throw new UsageError('lifecycle: --days: must be a whole number from 1 to 36,500');
  const days = Number(daysText);

  const home = s3For(String(clientConfig(io.env).region));
  let region: string;
  try {
    region = regionOfLocation((await home.send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint);
  } catch (error) {
    if ((error as Error).name === 'NoSuchBucket') throw new UsageError(`lifecycle: --bucket ${bucket}: the bucket does not exist`);
    throw error;
  }
  const s3 = s3For(region);
  const read = await readLifecycle(s3, bucket);
  const merge = mergeAbortRule(read.rules, days);
  const report = (fields: Record<string, unknown>, text: string) =>
    io.stdout.write(values.json ? `${JSON.stringify({ bucket, days, before: read.rules, ...fields })}\n` : text);
  if (merge.kind === 'refused') {
    report({ status: 'refused', applied: false, reason: merge.reason }, `${lifecycleDiff(read.rules, read.rules)}\n`);
    throw new CliFailure(`lifecycle: ${bucket}: refused: ${merge.reason}`);
  }
  const diff = `Lifecycle configuration of ${bucket} (${read.rules.length} rules → ${merge.rules.length}):\n${lifecycleDiff(read.rules, merge.rules)}\n`;
  if (!values.apply) {
    report(
      { status: merge.kind === 'add' ? 'would-add' : 'would-update', applied: false, after: merge.rules },
      `${diff}(not written: run again with --apply to write it)\n`,
    );
    return 0;
  }
  try {
    const written = await applyLifecycle(s3, bucket, read, merge);
    report(
      { status: merge.kind === 'add' ? 'added' : 'updated', applied: true, after: written.rules },
      `${diff}written and read back: rule "${ABORT_RULE_ID}" aborts incomplete uploads after ${days} days\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof LifecycleChanged) throw new CliFailure(`lifecycle: ${error.message}`);
    throw error;
  }
}
