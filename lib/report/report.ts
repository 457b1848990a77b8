/**
 * What was saved: the ABORTED upload records since a time, summed by bucket, storage class and day, and priced with the
 * scan's price table (lib/scan/prices.ts) as the monthly cost their parts no longer add. Months past the records'
 * retention are read from the ledger (lib/report/join.ts), which outlives them.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { badRequest } from '../http/errors.ts';
import { DEFAULT_REGION } from '../ledger.ts';
import { INDEX_BY_STATUS, queryAll, shardKeys, type AbortRecord } from '../records.ts';
import { monthlyCostUsd, priceOf } from '../scan/prices.ts';
import { parseAge } from '../sweep/plan.ts';
import { bucketProblem } from '../validation.ts';
import { ledgerRows, readLedger, reportWindow } from './join.ts';

/** the report's window: from an hour to 400 days back */
export const SINCE_LIMITS = { min: 3600, max: 400 * 86_400 } as const;
export const SINCE_RULE = 'must be a duration from 1h to 400d, such as "30d" or "12h" (units s, m, h, d)';

/** "30d" → the time that long before now, or the rule it breaks */
export function parseSince(text: string, now: Date): { since: string } | { rule: string } {
  const seconds = parseAge(text);
  if (seconds === undefined || seconds < SINCE_LIMITS.min || seconds > SINCE_LIMITS.max) return { rule: SINCE_RULE };
  return { since: new Date(now.getTime() - seconds * 1000).toISOString() };
}

export type SavedRecord = Pick<AbortRecord, 'bucket' | 'status' | 'startedAt' | 'finishedAt' | 'partsFound' | 'bytesFound' | 'storageClass' | 'region'> & {
  /** a row of the ledger (lib/report/join.ts): the uploads it stands for (bytesFound is theirs together), and no day */
  uploads?: number;
  month?: string;
};

export interface ClassTotals {
  uploads: number;
  bytesFreed: number;
  monthlyCostAvoidedUsd: number;
}
export interface BucketReport extends ClassTotals {
  bucket: string;
  zeroPartUploads: number;
  byStorageClass: Record<string, ClassTotals>;
}
export interface Report {
  since: string;
  totals: ClassTotals & { zeroPartUploads: number };
  buckets: BucketReport[];
  days: Array<{ day: string; uploads: number; bytesFreed: number }>;
  /** why a price is not the listed one of the record's class and region (archive staging, unknown region or class) */
  priceNotes?: string[];
  /** the whole months read from the ledger (the records' retention is past them); their uploads are in no day */
  ledgerMonths?: string[];
}

const micro = (usd: number) => Math.round(usd * 1e6) / 1e6;

/**
 * The report of these records: ABORTED ones only. An upload aborted with no parts freed nothing: counted apart
 * (zeroPartUploads), not in uploads. Costs are priced per bucket, region and class, then summed.
 */
export function buildReport(records: Iterable<SavedRecord>, since: string): Report {
  const buckets = new Map<string, BucketReport>();
  // bytes per bucket, region and class: priced once each, so that rounding does not grow with the number of records
  const bytes = new Map<string, { bucket: string; region: string; cls: string; bytes: number }>();
  const days = new Map<string, { day: string; uploads: number; bytesFreed: number }>();
  let zeroPartUploads = 0;
  for (const r of records) {
    if (r.status !== 'ABORTED') continue;
    const b = buckets.get(r.bucket) ?? { bucket: r.bucket, uploads: 0, bytesFreed: 0, monthlyCostAvoidedUsd: 0, zeroPartUploads: 0, byStorageClass: {} };
    buckets.set(r.bucket, b);
    const n = r.uploads ?? 1;
    if (r.partsFound === 0) {
      b.zeroPartUploads += n;
      zeroPartUploads += n;
      continue;
    }
    const freed = r.bytesFound ?? 0;
    const cls = r.storageClass || 'STANDARD';
    const region = r.region || DEFAULT_REGION;
    b.uploads += n;
    b.bytesFreed += freed;
    b.byStorageClass[cls] ??= { uploads: 0, bytesFreed: 0, monthlyCostAvoidedUsd: 0 };
    const c = b.byStorageClass[cls];
    c.uploads += n;
    c.bytesFreed += freed;
    const group = `${r.bucket}\n${region}\n${cls}`;
    const g = bytes.get(group) ?? { bucket: r.bucket, region, cls, bytes: 0 };
    g.bytes += freed;
    bytes.set(group, g);
    if (r.month) continue;
    const day = (r.finishedAt ?? r.startedAt).slice(0, 10);
    const d = days.get(day) ?? { day, uploads: 0, bytesFreed: 0 };
    d.uploads += 1;
    d.bytesFreed += freed;
    days.set(day, d);
  }
  const notes = new Set<string>();
  for (const g of bytes.values()) {
    const price = priceOf(g.region, g.cls);
    if (price.note) notes.add(price.note);
    const usd = monthlyCostUsd(g.bytes, price);
    const b = buckets.get(g.bucket)!;
    b.monthlyCostAvoidedUsd = micro(b.monthlyCostAvoidedUsd + usd);
    b.byStorageClass[g.cls].monthlyCostAvoidedUsd = micro(b.byStorageClass[g.cls].monthlyCostAvoidedUsd + usd);
  }
  const list = [...buckets.values()].sort((x, y) => y.monthlyCostAvoidedUsd - x.monthlyCostAvoidedUsd || x.bucket.localeCompare(y.bucket));
  const sum = (f: (b: BucketReport) => number) => list.reduce((total, b) => total + f(b), 0);
  return {
    since,
    totals: {
      uploads: sum((b) => b.uploads),
      bytesFreed: sum((b) => b.bytesFreed),
      monthlyCostAvoidedUsd: micro(sum((b) => b.monthlyCostAvoidedUsd)),
      zeroPartUploads,
    },
    buckets: list,
    days: [...days.values()].sort((x, y) => x.day.localeCompare(y.day)),
    ...(notes.size ? { priceNotes: [...notes] } : {}),
  };
}

const FIELDS = ['bucket', 'status', 'startedAt', 'finishedAt', 'partsFound', 'bytesFound', 'storageClass', 'region'] as const;

/**
 * The ABORTED upload records started since `since`, from every shard of the byStatusShard index (one Query each, all
 * pages, side by side; a bucket is a filter). Never a Scan.
 */
export async function readAborted(doc: DynamoDBDocumentClient, tableName: string, filter: { since: string; bucket?: string }): Promise<SavedRecord[]> {
  const names = Object.fromEntries(FIELDS.map((f) => [`#${f}`, f]));
  const shard = async (key: string) =>
    (await queryAll(doc, {
      TableName: tableName,
      IndexName: INDEX_BY_STATUS,
      KeyConditionExpression: '#statusKey = :key AND #startedAt >= :since',
      ...(filter.bucket ? { FilterExpression: '#bucket = :bucket' } : {}),
      ProjectionExpression: FIELDS.map((f) => `#${f}`).join(', '),
      ExpressionAttributeNames: { ...names, '#statusKey': 'statusKey' },
      ExpressionAttributeValues: { ':key': key, ':since': filter.since, ...(filter.bucket ? { ':bucket': filter.bucket } : {}) },
    })) as SavedRecord[];
  return (await Promise.all(shardKeys('ABORTED').map(shard))).flat();
}

/** the query a report accepts: since (default 30d) and bucket; anything else is a 400 naming it */
export function reportQuery(query: Record<string, string | undefined> | null, now: Date): { since: string; bucket?: string } | { field: string; rule: string } {
  const q: Record<string, string | undefined> = Object.assign(Object.create(null), query);
  for (const name of Object.keys(q)) if (name !== 'since' && name !== 'bucket') return { field: name, rule: 'is not a known query parameter (since, bucket)' };
  const since = parseSince(q.since ?? '30d', now);
  if ('rule' in since) return { field: 'since', rule: since.rule };
  const problem = q.bucket === undefined ? undefined : bucketProblem(q.bucket);
  if (problem) return { field: 'bucket', rule: problem };
  return { since: since.since, ...(q.bucket !== undefined ? { bucket: q.bucket } : {}) };
}

export interface ReportDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** the stack's RecordRetentionSeconds (0: records kept): the months before it are read from the ledger */
  retentionSeconds: number;
}

/** The report since a time: the ledger's whole months past the records' retention, the records for the rest (join.ts). */
export async function readReport(deps: ReportDeps, asked: { since: string; bucket?: string }, now = new Date()): Promise<Report> {
  return (await readReportRows(deps, asked, now)).report;
}

/** the report, and the rows it was built from (the ledger's, then the records'): what --chart draws */
export async function readReportRows(deps: ReportDeps, asked: { since: string; bucket?: string }, now = new Date()) {
  const window = reportWindow(asked.since, now, deps.retentionSeconds);
  const [ledger, records] = await Promise.all([
    readLedger(deps.doc, deps.tableName, window.ledgerMonths, asked.bucket),
    readAborted(deps.doc, deps.tableName, { since: window.recordsSince, bucket: asked.bucket }),
  ]);
  const rows = [...ledger.flatMap(ledgerRows), ...records];
  const report = buildReport(rows, asked.since);
  return { rows, report: window.ledgerMonths.length > 0 ? { ...report, ledgerMonths: window.ledgerMonths } : report };
}

/** GET /report?since=&bucket= */
export async function getReport(
  deps: ReportDeps,
  query: Record<string, string | undefined> | null,
  now = new Date(),
): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const asked = reportQuery(query, now);
  if ('rule' in asked) throw badRequest(asked.field, asked.rule);
  const report = await readReport(deps, asked, now);
  return { statusCode: 200, body: report as unknown as Record<string, unknown> };
}
