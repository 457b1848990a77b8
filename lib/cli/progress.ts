/** Live progress on a terminal or in a log: the sweep's progress bar, and a block of lines kept up to date. */
import type { SweepRecord } from '../records.ts';
import { shortBytes } from './format.ts';

/** what the line says besides the counters: whether `found` is final (the listing ended), and uploads done a second */
export interface ProgressFacts {
  listingEnded?: boolean;
  rate?: number;
}

const COUNTED = ['aborted', 'notFound', 'partsRemain', 'failed', 'wouldAbort', 'busy', 'skippedActive', 'skippedUnreadable'] as const;

/** the uploads of a sweep that have an outcome (each counter but found) */
export const countedOf = (sweep: Partial<SweepRecord>): number => COUNTED.reduce((sum, name) => sum + (sweep[name] ?? 0), 0);

/**
 * One line. Once the listing ended, `found` is the total: [██████░░░░] 120 of 400 · 12.5/s · 23s left · aborted 118 ·
 * failed 2 · 1.2 GiB. Before, the found count can still grow, so it is no total and there is no bar and no time left:
 * 120 done · 400 found so far · 12.5/s · time left – · aborted 118 · failed 2 · 1.2 GiB.
 */
export function progressLine(sweep: Partial<SweepRecord>, facts: ProgressFacts = {}, width = 24): string {
  const found = sweep.found ?? 0;
  const counted = countedOf(sweep);
  const skipped = (sweep.skippedActive ?? 0) + (sweep.skippedUnreadable ?? 0);
  const done = sweep.dryRun ? `would abort ${sweep.wouldAbort ?? 0}` : `aborted ${sweep.aborted ?? 0}`;
  const rate = facts.rate === undefined ? '– /s' : `${formatRate(facts.rate)}/s`;
  const counters = `${done} · failed ${(sweep.failed ?? 0) + (sweep.partsRemain ?? 0)}${skipped > 0 ? ` · skipped ${skipped}` : ''} · ${shortBytes(sweep.bytesFound ?? 0)}`;
  if (!facts.listingEnded) return `${doneOf(sweep, false)} · ${rate} · time left – · ${counters}`;
  const filled = found === 0 ? width : Math.min(width, Math.round((counted / found) * width));
  const left = timeLeft(found - counted, facts.rate);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${doneOf(sweep, true)} · ${rate} · ${left === undefined ? 'time left –' : `${formatDuration(left)} left`} · ${counters}`;
}

/** "120 of 400" once the listing ended (found is the total), else "120 done · 400 found so far" */
export const doneOf = (sweep: Partial<SweepRecord>, listingEnded: boolean): string =>
  listingEnded ? `${countedOf(sweep)} of ${sweep.found ?? 0}` : `${countedOf(sweep)} done · ${sweep.found ?? 0} found so far`;

/** one sample of the uploads done, at a time in milliseconds */
export interface Sample {
  at: number;
  done: number;
}

/** the window a rate is measured over: long enough to span a few pages of a lane, short enough to follow a change */
export const RATE_WINDOW_MS = 30_000;

/**
 * Uploads done a second over the recent window: from the newest sample at or before the window's start (or the oldest
 * within it) to the newest sample. None with fewer than two samples or no time between them.
 */
export function recentRate(samples: readonly Sample[], windowMs = RATE_WINDOW_MS): number | undefined {
  if (samples.length < 2) return undefined;
  const last = samples.at(-1)!;
  const from = samples.findLast((s) => s.at <= last.at - windowMs) ?? samples[0];
  const seconds = (last.at - from.at) / 1000;
  return seconds > 0 ? Math.max(0, last.done - from.done) / seconds : undefined;
}

/** seconds until `remaining` uploads are done at `rate` a second; none when the rate is unknown or zero */
export function timeLeft(remaining: number, rate: number | undefined): number | undefined {
  if (remaining <= 0) return 0;
  return rate && rate > 0 ? remaining / rate : undefined;
}

/** 0.4, 12.5, 1,234 */
export const formatRate = (rate: number): string => (rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(1));

/** 45s, 3m 20s, 2h 05m */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The samples of one run, by a clock given (a test's fake one): add the count done, read the recent rate. */
export function createRateMeter(now: () => number, windowMs = RATE_WINDOW_MS): { add(done: number): number | undefined } {
  const samples: Sample[] = [];
  return {
    add(done) {
      const at = now();
      samples.push({ at, done });
      // keep one sample older than the window: the rate's starting point
      while (samples.length > 2 && samples[1].at <= at - windowMs) samples.shift();
      return recentRate(samples, windowMs);
    },
  };
}

export type Output = { write(text: string): unknown; isTTY?: boolean; columns?: number };

export interface ProgressDisplay {
  /** shows these lines in place of the ones shown before */
  update(lines: readonly string[]): void;
}

/**
 * A block of lines. On a terminal the block is redrawn in place (cursor up, clear line) when a line changed;
 * elsewhere (a pipe, a log file, CI) a line is printed again only when its text changed.
 */
export function createProgressDisplay(out: Output, options: { tty?: boolean } = {}): ProgressDisplay {
  const tty = options.tty ?? out.isTTY === true;
  let drawn: readonly string[] = [];
  return {
    update(update) {
      const lines = [...update];
      if (tty) {
        // a wrapped line would throw the cursor-up count off: cut lines to the terminal's width
        if (out.columns)
          lines.forEach((line, i) => {
            if (line.length >= out.columns!) lines[i] = `${line.slice(0, out.columns! - 2)}…`;
          });
        if (lines.length === drawn.length && lines.every((line, i) => line === drawn[i])) return;
        let text = drawn.length > 0 ? `\x1b[${drawn.length}A` : '';
        for (const line of lines) text += `\x1b[2K\r${line}\n`;
        out.write(text);
        drawn = lines;
        return;
      }
      lines.forEach((line, i) => {
        if (drawn[i] !== line) out.write(`${line}\n`);
      });
      drawn = lines;
    },
  };
}
