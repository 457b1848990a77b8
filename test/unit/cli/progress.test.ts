/** Live progress (lib/cli/progress.ts): the sweep's progress bar, and the block of lines the CLI and the demo keep up to date. */
import { describe, expect, it } from 'vitest';
import { createProgressDisplay, createRateMeter, formatDuration, progressLine, recentRate, timeLeft } from '../../../lib/cli/progress.ts';

describe('progressLine', () => {
  it('once the listing ended: a bar of done / found, "of N", the rate and the time left', () => {
    expect(progressLine({ found: 4, aborted: 2, failed: 1 }, { listingEnded: true, rate: 0.5 }, 8)).toBe(
      '[██████░░] 3 of 4 · 0.5/s · 2s left · aborted 2 · failed 1 · 0 B',
    );
    expect(progressLine({ found: 0 }, { listingEnded: true }, 4)).toBe('[████] 0 of 0 · – /s · 0s left · aborted 0 · failed 0 · 0 B');
    expect(progressLine({ found: 400, wouldAbort: 100, dryRun: true }, { listingEnded: true, rate: 2 }, 4)).toBe(
      '[█░░░] 100 of 400 · 2.0/s · 2m 30s left · would abort 100 · failed 0 · 0 B',
    );
    expect(progressLine({ found: 400, aborted: 100 }, { listingEnded: true }, 4)).toBe('[█░░░] 100 of 400 · – /s · time left – · aborted 100 · failed 0 · 0 B');
  });

  it('while the listing goes on: the count found so far, labelled so, no bar and no time left', () => {
    expect(progressLine({ found: 400, aborted: 118, failed: 2, bytesFound: 2048 }, { listingEnded: false, rate: 12.5 })).toBe(
      '120 done · 400 found so far · 12.5/s · time left – · aborted 118 · failed 2 · 2.0 KiB',
    );
    expect(progressLine({ found: 3, skippedActive: 1 })).toBe('1 done · 3 found so far · – /s · time left – · aborted 0 · failed 0 · skipped 1 · 0 B');
  });
});

describe('rate and time left', () => {
  it('measures uploads done a second over the recent window, by the clock given', () => {
    // Arrange: a fake clock; 10 uploads a second for a minute, then 100 a second
    let now = 0;
    const meter = createRateMeter(() => now, 30_000);
    const rates: Array<number | undefined> = [];

    // Act
    let done = 0;
    rates.push(meter.add(done));
    for (let second = 5; second <= 60; second += 5) {
      now = second * 1000;
      done += 50;
      rates.push(meter.add(done));
    }
    for (let second = 65; second <= 95; second += 5) {
      now = second * 1000;
      done += 500;
      rates.push(meter.add(done));
    }

    // Assert
    expect(rates[0]).toBeUndefined(); // one sample: no rate yet
    expect(rates[12]).toBe(10);
    expect(rates.at(-1)).toBe(100); // the window holds only the faster minute's half
    expect(rates[13]).toBeCloseTo((50 * 5 + 500) / 30, 6); // 25 s at 10/s and 5 s at 100/s
  });

  it('is none without two samples or time between them; never negative', () => {
    expect(recentRate([])).toBeUndefined();
    expect(recentRate([{ at: 1000, done: 5 }])).toBeUndefined();
    expect(
      recentRate([
        { at: 1000, done: 5 },
        { at: 1000, done: 9 },
      ]),
    ).toBeUndefined();
    expect(
      recentRate([
        { at: 0, done: 9 },
        { at: 2000, done: 5 },
      ]),
    ).toBe(0);
  });

  it('time left is remaining / rate, none at no rate, 0 when nothing remains', () => {
    expect(timeLeft(300, 10)).toBe(30);
    expect(timeLeft(300, 0)).toBeUndefined();
    expect(timeLeft(300, undefined)).toBeUndefined();
    expect(timeLeft(0, undefined)).toBe(0);
    expect([45, 200, 7500, 0.2].map(formatDuration)).toEqual(['45s', '3m 20s', '2h 05m', '1s']);
  });
});

describe('createProgressDisplay', () => {
  it('redraws in place on a terminal and prints only changed lines elsewhere', () => {
    // Arrange
    const tty: string[] = [];
    const plain: string[] = [];
    const onTty = createProgressDisplay({ write: (t: string) => tty.push(t) }, { tty: true });
    const onPipe = createProgressDisplay({ write: (t: string) => plain.push(t) }, { tty: false });
    const lines = (state: string) => [`a  RUNNING  ${state}`, 'b  RUNNING  Count parts'];

    // Act
    for (const display of [onTty, onPipe]) {
      display.update(lines('Abort upload'));
      display.update(lines('Wait for in-flight parts'));
      display.update(lines('Wait for in-flight parts'));
    }

    // Assert
    expect(tty).toHaveLength(2);
    expect(tty[0].startsWith('\x1b[')).toBe(true);
    expect(tty[0]).not.toContain('\x1b[2A');
    expect(tty[1].startsWith('\x1b[2A')).toBe(true);
    expect(plain).toEqual(['a  RUNNING  Abort upload\n', 'b  RUNNING  Count parts\n', 'a  RUNNING  Wait for in-flight parts\n']);
    expect(plain.join('')).not.toContain('\x1b');
  });

  it('cuts lines to the terminal width so that the cursor-up count holds', () => {
    // Arrange
    const written: string[] = [];
    const display = createProgressDisplay({ write: (t: string) => written.push(t), isTTY: true, columns: 10 });

    // Act
    display.update(['0123456789abc']);

    // Assert
    expect(written).toEqual(['\x1b[2K\r01234567…\n']);
  });
});
