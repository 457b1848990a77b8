/**
 * The scheduled debt scan: the allowlisted buckets scanned by lib/scan (read-only), each bucket's incomplete uploads
 * published as EMF metrics in the MpuReaper namespace, dimensions `service` and `Bucket`:
 *   IncompleteUploadBytes (Bytes), IncompleteUploads (Count), EstimatedMonthlyCostUsd (None, US dollars a month).
 * Bounded so that it ends inside its Lambda timeout: at most `maxListParts` ListParts in a run (one per upload), no
 * page listed after `listingSeconds`. A bucket not read to its end publishes what it covered with the EMF property
 * `Partial` (the reason): its values are a lower bound (the cost alarm still fires on them; it may fire late).
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { BucketAllowlist } from '../allowlist.ts';
import type { BucketScan } from './aggregate.ts';
import { scanAccount, type S3ForRegion } from './scan.ts';

export const DEBT_METRICS = {
  bytes: 'IncompleteUploadBytes',
  uploads: 'IncompleteUploads',
  cost: 'EstimatedMonthlyCostUsd',
} as const;

/** ListParts a run may send by default: $0.05 at S3's LIST price ($0.005 per 1,000), ~$1.50 a month when daily */
export const DEFAULT_MAX_LIST_PARTS = 10_000;
/** the function's timeout is 900 s (serverless.yml): listing stops after 600 s, the pages in flight end well before */
export const LISTING_SECONDS = 600;

export interface DebtScanDeps {
  s3For: S3ForRegion;
  allowlist: BucketAllowlist;
  /** the function's region: ListBuckets is sent there, each bucket is read in its own */
  region: string;
  maxListParts: number;
  listingSeconds: number;
  now?: () => Date;
}

export interface DebtScanSummary {
  scannedAt: string;
  /** buckets whose metrics were published */
  published: string[];
  /** buckets not read to their end, with the reason (their metrics are lower bounds) */
  partial: Record<string, string>;
  /** buckets that could not be read (AccessDenied …): nothing published for them */
  errors: Record<string, string>;
  /** allowlisted bucket names ListBuckets does not show (deleted, or of another account) */
  notFound: string[];
  totals: { buckets: number; uploads: number; bytes: number; monthlyCostUsd: number };
}

/** DEBT_MAX_LIST_PARTS (a whole number ≥ 1) or the default; a malformed one fails at cold start */
export function maxListPartsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.DEBT_MAX_LIST_PARTS;
  if (value === undefined || value === '') return DEFAULT_MAX_LIST_PARTS;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new Error(`environment variable DEBT_MAX_LIST_PARTS must be a whole number ≥ 1 (ListParts per run), got '${value}'`);
  }
  return Number(value);
}

/**
 * One EMF document per bucket (3 metrics, 2 dimensions: far inside the specification's 100 metrics and 30 dimensions
 * per document, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * Nothing for a bucket with an error, or one cut off before any upload was measured (a 0 would clear the alarm).
 */
export function publishDebt(metrics: Metrics, row: BucketScan): boolean {
  if (row.error || (row.partial && row.uploads === 0)) return false;
  metrics.addDimension('Bucket', row.bucket);
  metrics.addMetric(DEBT_METRICS.bytes, MetricUnit.Bytes, row.bytes);
  metrics.addMetric(DEBT_METRICS.uploads, MetricUnit.Count, row.uploads);
  metrics.addMetric(DEBT_METRICS.cost, MetricUnit.NoUnit, row.monthlyCostUsd);
  if (row.partial) metrics.addMetadata('Partial', row.partial);
  metrics.publishStoredMetrics();
  return true;
}

/** Scans the allowlisted buckets (ListBuckets filtered by the allowlist) and publishes each one's debt. */
export async function scanDebt(deps: DebtScanDeps, metrics: Metrics): Promise<DebtScanSummary> {
  const report = await scanAccount(deps.s3For, {
    defaultRegion: deps.region,
    include: deps.allowlist.allows,
    maxListParts: deps.maxListParts,
    stopListingAt: Date.now() + deps.listingSeconds * 1000,
    now: deps.now,
  });
  const summary: DebtScanSummary = {
    scannedAt: report.scannedAt,
    published: [],
    partial: {},
    errors: {},
    notFound: deps.allowlist.patterns.filter((p) => !p.endsWith('*') && !report.buckets.some((b) => b.bucket === p)),
    totals: { buckets: report.totals.buckets, uploads: report.totals.uploads, bytes: report.totals.bytes, monthlyCostUsd: report.totals.monthlyCostUsd },
  };
  for (const row of report.buckets) {
    if (row.error) summary.errors[row.bucket] = row.error;
    if (row.partial) summary.partial[row.bucket] = row.partial;
    if (publishDebt(metrics, row)) summary.published.push(row.bucket);
  }
  return summary;
}
