/** Live progress (lib/cli/progress.ts): the sweep's progress bar, and the block of lines the CLI and the demo keep up to date. */
import { describe, expect, it } from 'vitest';
import { createProgressDisplay, progressLine } from '../../../lib/cli/progress.ts';

describe('progressLine', () => {
  it('fills the bar by counted / found', () => {
    expect(progressLine({ found: 4, aborted: 2, failed: 1 }, 8)).toBe('[██████░░] 3/4  found 4 · aborted 2 · failed 1 · 0 B');
    expect(progressLine({ found: 0 }, 4)).toBe('[░░░░] 0/0  found 0 · aborted 0 · failed 0 · 0 B');
    expect(progressLine({ found: 2, wouldAbort: 2, dryRun: true }, 4)).toBe('[████] 2/2  found 2 · would abort 2 · failed 0 · 0 B');
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
