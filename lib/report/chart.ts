/**
 * `mpu-reaper report --chart FILE.png`: bytes freed per day by bucket, as stacked bars (vega-lite, drawn by
 * lib/chart.ts). Days are UTC days of finishedAt, as the report's; months read from the ledger have no days: not drawn.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SavedRecord } from './report.ts';

const MiB = 1024 * 1024;

/** bytes freed per day and bucket: the ABORTED rows with parts, from the records (ledger rows have no day) */
export function bytesFreedByDay(rows: Iterable<SavedRecord>): Array<{ day: string; bucket: string; bytesFreed: number }> {
  const cells = new Map<string, { day: string; bucket: string; bytesFreed: number }>();
  for (const r of rows) {
    if (r.status !== 'ABORTED' || r.month || r.partsFound === 0) continue;
    const day = (r.finishedAt ?? r.startedAt).slice(0, 10);
    const cell = cells.get(`${day}\n${r.bucket}`) ?? { day, bucket: r.bucket, bytesFreed: 0 };
    cell.bytesFreed += r.bytesFound ?? 0;
    cells.set(`${day}\n${r.bucket}`, cell);
  }
  return [...cells.values()].sort((a, b) => a.day.localeCompare(b.day) || a.bucket.localeCompare(b.bucket));
}

export function bytesFreedChartSpec(rows: Iterable<SavedRecord>, since: string): TopLevelSpec {
  const values = bytesFreedByDay(rows).map((c) => ({ ...c, mebibytes: c.bytesFreed / MiB }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Bytes freed per day by bucket, since ${since.slice(0, 10)}`, fontSize: 15 },
    width: 760,
    height: 380,
    background: 'white',
    padding: 12,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'day', type: 'ordinal', title: 'day (UTC)', axis: { labelAngle: -45 } },
      y: { field: 'mebibytes', type: 'quantitative', stack: 'zero', title: 'MiB freed' },
      color: { field: 'bucket', type: 'nominal', title: 'bucket', legend: { orient: 'top', labelLimit: 400 } },
      tooltip: [{ field: 'day' }, { field: 'bucket' }, { field: 'bytesFreed', type: 'quantitative', title: 'bytes freed' }],
    },
  };
}
