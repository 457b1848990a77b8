/** The CLI's text layout (lib/cli/format.ts): bytes in human units, aligned fields, plain tables (also the demo's). */
import { describe, expect, it } from 'vitest';
import { formatFields, formatRecord, formatTable, humanBytes, shortBytes } from '../../../lib/cli/format.ts';

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

describe('formatRecord with history', () => {
  it('lists the earlier runs a record keeps, oldest first, one line each, after the fields', () => {
    // Act
    const text = formatRecord({
      id: 'x',
      recordType: 'upload',
      bucket: 'b',
      key: 'k',
      uploadId: 'u',
      status: 'NOT_FOUND',
      attempts: 0,
      trigger: 'cli',
      executionArn: 'arn:new',
      startedAt: '2026-12-07T10:00:00Z',
      expiresAt: 1_800_000_000,
      history: [
        { status: 'WOULD_ABORT', partsFound: 2, bytesFound: 30, trigger: 'sweep', dryRun: true, finishedAt: '2026-12-07T09:00:00Z' },
        { status: 'ABORTED', partsFound: 2, bytesFound: 30, trigger: 'api', finishedAt: '2026-12-07T09:30:00Z' },
      ],
    });

    // Assert
    expect(text).toMatch(/^status:\s+NOT_FOUND$/m);
    expect(
      text.endsWith(
        'history (earlier runs, oldest first):\n' +
          '  WOULD_ABORT · 2 parts, 30 B · by sweep (dry run) · 2026-12-07T09:00:00Z\n' +
          '  ABORTED · 2 parts, 30 B · by api · 2026-12-07T09:30:00Z\n',
      ),
    ).toBe(true);
  });
});
