/** A bucket's incomplete uploads, measured, summed into the scan's row; the rows summed into its totals. Pure. */
import { monthlyCostUsd, priceOf } from './prices.ts';

/** one upload as the scan saw it: listed (key, id, initiated, class) and measured with ListParts */
export interface ScannedUpload {
  key: string;
  uploadId: string;
  initiated?: Date;
  storageClass?: string;
  parts: number;
  bytes: number;
  lastPartAt?: Date;
  /** ListParts failed (AccessDenied, a KMS key the caller may not use …): parts and bytes unknown, counted as 0 */
  error?: string;
}

/** an AbortIncompleteMultipartUpload rule of the bucket's lifecycle configuration (enabled rules only) */
export interface AbortRule {
  id?: string;
  days: number;
  /** the rule's key prefix; '' covers the whole bucket */
  prefix: string;
}

export interface ClassTotals {
  uploads: number;
  parts: number;
  bytes: number;
  monthlyCostUsd: number;
  usdPerGbMonth: number;
  billedAs: string;
}

export interface BucketScan {
  bucket: string;
  region: string | null;
  uploads: number;
  parts: number;
  bytes: number;
  monthlyCostUsd: number;
  byStorageClass: Record<string, ClassTotals>;
  oldestInitiated: string | null;
  lastPartAt: string | null;
  activeUploads: number;
  zeroPartUploads: number;
  /** the fewest days of an enabled rule covering the whole bucket; else of any enabled rule; null without one */
  lifecycleAbortDays: number | null;
  lifecycleAbortRules: AbortRule[];
  /** uploads ListParts could not measure */
  uploadErrors: number;
  /** the bucket could not be scanned (its row holds no counts): the error's code and message */
  error: string | null;
  /** prices that are not the listed price of the region and class; a lifecycle configuration that could not be read */
  notes: string[];
  /** set when the scan stopped before the bucket's last upload (its budget): the counts are a lower bound */
  partial?: string;
}

export interface ScanTotals {
  buckets: number;
  uploads: number;
  parts: number;
  bytes: number;
  monthlyCostUsd: number;
  activeUploads: number;
  zeroPartUploads: number;
  bucketsWithErrors: number;
  bucketsWithoutAbortRule: string[];
}

/** an upload with a part (or, without parts, initiated) this recently is "active": probably still being written */
export const ACTIVE_WITHIN_MS = 3_600_000;

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** A bucket's totals, one upload at a time: a scan of millions of uploads keeps sums, not the uploads. */
export class BucketTotals {
  private readonly byStorageClass: Record<string, ClassTotals> = {};
  private readonly notes = new Set<string>();
  private counts = { uploads: 0, parts: 0, bytes: 0, active: 0, zero: 0, errors: 0 };
  private oldest: Date | undefined;
  private newestPart: Date | undefined;
  private readonly region: string;
  private readonly now: Date;

  constructor(region: string | null, now: Date) {
    this.region = region ?? 'us-east-1';
    this.now = now;
  }

  add(u: ScannedUpload): void {
    const cls = u.storageClass || 'STANDARD';
    if (!this.byStorageClass[cls]) {
      const price = priceOf(this.region, cls);
      if (price.note) this.notes.add(price.note);
      this.byStorageClass[cls] = { uploads: 0, parts: 0, bytes: 0, monthlyCostUsd: 0, usdPerGbMonth: price.usdPerGbMonth, billedAs: price.billedAs };
    }
    const row = this.byStorageClass[cls];
    const c = this.counts;
    row.uploads += 1;
    row.parts += u.parts;
    row.bytes += u.bytes;
    c.uploads += 1;
    c.parts += u.parts;
    c.bytes += u.bytes;
    if (u.error) c.errors += 1;
    else if (u.parts === 0) c.zero += 1;
    if (u.initiated && (!this.oldest || u.initiated < this.oldest)) this.oldest = u.initiated;
    if (u.lastPartAt && (!this.newestPart || u.lastPartAt > this.newestPart)) this.newestPart = u.lastPartAt;
    const touched = u.lastPartAt ?? u.initiated;
    if (touched && this.now.getTime() - touched.getTime() < ACTIVE_WITHIN_MS) c.active += 1;
  }

  /** the bucket's row: costs per class from the class's byte total (one rounding per class, not per upload) */
  row(input: { bucket: string; region: string | null; rules: AbortRule[] | undefined; error?: string; notes?: string[] }): BucketScan {
    for (const row of Object.values(this.byStorageClass)) row.monthlyCostUsd = monthlyCostUsd(row.bytes, row);
    const rules = input.rules ?? [];
    const covering = rules.filter((r) => r.prefix === '');
    const days = (covering.length ? covering : rules).map((r) => r.days);
    const c = this.counts;
    return {
      bucket: input.bucket,
      region: input.region,
      uploads: c.uploads,
      parts: c.parts,
      bytes: c.bytes,
      monthlyCostUsd: roundUsd(Object.values(this.byStorageClass).reduce((sum, r) => sum + r.monthlyCostUsd, 0)),
      byStorageClass: this.byStorageClass,
      oldestInitiated: iso(this.oldest),
      lastPartAt: iso(this.newestPart),
      activeUploads: c.active,
      zeroPartUploads: c.zero,
      lifecycleAbortDays: days.length ? Math.min(...days) : null,
      lifecycleAbortRules: rules,
      uploadErrors: c.errors,
      error: input.error ?? null,
      notes: [...new Set([...(input.notes ?? []), ...this.notes])],
    };
  }
}

/** a bucket's row from all its uploads at once */
export function bucketScan(input: {
  bucket: string;
  region: string | null;
  uploads: Iterable<ScannedUpload>;
  rules: AbortRule[] | undefined;
  now: Date;
  error?: string;
  notes?: string[];
}): BucketScan {
  const totals = new BucketTotals(input.region, input.now);
  for (const u of input.uploads) totals.add(u);
  return totals.row(input);
}

/** the rows largest monthly cost first (then most bytes, then by name), and their totals */
export function scanResult(rows: BucketScan[]): { buckets: BucketScan[]; totals: ScanTotals } {
  const buckets = [...rows].sort((a, b) => b.monthlyCostUsd - a.monthlyCostUsd || b.bytes - a.bytes || a.bucket.localeCompare(b.bucket));
  const sum = (f: (r: BucketScan) => number) => buckets.reduce((s, r) => s + f(r), 0);
  return {
    buckets,
    totals: {
      buckets: buckets.length,
      uploads: sum((r) => r.uploads),
      parts: sum((r) => r.parts),
      bytes: sum((r) => r.bytes),
      monthlyCostUsd: roundUsd(sum((r) => r.monthlyCostUsd)),
      activeUploads: sum((r) => r.activeUploads),
      zeroPartUploads: sum((r) => r.zeroPartUploads),
      bucketsWithErrors: buckets.filter((r) => r.error).length,
      bucketsWithoutAbortRule: buckets.filter((r) => !r.error && !r.lifecycleAbortRules.some((rule) => rule.prefix === '')).map((r) => r.bucket),
    },
  };
}
