/**
 * How many uploads the next page may take so that its page execution ends inside EXPRESS's 5 minutes. An Express
 * execution that reaches 5 minutes is stopped (States.Timeout) and every upload its page had aborted but not recorded
 * is left without a record (counted as a lost page): a page must never be the one that runs out of time.
 *
 * On AWS a page of ~450 uploads takes ~6 s (one 5 s wait and a second of requests), so this never binds; it binds when
 * pages slow down: S3 throttling (each SlowDown retried with backoff), a slow table, or a loaded local machine. The
 * page's time is close to linear in its uploads, so the last recorded page's seconds per upload, with a factor of 2 for
 * what varies, say how many fit in the time left; after a page execution failed, each failure in a row halves the page.
 */
import type { TargetState } from './state.ts';

/** AWS: an EXPRESS execution runs at most 5 minutes (Developer Guide, "Standard and Express workflows") */
export const EXPRESS_MAX_SECONDS = 300;
/** the time a page execution leaves unused: its start, the record Lambda's retries, the answer to sweep-target */
export const EXPRESS_MARGIN_SECONDS = 60;
/** the last page's time per upload, doubled: pages vary */
export const PACE_SAFETY = 2;
/** below this, a page execution that has done pages already ends, and the next one starts with the whole budget */
export const MIN_PAGE_UPLOADS = 20;

/**
 * The most uploads the next page may take, given the seconds this page execution has run; undefined when the pace sets
 * no limit (no page recorded yet, nothing failed). 0 means: end this page execution, start a fresh one.
 */
export function pageRoomForTime(state: Pick<TargetState, 'pace' | 'recoveries' | 'sweep'>, elapsedSeconds: number, firstOfRun: boolean): number | undefined {
  const left = EXPRESS_MAX_SECONDS - EXPRESS_MARGIN_SECONDS - (firstOfRun ? 0 : elapsedSeconds);
  const { pace, recoveries } = state;
  const paced = pace && pace.uploads > 0 && pace.seconds > 0;
  if (!paced && recoveries === 0) return undefined;
  const byTime = paced ? Math.floor(left / (PACE_SAFETY * (pace.seconds / pace.uploads))) : state.sweep.settings.pageUploads;
  const room = Math.floor(byTime / 2 ** recoveries);
  if (firstOfRun) return Math.max(1, room); // a page execution always does its first page: progress is certain
  return room < MIN_PAGE_UPLOADS ? 0 : room;
}
