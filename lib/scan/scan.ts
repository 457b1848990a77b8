/**
 * `mpu-reaper scan`: what incomplete uploads there are, where, and what they cost a month. Read-only: ListBuckets,
 * GetBucketLocation, GetBucketLifecycleConfiguration, ListMultipartUploads and ListParts, with the caller's credentials.
 * Each bucket is read in its own region; a bucket or upload the caller may not read is a row (or a count) with its error.
 */
import { GetBucketLifecycleConfigurationCommand, GetBucketLocationCommand, ListBucketsCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3';
import { measureUpload } from '../measure.ts';
import { listUploads } from '../sweep/list.ts';
import { inPool } from '../sweep/requests.ts';
import { BucketTotals, bucketScan, scanResult, type AbortRule, type BucketScan, type ScanTotals } from './aggregate.ts';

/** the S3 client to use for buckets of a region */
export type S3ForRegion = (region: string) => S3Client;

/** ListParts in flight at once per bucket (the issue asks for at least 16) */
export const SCAN_CONCURRENCY = 32;
/** a scan's S3 clients: throttles (503 SlowDown) retried with the SDK's adaptive backoff */
export const SCAN_SDK_OPTIONS = { maxAttempts: 8, retryMode: 'adaptive' } as const;
/** buckets scanned at once */
const BUCKET_CONCURRENCY = 4;

export interface ScanOptions {
  /** only these buckets (else every bucket ListBuckets shows) */
  buckets?: string[];
  prefix?: string;
  /** only buckets in this region */
  region?: string;
  /** only uploads initiated more than this many seconds ago */
  olderThanSeconds?: number;
  /** the region of the calls that are not about one bucket (ListBuckets) */
  defaultRegion: string;
  concurrency?: number;
  now?: () => Date;
  onProgress?: (progress: ScanProgress) => void;
  /** only the buckets ListBuckets shows that this accepts (the scheduled scan: the stack's allowlist) */
  include?: (bucket: string) => boolean;
  /** at most this many ListParts in the whole scan: a bucket whose uploads go beyond it is marked partial */
  maxListParts?: number;
  /** no page of uploads is listed after this time (epoch ms): a bucket not listed to its end is marked partial */
  stopListingAt?: number;
}

export interface ScanProgress {
  buckets: number;
  bucketsDone: number;
  uploadsListed: number;
  uploadsMeasured: number;
  bytes: number;
}

export interface ScanReport {
  scannedAt: string;
  buckets: BucketScan[];
  totals: ScanTotals;
}

/** A bucket named with --bucket that does not exist: bad input, not a row. */
export class NoSuchBucketError extends Error {}

const errorText = (error: unknown) => {
  const e = error as Error & { $metadata?: { httpStatusCode?: number } };
  return `${e.name}${e.$metadata?.httpStatusCode ? ` (${e.$metadata.httpStatusCode})` : ''}: ${e.message}`;
};

/** GetBucketLocation's answer as a region: none means us-east-1, the legacy "EU" eu-west-1 (S3 API Reference, GetBucketLocation) */
export const regionOfLocation = (constraint: string | undefined): string => (!constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint);

/** every bucket ListBuckets shows (all pages), with its region when S3 reports it */
async function listAllBuckets(s3: S3Client): Promise<Array<{ name: string; region?: string }>> {
  const buckets: Array<{ name: string; region?: string }> = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListBucketsCommand({ ContinuationToken }));
    for (const b of page.Buckets ?? []) if (b.Name) buckets.push({ name: b.Name, region: b.BucketRegion });
    ContinuationToken = page.ContinuationToken;
  } while (ContinuationToken);
  return buckets;
}

/** the bucket's enabled AbortIncompleteMultipartUpload rules; undefined with the reason when they cannot be read */
export function abortRules(rules: LifecycleRule[] | undefined): AbortRule[] {
  return (rules ?? [])
    .filter((r) => r.Status === 'Enabled' && r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined)
    .map((r) => ({
      ...(r.ID ? { id: r.ID } : {}),
      days: r.AbortIncompleteMultipartUpload!.DaysAfterInitiation!,
      prefix: r.Filter?.Prefix ?? r.Filter?.And?.Prefix ?? r.Prefix ?? '',
    }));
}

async function readAbortRules(s3: S3Client, bucket: string): Promise<{ rules?: AbortRule[]; note?: string }> {
  try {
    return { rules: abortRules((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules) };
  } catch (error) {
    if ((error as Error).name === 'NoSuchLifecycleConfiguration') return { rules: [] };
    return { note: `lifecycle configuration not read: ${errorText(error)}` };
  }
}

/** what is left of the scan's ListParts across its buckets (ScanOptions.maxListParts) */
interface Budget {
  listParts: number;
}

async function scanOneBucket(s3: S3Client, bucket: string, region: string, options: ScanOptions, progress: ScanProgress, budget: Budget): Promise<BucketScan> {
  const now = options.now?.() ?? new Date();
  const cutoff = options.olderThanSeconds === undefined ? undefined : now.getTime() - options.olderThanSeconds * 1000;
  const lifecycle = readAbortRules(s3, bucket);
  const totals = new BucketTotals(region, now);
  const measure = (page: Array<{ Key?: string; UploadId?: string; Initiated?: Date; StorageClass?: string }>) =>
    inPool(page, options.concurrency ?? SCAN_CONCURRENCY, async (u) => {
      const listed = { key: u.Key!, uploadId: u.UploadId!, initiated: u.Initiated, storageClass: u.StorageClass };
      try {
        const m = await measureUpload(s3, { Bucket: bucket, Key: listed.key, UploadId: listed.uploadId });
        // completed or aborted since it was listed: not incomplete any more
        if (m.exists)
          totals.add({
            ...listed,
            storageClass: listed.storageClass ?? m.storageClass,
            parts: m.parts,
            bytes: m.bytes,
            lastPartAt: m.lastPartAt ? new Date(m.lastPartAt) : undefined,
          });
        progress.bytes += m.bytes;
      } catch (error) {
        totals.add({ ...listed, parts: 0, bytes: 0, error: errorText(error) });
      }
      progress.uploadsMeasured += 1;
      options.onProgress?.(progress);
    });
  let partial: string | undefined;
  try {
    let cursor: { keyMarker?: string; uploadIdMarker?: string } = {};
    let measuring: Promise<unknown> = Promise.resolve();
    for (;;) {
      // the next page is listed while the previous one is measured
      const page = await listUploads(s3, { bucket, prefix: options.prefix ?? '' }, { maxUploads: 1000, ...cursor });
      const old = (page.Uploads ?? []).filter((u) => cutoff === undefined || (u.Initiated !== undefined && u.Initiated.getTime() < cutoff));
      const taken = old.slice(0, Math.max(0, budget.listParts));
      budget.listParts -= taken.length;
      progress.uploadsListed += taken.length;
      await measuring;
      measuring = measure(taken);
      if (taken.length < old.length) partial = `stopped after the scan's ${options.maxListParts} ListParts (maxListParts)`;
      else if (page.IsTruncated && options.stopListingAt !== undefined && Date.now() >= options.stopListingAt)
        partial = 'stopped listing at the time limit (stopListingAt)';
      if (!page.IsTruncated || partial) break;
      cursor = { keyMarker: page.NextKeyMarker, uploadIdMarker: page.NextUploadIdMarker };
    }
    await measuring;
  } catch (error) {
    const { note } = await lifecycle;
    return bucketScan({ bucket, region, uploads: [], rules: undefined, now, error: errorText(error), notes: note ? [note] : [] });
  }
  const { rules, note } = await lifecycle;
  const row = totals.row({ bucket, region, rules, notes: note ? [note] : [] });
  return partial ? { ...row, partial } : row;
}

/** Scans the buckets (all of them, or those named) and returns one row per bucket and the totals. */
export async function scanAccount(s3For: S3ForRegion, options: ScanOptions): Promise<ScanReport> {
  const home = s3For(options.region ?? options.defaultRegion);
  const named = options.buckets?.map((name) => ({ name, region: undefined as string | undefined }));
  const candidates = named ?? (await listAllBuckets(home)).filter((b) => options.include?.(b.name) ?? true);
  const located = await inPool(candidates, 16, async (b): Promise<{ name: string; region?: string; error?: string }> => {
    if (b.region) return { name: b.name, region: b.region };
    try {
      return { name: b.name, region: regionOfLocation((await home.send(new GetBucketLocationCommand({ Bucket: b.name }))).LocationConstraint) };
    } catch (error) {
      if (named && (error as Error).name === 'NoSuchBucket') throw new NoSuchBucketError(`--bucket ${b.name}: the bucket does not exist`);
      return { name: b.name, error: `GetBucketLocation: ${errorText(error)}` };
    }
  });
  const chosen = located.filter((b) => !options.region || !b.region || b.region === options.region);
  const progress: ScanProgress = { buckets: chosen.length, bucketsDone: 0, uploadsListed: 0, uploadsMeasured: 0, bytes: 0 };
  options.onProgress?.(progress);
  const now = options.now ?? (() => new Date());
  const budget: Budget = { listParts: options.maxListParts ?? Number.POSITIVE_INFINITY };
  const rows = await inPool(chosen, BUCKET_CONCURRENCY, async (b) => {
    const row = b.error
      ? bucketScan({ bucket: b.name, region: null, uploads: [], rules: undefined, now: now(), error: b.error })
      : await scanOneBucket(s3For(b.region!), b.name, b.region!, options, progress, budget);
    progress.bucketsDone += 1;
    options.onProgress?.(progress);
    return row;
  });
  return { scannedAt: now().toISOString(), ...scanResult(rows) };
}
