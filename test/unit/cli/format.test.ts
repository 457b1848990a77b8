/** The CLI's text layout (lib/cli/format.ts): bytes in human units, aligned fields, plain tables (also the demo's). */
import { describe, expect, it } from 'vitest';
import { formatFields, formatTable, humanBytes, shortBytes } from '../../../lib/cli/format.ts';

describe('formatTable', () => {
  it('lays out a table with a header rule and blank cells for missing values', () => {
    // Arrange / Act
    const table = formatTable(
      ['key', 'status', 'attempts'],
      [
        ['a.bin', 'ABORTED', 1],
        ['longer/key', undefined, 12],
      ],
    );

    // Assert
    expect(table.split('\n')).toEqual(['key         status   attempts', '----------  -------  --------', 'a.bin       ABORTED  1', 'longer/key           12']);
  });

  it('leaves the rule out with rule: false, and the header out without one', () => {
    // Act
    const listing = formatTable(['id', 'found'], [['sweep-1', 3]], { rule: false });
    const pairs = formatTable(undefined, [
      ['status', 'COMPLETED'],
      ['bytesFound', '10 B'],
    ]);

    // Assert
    expect(listing).toBe('id       found\nsweep-1  3');
    expect(pairs).toBe('status      COMPLETED\nbytesFound  10 B');
  });
});

describe('bytes and fields', () => {
  it('gives bytes in human units, with the exact count unless short', () => {
    expect(humanBytes(10)).toBe('10 B');
    expect(humanBytes(3 * 1024 * 1024)).toBe('3.0 MiB (3145728 bytes)');
    expect(shortBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(shortBytes(10)).toBe('10 B');
  });

  it('aligns "field: value" lines and leaves out undefined and empty values', () => {
    expect(formatFields({ id: 'x', status: 'ABORTED', error: '', cause: undefined })).toBe('id:     x\nstatus: ABORTED\n');
  });
});
