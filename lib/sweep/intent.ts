/**
 * The intent of a page: before a page execution aborts anything, "List a page" writes which uploads it is about to
 * abort to the stack's intents bucket (one object per lane, overwritten by the next page: gzip of the page's
 * [key, uploadId, parts, bytes]; the bucket's lifecycle deletes it after a day). S3 rather than the table: a PUT costs
 * $0.005 per 1,000 pages, where an item of a 449-upload page costs ~70 write units ($0.10 per million uploads, past
 * the sweep's $7 budget). If the page execution dies after its aborts and before its records (a DynamoDB outage
 * outlasting the retries, the 5-minute cap), the resume from the checkpoint reconciles the page: a record of this sweep
 * is counted, an upload ListParts answers NoSuchUpload for is recorded ABORTED, one still listed is left to the
 * relisting (the resume goes on from the checkpoint's cursor, before that page). An intent whose seq the checkpoint
 * has reached was recorded: it is ignored.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { measureUpload } from '../measure.ts';
import { recordId } from '../record-id.ts';
import type { AbortRecord } from '../records.ts';
import type { PageItem } from './page.ts';
import { batchGetAll, inPool, type SweepDeps } from './requests.ts';
import { addTotals, checkpointId, type TargetState, type Totals } from './state.ts';
import { recordTotals } from './tally.ts';

const CHECK_CONCURRENCY = 16;

export const intentKey = (state: Pick<TargetState, 'sweep' | 'target' | 'lane'>) =>
  `intents/${checkpointId(state.sweep.id, state.target.index, state.lane?.lane).replace(/#/g, '/')}`;

interface Intent {
  seq: number;
  listedAt: string;
  uploads: PageItem[];
}

/** the intent object's body: gzip of { seq, listedAt, uploads: [key, uploadId, parts, bytes][] } */
export const packIntent = (intent: Intent): Buffer =>
  gzipSync(JSON.stringify({ seq: intent.seq, listedAt: intent.listedAt, uploads: intent.uploads.map((u) => [u.k, u.u, u.p ?? null, u.b ?? null]) }));

/** the page's uploads, before any abort: seq is the checkpoint's seq once the page is recorded (no bucket: no intent) */
export async function writeIntent(deps: SweepDeps, state: TargetState, listedAt: string, uploads: PageItem[]): Promise<void> {
  if (!deps.intentsBucket || uploads.length === 0 || state.sweep.dryRun) return;
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.intentsBucket, Key: intentKey(state), Body: packIntent({ seq: state.seq + 1, listedAt, uploads }) }));
}

async function readIntent(deps: SweepDeps, state: TargetState): Promise<Intent | undefined> {
  if (!deps.intentsBucket) return undefined;
  let body: Uint8Array;
  try {
    const answer = await deps.s3.send(new GetObjectCommand({ Bucket: deps.intentsBucket, Key: intentKey(state) }));
    body = await answer.Body!.transformToByteArray();
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
  const parsed = JSON.parse(gunzipSync(body).toString('utf8')) as {
    seq: number;
    listedAt: string;
    uploads: Array<[string, string, number | null, number | null]>;
  };
  const uploads = parsed.uploads.map(([k, u, p, b]): PageItem => ({ k, u, ...(p !== null ? { p } : {}), ...(b !== null ? { b } : {}) }));
  return { seq: parsed.seq, listedAt: parsed.listedAt, uploads };
}

export interface Reconciled {
  totals: Totals;
  /** uploads of the page recorded now, and found recorded by this sweep already */
  recorded: number;
  /** uploads still listed: the relisting handles them */
  left: number;
  /** the ABORTED records counted (this sweep's, or written now): the step's share of the ledger */
  counted: AbortRecord[];
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
  const counted: AbortRecord[] = [];
  const counts = await inPool(intent.uploads, CHECK_CONCURRENCY, async (item, i): Promise<Partial<Totals>> => {
    const mine = existing.get(ids[i]);
    if (mine?.executionArn === state.sweep.executionArn && mine.status !== 'RUNNING') {
      if (mine.status === 'ABORTED') counted.push(mine);
      return recordTotals(mine);
    }
    const { exists } = await measureUpload(deps.s3, { Bucket: bucket, Key: item.k, UploadId: item.u, ExpectedBucketOwner: expectedBucketOwner });
    if (exists) {
      left += 1;
      return {};
    }
    const written = record(item, intent.listedAt);
    const count = await write(written);
    if (count.aborted) counted.push({ ...written, status: 'ABORTED' });
    return count;
  });
  let totals = state.totals;
  let recorded = 0;
  for (const count of counts) {
    if (Object.keys(count).length === 0) continue;
    recorded += 1;
    totals = addTotals(totals, { ...count, listed: 1, found: 1 });
  }
  return { totals, recorded, left, counted };
}
