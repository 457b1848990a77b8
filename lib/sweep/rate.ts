/**
 * A sweep's request rate on one bucket: it never sends more than SweepAbortsPerSecond aborts and SweepReadsPerSecond
 * reads (ListParts, ListMultipartUploads) per second to a bucket, half of what S3 serves per partitioned prefix
 * ("at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned prefix", S3 User Guide,
 * optimizing performance): the bucket's own traffic keeps the other half.
 *
 * - Shared without shared state: each lane takes an equal share of the bucket's rate, the rate ÷ the lanes that can run
 *   at once (SweepLanesAtOnce, or the sweep's lanes if fewer; lanes of other buckets count too, so the share is never
 *   too large). Nothing is counted across executions: the cap holds by arithmetic alone.
 * - Paced per page: after a page is recorded, its page execution waits ("Keep to the bucket's rate") until the page's
 *   requests, counted from its answers, fit the lane's share: requests ÷ rate − the page's own seconds.
 * - AIMD, additive increase and multiplicative decrease, as TCP's congestion control (RFC 5681): a page that S3 answered
 *   503 (SlowDown) halves the lane's rate (from the rate it measured, if lower), a page without one adds a tenth of the
 *   share back, up to the share. Each lane of a bucket does so on its own, as TCP flows sharing a link do.
 *
 * The rate holds over each page, not within a second: a Map still sends its 40 requests at once.
 */
import type { PageAnswers } from './page.ts';
import type { SweepRunSettings } from './state.ts';

/** requests per second, of S3's two kinds the sweep sends a bucket */
export interface Requests {
  aborts: number;
  reads: number;
}

export interface LaneRate extends Requests {
  /** the lane's share of its bucket's rate: additive increase stops there */
  share: Requests;
  /** SlowDowns S3 answered the lane, in all; and on its last page */
  slowDowns: number;
  lastSlowDowns: number;
  /** the part of a second the lane still owes its pace (a Wait takes whole seconds): carried to the next page */
  owed?: number;
}

/** multiplicative decrease: the rate after a page that met a SlowDown (TCP halves its window) */
export const DECREASE = 0.5;
/** additive increase: the share's fraction added back after a page without SlowDown (10 clean pages to recover all) */
export const INCREASE = 0.1;
/** the lowest rate, as a fraction of the share (6 halvings): a lane always goes on */
export const FLOOR = 1 / 64;

const round = (rate: number) => Math.round(rate * 100) / 100;
const perKind = (f: (kind: keyof Requests) => number): Requests => ({ aborts: round(f('aborts')), reads: round(f('reads')) });

/** A lane's first rate: its share, the bucket's rate ÷ the lanes that may run at once; undefined when no cap is set. */
export function laneShare(settings: Pick<SweepRunSettings, 'abortsPerSecond' | 'readsPerSecond' | 'lanesAtOnce'>, lanesOfSweep?: number): LaneRate | undefined {
  const { abortsPerSecond, readsPerSecond } = settings;
  if (!abortsPerSecond || !readsPerSecond) return undefined;
  const sharing = Math.max(1, Math.min(settings.lanesAtOnce, lanesOfSweep ?? settings.lanesAtOnce));
  const share = { aborts: round(abortsPerSecond / sharing), reads: round(readsPerSecond / sharing) };
  return { ...share, share, slowDowns: 0, lastSlowDowns: 0 };
}

/**
 * AIMD: the lane's rate for its next page. A page that met a SlowDown lowers it once (however many it met, as TCP
 * lowers its window once per round trip), from the rate the page measured if that was lower than the cap.
 */
export function nextRate(rate: LaneRate, page: { slowDowns: number; measured?: Requests }): LaneRate {
  const floor = (kind: keyof Requests) => rate.share[kind] * FLOOR;
  const next =
    page.slowDowns > 0
      ? perKind((kind) => Math.max(floor(kind), DECREASE * Math.min(rate[kind], page.measured?.[kind] || rate[kind])))
      : perKind((kind) => Math.min(rate.share[kind], rate[kind] + INCREASE * rate.share[kind]));
  return { ...next, share: rate.share, slowDowns: rate.slowDowns + page.slowDowns, lastSlowDowns: page.slowDowns };
}

/** an abort the page execution's Maps answered 503: "Abort it: slowed down" */
export const SLOWED_DOWN = 'SlowDown';

/** the page's SlowDowns: its aborts S3 answered 503 (aborts have no Retry: every answer is seen) */
export function countSlowDowns(answers: PageAnswers): number {
  return [...(answers.aborted ?? []), ...(answers.abortedAgain ?? [])].filter((answer) => answer === SLOWED_DOWN).length;
}

/**
 * The requests a page sent its bucket, from its answers: every upload aborted once, the second abort where one was
 * sent; a ListParts for every first abort not answered NoSuchUpload and every second abort sent; and the List step's
 * own reads (ListMultipartUploads, measuring ListParts). A ListParts retried by its Task counts once.
 */
export function pageRequests(answers: PageAnswers, listReads: number): Requests {
  const aborted = answers.aborted ?? [];
  const again = (answers.abortedAgain ?? []).filter((answer) => answer !== '-');
  const verified = aborted.filter((answer) => answer !== 'gone').length + again.filter((answer) => answer !== 'gone').length;
  return { aborts: aborted.length + again.length, reads: listReads + verified };
}

/**
 * Whole seconds the page execution waits so that the page's requests keep to the rate (a Wait takes whole seconds),
 * and the part of a second still owed, carried to the next page: a page that needs 0.2 s more does not wait a whole
 * second, five such pages wait one. A page slower than its rate pays off what was owed, and banks nothing.
 */
export function paceSeconds(requests: Requests, rate: Requests & { owed?: number }, elapsedSeconds: number): { seconds: number; owed: number } {
  const needed = Math.max(requests.aborts / rate.aborts, requests.reads / rate.reads);
  const owed = Math.max(0, (rate.owed ?? 0) + needed - elapsedSeconds);
  const seconds = Math.floor(owed);
  return { seconds, owed: Math.round((owed - seconds) * 1000) / 1000 };
}

/**
 * The most uploads a page may take so that its pace fits the time left, each upload an abort, `readsPerUpload` reads
 * (the verify, the measure) and a second round, with the pace's safety factor; undefined without a cap.
 */
export function pageRoomForRate(rate: Requests | undefined, secondsLeft: number, readsPerUpload: number, safety = 2): number | undefined {
  if (!rate) return undefined;
  const perUpload = Math.max(2 / rate.aborts, (2 * readsPerUpload) / rate.reads);
  return Math.max(1, Math.floor(secondsLeft / (safety * perUpload)));
}

/** A target's rate, its lanes' summed: what its lanes sent its bucket at the end, of their shares, and their SlowDowns. */
export function targetRate(rates: LaneRate[]): (Requests & { share: Requests; slowDowns: number }) | undefined {
  if (rates.length === 0) return undefined;
  const sum = (f: (rate: LaneRate) => number) => round(rates.reduce((total, rate) => total + f(rate), 0));
  return {
    aborts: sum((r) => r.aborts),
    reads: sum((r) => r.reads),
    share: { aborts: sum((r) => r.share.aborts), reads: sum((r) => r.share.reads) },
    slowDowns: sum((r) => r.slowDowns),
  };
}
