/**
 * The ledger: what was aborted, by bucket and month (the month of the record's startedAt), in items that never expire,
 * so that `mpu-reaper report` can reach back past the records' retention. An upload is added exactly once because every
 * ADD rides in one TransactWriteItems with a write whose condition refuses the second time:
 * - an abort-upload run: the record's own outcome write, conditioned on `attribute_not_exists(countedIn)`;
 * - a sweep step (a page, a resume, a cancel's reconcile): a marker item per step (`…#ledger#SEQ`, the checkpoint's
 *   seq the step produces), conditioned on `attribute_not_exists(id)` and written with the checkpoint.
 * docs/record.md shows the item; docs/report.md how the report joins it with the records.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ownedUpdate, updateOwnedRecord, type AbortRecord } from './records.ts';

export const LEDGER_RECORD_TYPE = 'ledger';
/** the ledger items' key in the byStatusShard index (sort key startedAt: the month, YYYY-MM) */
export const LEDGER_STATUS_KEY = 'LEDGER';
/** where a record names no region or class (written before records carried them) */
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_CLASS = 'STANDARD';

/** what one ledger item gains: uploads with parts and their bytes, by region and class; zero-part uploads apart */
export interface LedgerDelta {
  bucket: string;
  month: string;
  uploads: number;
  bytesFreed: number;
  zeroPartUploads: number;
  /** by `${region}#${storageClass}` */
  classes: Record<string, { uploads: number; bytes: number }>;
}

export type Countable = Pick<AbortRecord, 'bucket' | 'status' | 'startedAt' | 'partsFound' | 'bytesFound' | 'storageClass' | 'region' | 'dryRun'>;

export const ledgerMonth = (startedAt: string): string => startedAt.slice(0, 7);
export const ledgerId = (bucket: string, month: string): string => `${LEDGER_RECORD_TYPE}#${bucket}#${month}`;
/** the per-class attributes of a ledger item: `c#REGION#CLASS#uploads` and `c#REGION#CLASS#bytes` */
const classAttribute = (group: string, what: 'uploads' | 'bytes') => `c#${group}#${what}`;

/** what the report counts, and so the ledger: an ABORTED upload (a dry run aborts nothing) */
export const isCounted = (record: Pick<Countable, 'status' | 'dryRun'>): boolean => record.status === 'ABORTED' && !record.dryRun;

/** the ledger deltas of these records, one per bucket and month; records that do not count add nothing */
export function ledgerDeltas(records: Iterable<Countable>): LedgerDelta[] {
  const deltas = new Map<string, LedgerDelta>();
  for (const r of records) {
    if (!isCounted(r)) continue;
    const month = ledgerMonth(r.startedAt);
    const id = ledgerId(r.bucket, month);
    const d = deltas.get(id) ?? { bucket: r.bucket, month, uploads: 0, bytesFreed: 0, zeroPartUploads: 0, classes: {} };
    deltas.set(id, d);
    if (r.partsFound === 0) {
      d.zeroPartUploads += 1;
      continue;
    }
    const bytes = r.bytesFound ?? 0;
    const group = `${r.region || DEFAULT_REGION}#${r.storageClass || DEFAULT_CLASS}`;
    d.uploads += 1;
    d.bytesFreed += bytes;
    d.classes[group] ??= { uploads: 0, bytes: 0 };
    d.classes[group].uploads += 1;
    d.classes[group].bytes += bytes;
  }
  return [...deltas.values()];
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** the ADD of a delta to its ledger item (created by the first ADD; no expiresAt: it outlives the records) */
export function ledgerUpdate(tableName: string, delta: LedgerDelta): TransactItem {
  const adds: Array<[string, number]> = [
    ['uploads', delta.uploads],
    ['bytesFreed', delta.bytesFreed],
    ['zeroPartUploads', delta.zeroPartUploads],
    ...Object.entries(delta.classes).flatMap(
      ([group, c]): Array<[string, number]> => [
        [classAttribute(group, 'uploads'), c.uploads],
        [classAttribute(group, 'bytes'), c.bytes],
      ],
    ),
  ];
  const sets: Array<[string, string]> = [
    ['recordType', LEDGER_RECORD_TYPE],
    ['statusKey', LEDGER_STATUS_KEY],
    ['startedAt', delta.month],
    ['bucket', delta.bucket],
  ];
  return {
    Update: {
      TableName: tableName,
      Key: { id: ledgerId(delta.bucket, delta.month) },
      UpdateExpression: `SET ${sets.map((_, i) => `#s${i} = :s${i}`).join(', ')} ADD ${adds.map((_, i) => `#a${i} :a${i}`).join(', ')}`,
      ExpressionAttributeNames: {
        ...Object.fromEntries(sets.map(([name], i) => [`#s${i}`, name])),
        ...Object.fromEntries(adds.map(([name], i) => [`#a${i}`, name])),
      },
      ExpressionAttributeValues: {
        ...Object.fromEntries(sets.map(([, value], i) => [`:s${i}`, value])),
        ...Object.fromEntries(adds.map(([, value], i) => [`:a${i}`, value])),
      },
    },
  };
}

/** A ledger item as stored, read back into its delta (the report's input). */
export function ledgerItemDelta(item: Record<string, unknown>): LedgerDelta {
  const classes: LedgerDelta['classes'] = {};
  for (const [name, value] of Object.entries(item)) {
    const match = /^c#(.+)#(uploads|bytes)$/.exec(name);
    if (!match) continue;
    classes[match[1]] ??= { uploads: 0, bytes: 0 };
    classes[match[1]][match[2] as 'uploads' | 'bytes'] = Number(value);
  }
  return {
    bucket: String(item.bucket),
    month: String(item.startedAt),
    uploads: Number(item.uploads ?? 0),
    bytesFreed: Number(item.bytesFreed ?? 0),
    zeroPartUploads: Number(item.zeroPartUploads ?? 0),
    classes,
  };
}

/** TransactionConflict (another transaction on the same ledger item) is retried this many times */
const CONFLICT_RETRIES = 6;

/**
 * Runs the transaction. Undefined when it was written; otherwise the cancellation reasons' codes, one per item in order
 * ('None' for an item that did not cause it): 'ConditionalCheckFailed' at an item's index says its condition refused.
 * A cancellation caused only by TransactionConflict is retried with jittered backoff.
 */
export async function transact(doc: DynamoDBDocumentClient, items: TransactItem[], sleep = defaultSleep): Promise<string[] | undefined> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      if ((error as Error).name !== 'TransactionCanceledException') throw error;
      const reasons = ((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
      // DynamoDB API reference, TransactWriteItems: CancellationReasons holds one entry per item, in order
      if (reasons.length !== items.length) throw error;
      const conflict = reasons.includes('TransactionConflict') && !reasons.includes('ConditionalCheckFailed');
      if (!conflict || attempt >= CONFLICT_RETRIES) return reasons;
      await sleep(Math.random() * 25 * 2 ** attempt);
    }
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * updateOwnedRecord for an abort-upload run's outcome: one the ledger counts is written with its ADD in one
 * transaction whose record condition also asks `attribute_not_exists(countedIn)`. Refused, the outcome is written alone:
 * a retried write (counted already) changes nothing more; a record another run owns throws as updateOwnedRecord does.
 */
export async function updateOwnedRecordCounted(
  doc: DynamoDBDocumentClient,
  tableName: string,
  id: string,
  executionArn: string,
  fields: Record<string, unknown>,
  record: Countable,
): Promise<void> {
  const [delta] = ledgerDeltas([record]);
  if (!delta) return updateOwnedRecord(doc, tableName, id, executionArn, fields);
  const update = ownedUpdate(tableName, id, executionArn, { ...fields, countedIn: ledgerId(delta.bucket, delta.month) });
  update.ConditionExpression = `${update.ConditionExpression} AND attribute_not_exists(#countedIn)`;
  if (!(await transact(doc, [{ Update: update }, ledgerUpdate(tableName, delta)]))) return;
  await updateOwnedRecord(doc, tableName, id, executionArn, fields);
}
