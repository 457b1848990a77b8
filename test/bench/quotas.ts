/**
 * Every AWS limit a 1,000,000-upload sweep touches, with the modelled peak use at the default settings and its share
 * of the limit. `npm run bench` prints the table and fails when a share passes MAX_SHARE: a time claim that needs more
 * than 70 % of a limit would meet throttling on AWS that the local stack never shows.
 */
import type { MeasuredDesign } from '../support/sweep-design.ts';
import { AWS_LIMITS, MAX_SHARE, type RecordLayout } from './aws-limits.ts';
import type { SweepTime } from './model.ts';

export interface QuotaRow {
  limit: string;
  /** what the limit allows per second (or at once) */
  allowed: number;
  /** the modelled peak, same unit */
  peak: number;
  share: number;
  unit: string;
  source: string;
}

export interface QuotaTable {
  rows: QuotaRow[];
  worst: QuotaRow;
  ok: boolean;
}

const S3_PERFORMANCE = 'S3 User Guide, "Best practices design patterns: optimizing Amazon S3 performance" (per partitioned prefix)';
const DYNAMO_PARTITION = 'DynamoDB Developer Guide, warm throughput: "each individual partition is limited to 1000 write units per second"';
const SFN_STANDARD = 'Step Functions Developer Guide, "Quotas for Standard Workflows" (US East (N. Virginia), US West (Oregon), Europe (Ireland))';
const SFN_EXPRESS = 'Step Functions Developer Guide, "Quotas for Express Workflows" (all regions)';
const LAMBDA_QUOTAS = 'Lambda Developer Guide, "Lambda quotas": 1,000 concurrent executions, 10 × that in requests per second';

/**
 * The peak of each limit while a wave of lanes runs: every lane at once runs one page execution at a time, a page of
 * `uploadsPerPage` uploads every `express` seconds, so the wave's rates are lanes × page rate.
 */
export function quotaTable(design: MeasuredDesign, time: SweepTime, layout: RecordLayout): QuotaTable {
  const atOnce = Math.min(time.lanes, time.settings.lanesAtOnce);
  const pagesPerSecond = atOnce / design.seconds.express;
  const uploadsPerSecond = pagesPerSecond * design.uploadsPerPage;
  // an upload record's write units land on the table and on each index it is in: a third each (3 WRU for ~1 KB)
  const recordUnits = (design.perUpload.dynamoWriteUnits ?? 3) / 3;
  const recordWrites = uploadsPerSecond * recordUnits;
  const standardTransitions = pagesPerSecond * (design.perPage.standardTransitions ?? 0);
  const expressStarts = pagesPerSecond * (design.perPage.expressRequests ?? 0);
  const row = (limit: string, peak: number, allowed: number, unit: string, source: string): QuotaRow => ({
    limit,
    allowed,
    peak,
    share: peak / allowed,
    unit,
    source,
  });
  const rows = [
    row('S3 DELETE (AbortMultipartUpload) per prefix', time.deletesPerSecond, AWS_LIMITS.s3DeletePerPrefix, 'requests/s', S3_PERFORMANCE),
    row('S3 GET (ListParts, ListMultipartUploads) per prefix', time.getsPerSecond, AWS_LIMITS.s3GetPerPrefix, 'requests/s', S3_PERFORMANCE),
    row(
      'DynamoDB table, writes across its partitions',
      recordWrites,
      AWS_LIMITS.dynamoOnDemandTableWrites,
      'WRU/s',
      'DynamoDB Developer Guide, on-demand warm throughput',
    ),
    row('DynamoDB byShardStartedAt, one partition key', recordWrites / layout.startedAtKeys, AWS_LIMITS.dynamoWritesPerPartition, 'WRU/s', DYNAMO_PARTITION),
    row(
      'DynamoDB byStatusShard, one partition key (ABORTED#NN)',
      recordWrites / layout.statusKeys,
      AWS_LIMITS.dynamoWritesPerPartition,
      'WRU/s',
      DYNAMO_PARTITION,
    ),
    row('Step Functions Standard state transitions', standardTransitions, AWS_LIMITS.standardStateTransitions, 'transitions/s', SFN_STANDARD),
    // a wave starts one sweep-target execution per lane at once: the token bucket, not its refill, takes that burst
    row('Step Functions Standard StartExecution, burst at a wave', atOnce, AWS_LIMITS.standardStartExecutionBucket, 'starts', SFN_STANDARD),
    row('Step Functions Express StartExecution', expressStarts, AWS_LIMITS.expressStartExecution, 'starts/s', SFN_EXPRESS),
    // each lane runs one Lambda at a time (list, then record); the walks run before the lanes
    row('Lambda concurrent executions', atOnce, AWS_LIMITS.lambdaConcurrency, 'at once', LAMBDA_QUOTAS),
    row('Lambda invocations', pagesPerSecond * 2, AWS_LIMITS.lambdaInvocationsPerSecond, 'invocations/s', LAMBDA_QUOTAS),
    // the record step writes one single-metric EMF event per status and one for the bytes freed
    row('CloudWatch EMF metrics in one log event', 1, AWS_LIMITS.emfMetricsPerEvent, 'metrics', 'CloudWatch User Guide, embedded metric format specification'),
  ];
  const worst = rows.reduce((a, b) => (b.share > a.share ? b : a));
  return { rows, worst, ok: worst.share <= MAX_SHARE };
}

export function formatQuotaTable(table: QuotaTable): string {
  const n = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
  const lines = [
    '| limit | modelled peak | allowed | share | source |',
    '| --- | --- | --- | --- | --- |',
    ...table.rows.map(
      (r) =>
        `| ${r.limit} | ${n(r.peak)} ${r.unit} | ${n(r.allowed)} | ${r.share > MAX_SHARE ? '**' : ''}${(r.share * 100).toFixed(1)} %${r.share > MAX_SHARE ? '**' : ''} | ${r.source} |`,
    ),
  ];
  const verdict = table.ok
    ? `every share ≤ ${MAX_SHARE * 100} % (highest: ${table.worst.limit}, ${(table.worst.share * 100).toFixed(1)} %)`
    : `OVER ${MAX_SHARE * 100} %: ${table.rows
        .filter((r) => r.share > MAX_SHARE)
        .map((r) => `${r.limit} ${(r.share * 100).toFixed(0)} %`)
        .join(', ')}`;
  return `${lines.join('\n')}\n\n${verdict}`;
}
