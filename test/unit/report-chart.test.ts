/** `report --chart`: bytes freed per day by bucket (lib/report/chart.ts), drawn by the shared renderer (lib/chart.ts). */
import { describe, expect, it } from 'vitest';
import { renderPng } from '../../lib/chart.ts';
import { bytesFreedByDay, bytesFreedChartSpec } from '../../lib/report/chart.ts';
import type { SavedRecord } from '../../lib/report/report.ts';

const row = (over: Partial<SavedRecord>): SavedRecord => ({
  bucket: 'logs',
  status: 'ABORTED',
  startedAt: '2026-12-01T09:00:00.000Z',
  finishedAt: '2026-12-01T10:00:00.000Z',
  partsFound: 1,
  bytesFound: 100,
  ...over,
});
const ROWS = [
  row({}),
  row({ bytesFound: 50 }),
  row({ bucket: 'media', bytesFound: 7, finishedAt: '2026-12-02T00:00:01.000Z' }),
  // what freed nothing, or has no day, is not drawn
  row({ status: 'NOT_FOUND', bytesFound: 999 }),
  row({ partsFound: 0, bytesFound: 0 }),
  row({ month: '2026-09', uploads: 40, bytesFound: 4000, startedAt: '2026-09' }),
];

describe('the chart of bytes freed', () => {
  it('sums the ABORTED rows with parts by UTC day and bucket; the ledger months have no day', () => {
    expect(bytesFreedByDay(ROWS)).toEqual([
      { day: '2026-12-01', bucket: 'logs', bytesFreed: 150 },
      { day: '2026-12-02', bucket: 'media', bytesFreed: 7 },
    ]);
  });

  it('is a vega-lite bar chart stacked by bucket, day on x and MiB on y', () => {
    type Channel = { field?: string; stack?: string };
    const spec = bytesFreedChartSpec(ROWS, '2026-11-07T12:00:00.000Z') as unknown as {
      mark: unknown;
      encoding: Record<'x' | 'y' | 'color', Channel>;
      data: { values: unknown[] };
    };
    expect(spec.mark).toEqual({ type: 'bar' });
    expect(spec.encoding.x.field).toBe('day');
    expect(spec.encoding.y).toMatchObject({ field: 'mebibytes', stack: 'zero' });
    expect(spec.encoding.color.field).toBe('bucket');
    expect(spec.data.values).toEqual([
      { day: '2026-12-01', bucket: 'logs', bytesFreed: 150, mebibytes: 150 / 2 ** 20 },
      { day: '2026-12-02', bucket: 'media', bytesFreed: 7, mebibytes: 7 / 2 ** 20 },
    ]);
  });

  it('renders to a PNG (its signature, and a real image of the chart size)', async () => {
    const png = await renderPng(bytesFreedChartSpec(ROWS, '2026-11-07T12:00:00.000Z'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR: width and height (zoom 2 of the 760 × 380 plot, its axes, legend and title)
    expect(png.readUInt32BE(16)).toBeGreaterThan(1500);
    expect(png.readUInt32BE(20)).toBeGreaterThan(760);
  }, 30_000);
});
