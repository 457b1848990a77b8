/**
 * The intent of a page: before a page execution aborts anything, "List a page" writes which uploads it is about to
 * abort (one item per lane, overwritten by the next page: gzip of [key, uploadId, parts, bytes], no index). If the page
 * execution dies after its aborts and before its records (a DynamoDB outage outlasting the retries, the 5-minute cap),
 * the resume from the checkpoint reconciles the page: a record of this sweep is counted, an upload ListParts answers
 * NoSuchUpload for is recorded ABORTED, one still listed is left to the relisting (the resume goes on from the
 * checkpoint's cursor, before that page). An intent whose seq the checkpoint has reached was recorded: it is ignored.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { measureUpload } from '../abort-run.ts';
import { recordId } from '../record-id.ts';
import type { AbortRecord } from '../records.ts';
import type { PageItem } from './page.ts';
import { batchGetAll, inPool, type SweepDeps } from './requests.ts';
import { addTotals, checkpointId, type TargetState, type Totals } from './state.ts';
import { recordTotals } from './tally.ts';

/** an intent outlives any page execution (5 minutes) and any resume; TTL removes it for free */
const INTENT_SECONDS = 24 * 3600;
const CHECK_CONCURRENCY = 16;

export const intentId = (state: Pick<TargetState, 'sweep' | 'target' | 'lane'>) =>
  `${checkpointId(state.sweep.id, state.target.index, state.lane?.lane)}#aborting`;

/** the page's uploads, before any abort: seq is the checkpoint's seq once the page is recorded */
export async function writeIntent(deps: SweepDeps, state: TargetState, listedAt: string, uploads: PageItem[], now: Date): Promise<void> {
  if (uploads.length === 0 || state.sweep.dryRun) return;
  const packed = gzipSync(JSON.stringify(uploads.map((u) => [u.k, u.u, u.p ?? null, u.b ?? null])));
  await deps.doc.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: { id: intentId(state), seq: state.seq + 1, listedAt, uploads: packed, expiresAt: Math.floor(now.getTime() / 1000) + INTENT_SECONDS },
    }),
  );
}

async function readIntent(deps: SweepDeps, state: TargetState): Promise<{ seq: number; listedAt: string; uploads: PageItem[] } | undefined> {
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: intentId(state) }, ConsistentRead: true }));
  if (!(Item?.uploads instanceof Uint8Array)) return undefined;
  const rows = JSON.parse(gunzipSync(Item.uploads as Uint8Array).toString('utf8')) as Array<[string, string, number | null, number | null]>;
  const uploads = rows.map(([k, u, p, b]): PageItem => ({ k, u, ...(p !== null ? { p } : {}), ...(b !== null ? { b } : {}) }));
  return { seq: Number(Item.seq), listedAt: String(Item.listedAt), uploads };
}

export interface Reconciled {
  totals: Totals;
  /** uploads of the page recorded now, and found recorded by this sweep already */
  recorded: number;
  /** uploads still listed: the relisting handles them */
  left: number;
}

/**
 * What a page that died unrecorded did, added to `state`'s totals (state: the checkpoint the resume goes on from).
 * `write` writes a record as the page would (writeRecord: never over another run's). Nothing when the intent was recorded.
 */
export async function reconcileIntent(
  deps: SweepDeps,
  state: TargetState,
  write: (record: AbortRecord) => Promise<Partial<Totals>>,
  record: (item: PageItem, listedAt: string) => AbortRecord,
): Promise<Reconciled | undefined> {
  const intent = await readIntent(deps, state);
  if (!intent || intent.seq <= state.seq) return undefined;
  const { bucket, expectedBucketOwner } = state.target;
  const ids = intent.uploads.map((u) => recordId(bucket, u.k, u.u));
  const existing = new Map((await batchGetAll(deps, ids, { consistent: true })).map((item) => [String(item.id), item as unknown as AbortRecord]));
  let left = 0;
  const counts = await inPool(intent.uploads, CHECK_CONCURRENCY, async (item, i): Promise<Partial<Totals>> => {
    const mine = existing.get(ids[i]);
    if (mine?.executionArn === state.sweep.executionArn && mine.status !== 'RUNNING') return recordTotals(mine);
    const { exists } = await measureUpload(deps.s3, { Bucket: bucket, Key: item.k, UploadId: item.u, ExpectedBucketOwner: expectedBucketOwner });
    if (exists) {
      left += 1;
      return {};
    }
    return write(record(item, intent.listedAt));
  });
  let totals = state.totals;
  let recorded = 0;
  for (const count of counts) {
    if (Object.keys(count).length === 0) continue;
    recorded += 1;
    totals = addTotals(totals, { ...count, listed: 1, found: 1 });
  }
  return { totals, recorded, left };
}
