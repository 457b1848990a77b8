/**
 * A page of a sweep: the uploads one sweep-page iteration aborts, verifies and records, and the byte budget that keeps
 * the page execution's state below Step Functions' 256 KiB per state (States.DataLimitExceeded is not caught by
 * States.ALL: it would fail the execution). Sizes are measured, not assumed: each upload is counted with the exact
 * length of its JSON (a 1,024-byte key of control characters is 6,144 bytes escaped), plus room for the four answers
 * the page's Maps add to the state for it.
 */
import type { AbortStatus } from '../records.ts';
import type { TargetState } from './state.ts';

/** An upload of the page: key and upload id, and what the measuring ListParts found (parts, bytes). */
export interface PageItem {
  k: string;
  u: string;
  p?: number;
  b?: number;
  /** a dry run's plan (lib/sweep/plan-pages.ts): Initiated and StorageClass as listed (c in every sweep unless STANDARD: the record keeps it), the newest part's LastModified */
  i?: string;
  c?: string;
  t?: string;
}
/** An upload whose outcome was known before any abort (dry run, or the measure found it gone or could not read it). */
export interface DecidedItem extends PageItem {
  s: AbortStatus;
  e?: string;
  h?: number;
  /** SKIPPED_CHANGED: what changed since the plan */
  why?: string;
  /** SKIPPED_ACTIVE: the newest part's LastModified */
  l?: string;
}

export interface Page {
  /** when the page was listed: the records' startedAt */
  listedAt: string;
  waitSeconds: number;
  /** to abort, in listing order: the page execution's Maps iterate over these */
  uploads: PageItem[];
  decided: DecidedItem[];
  /** uploads consumed from the listing (initiated after the cutoff too) */
  listed: number;
  /** uploads another run's RUNNING record held: counted, not touched */
  busy: number;
  /** the listing after this page */
  cursor: TargetState['cursor'];
  /** the listing ended (last page), or maxUploads stops it (truncated) */
  last: boolean;
  truncated: boolean;
  /** the listing failed (NoSuchBucket, AccessDenied …): S3's code and message */
  error?: { error: string; cause: string };
  /** a sweep applying a plan: the plan page after this one (lib/sweep/apply.ts) */
  planPage?: number;
  /** the List step's reads of the bucket: its ListMultipartUploads and measuring ListParts (lib/sweep/rate.ts) */
  reads?: number;
}

/**
 * What the page execution's Maps answer per upload, in the page's order. Abort: "sent", "gone" (NoSuchUpload before
 * any abort of ours) or the Step Functions error name. Verify (ListParts MaxParts 1): "gone" (NoSuchUpload), "parts",
 * "empty", or the error name. The second round ("-": not needed) only runs when some upload was not proven gone.
 */
export interface PageAnswers {
  aborted?: string[];
  verified?: { answers: string[]; kinds: string[] };
  abortedAgain?: string[];
  verifiedAgain?: string[];
}

export const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** the longest answer the budget makes room for: a JSON string of 38 bytes ("S3.ServiceUnavailableException" is 32) */
export const ANSWER_BYTES = 40;
/** per upload: four answers (two rounds of abort and verify), each with its comma */
export const ANSWERS_PER_UPLOAD_BYTES = 4 * (ANSWER_BYTES + 1);
/** the widest measure: 10,000 parts of 5 GiB */
const WIDEST_MEASURE = { p: 10_000, b: 10_000 * 5 * 2 ** 30 };
/** the distinct answers (States.ArrayUnique) and the Map results' brackets */
const FIXED_ANSWER_BYTES = 1024;

/** a dry run's plan fields at their widest (i, c, t) and its decided status (s) */
const WIDEST_PLAN = { i: '2026-11-22T21:13:40.000Z', c: 'INTELLIGENT_TIERING_EXTRA', t: '2026-11-22T21:13:40.000Z', s: 'WOULD_ABORT' };

/** The bytes an upload adds to the page execution's state, answers included (the widest measure when measured, the plan's fields in a dry run, a storage class other than STANDARD otherwise). */
export function uploadBytes(key: string, uploadId: string, measured: boolean, planned = false, listed: { c?: string } = {}): number {
  const item = { k: key, u: uploadId, ...(measured ? WIDEST_MEASURE : {}), ...(planned ? WIDEST_PLAN : listed) };
  return jsonBytes(item) + 1 + ANSWERS_PER_UPLOAD_BYTES;
}

/** The state of a page execution without its uploads: what the budget starts from. */
export function pageStateBytes(state: TargetState, page: Omit<Page, 'uploads' | 'decided'>): number {
  return jsonBytes({ state, parent: state.slice.execution, page: { ...page, uploads: [], decided: [] }, answers: {}, next: 'abort' }) + FIXED_ANSWER_BYTES;
}
