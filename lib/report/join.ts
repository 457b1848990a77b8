/**
 * How the report joins the ledger (lib/ledger.ts) and the records without counting an upload twice: both are keyed by
 * the month of the record's startedAt, and each month is read from exactly one of them. A month that began before
 * now − retention may have lost records to their TTL: it is read whole from the ledger. Every later month still has
 * all its records: read from them (they give the days). The ledger holds every upload the records count, so a month
 * read from it is exact; it only has no days.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CLASS, LEDGER_STATUS_KEY, ledgerItemDelta, ledgerMonth, type LedgerDelta } from '../ledger.ts';
import { INDEX_BY_STATUS, queryAll } from '../records.ts';
import type { SavedRecord } from './report.ts';

export interface ReportWindow {
  /** the records are read from this time (the asked since, or the first month they hold whole) */
  recordsSince: string;
  /** the months read from the ledger, oldest first (YYYY-MM) */
  ledgerMonths: string[];
}

const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month, 1));

/**
 * The months each source answers for a report since `since`. retentionSeconds 0: the stack keeps its records (no
 * TTL), so the records answer for everything. A month that began before `since` but is read from the ledger counts
 * whole (the ledger has no days).
 */
export function reportWindow(since: string, now: Date, retentionSeconds: number): ReportWindow {
  if (retentionSeconds === 0) return { recordsSince: since, ledgerMonths: [] };
  const expired = new Date(now.getTime() - retentionSeconds * 1000);
  // the first month that began at or after now − retention: every record of it is still there
  const whole = expired.getTime() === monthStart(expired.getUTCFullYear(), expired.getUTCMonth()).getTime();
  const firstWhole = monthStart(expired.getUTCFullYear(), expired.getUTCMonth() + (whole ? 0 : 1));
  if (since >= firstWhole.toISOString()) return { recordsSince: since, ledgerMonths: [] };
  const ledgerMonths: string[] = [];
  const from = new Date(since);
  for (let m = monthStart(from.getUTCFullYear(), from.getUTCMonth()); m < firstWhole; m = monthStart(m.getUTCFullYear(), m.getUTCMonth() + 1)) {
    ledgerMonths.push(ledgerMonth(m.toISOString()));
  }
  return { recordsSince: firstWhole.toISOString(), ledgerMonths };
}

/** The ledger items of these months (byStatusShard, key LEDGER, startedAt the month: one Query, every page). */
export async function readLedger(doc: DynamoDBDocumentClient, tableName: string, months: string[], bucket?: string): Promise<LedgerDelta[]> {
  if (months.length === 0) return [];
  const items = await queryAll(doc, {
    TableName: tableName,
    IndexName: INDEX_BY_STATUS,
    KeyConditionExpression: '#statusKey = :key AND #startedAt BETWEEN :from AND :to',
    ...(bucket ? { FilterExpression: '#bucket = :bucket' } : {}),
    ExpressionAttributeNames: { '#statusKey': 'statusKey', '#startedAt': 'startedAt', ...(bucket ? { '#bucket': 'bucket' } : {}) },
    ExpressionAttributeValues: { ':key': LEDGER_STATUS_KEY, ':from': months[0], ':to': months[months.length - 1], ...(bucket ? { ':bucket': bucket } : {}) },
  });
  return items.map(ledgerItemDelta);
}

/** A ledger item as the report's rows: one per region and class (its uploads and bytes together), one for zero-part uploads. */
export function ledgerRows(delta: LedgerDelta): SavedRecord[] {
  const row = { bucket: delta.bucket, status: 'ABORTED' as const, startedAt: delta.month, month: delta.month };
  const rows: SavedRecord[] = Object.entries(delta.classes).map(([group, c]) => {
    const [region, storageClass = DEFAULT_CLASS] = group.split('#');
    return { ...row, region, storageClass, uploads: c.uploads, bytesFound: c.bytes, partsFound: 1 };
  });
  if (delta.zeroPartUploads > 0) rows.push({ ...row, uploads: delta.zeroPartUploads, partsFound: 0, bytesFound: 0 });
  return rows;
}
