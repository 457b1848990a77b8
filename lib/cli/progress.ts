/** Live progress on a terminal or in a log: the sweep's progress bar, and a block of lines kept up to date. */
import type { SweepRecord } from '../records.ts';
import { shortBytes } from './format.ts';

/** one line: [██████░░░░] 120/400  found 400 · aborted 118 · failed 2 · 1.2 GiB */
export function progressLine(sweep: Partial<SweepRecord>, width = 24): string {
  const found = sweep.found ?? 0;
  const counters = ['aborted', 'notFound', 'partsRemain', 'failed', 'wouldAbort', 'busy', 'skippedActive', 'skippedUnreadable'] as const;
  const counted = counters.reduce((sum, name) => sum + (sweep[name] ?? 0), 0);
  const skipped = (sweep.skippedActive ?? 0) + (sweep.skippedUnreadable ?? 0);
  const filled = found === 0 ? 0 : Math.min(width, Math.round((counted / found) * width));
  const done = sweep.dryRun ? `would abort ${sweep.wouldAbort ?? 0}` : `aborted ${sweep.aborted ?? 0}`;
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${counted}/${found}  found ${found} · ${done} · failed ${(sweep.failed ?? 0) + (sweep.partsRemain ?? 0)}${skipped > 0 ? ` · skipped ${skipped}` : ''} · ${shortBytes(sweep.bytesFound ?? 0)}`;
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
