/** The chart of uploads/s per tool and N, drawn by the shared renderer (lib/chart.ts). */
import type * as vegaLite from 'vega-lite';
import { renderPng } from '../../lib/chart.ts';
import { groupsBy, median, round } from './measure.ts';
import type { Row } from './report.ts';

/** one bar per (N and latency, tool): the median of that tool's runs there (race rounds run it more than once) */
export function chartValues(rows: Row[]) {
  const sorted = [...rows].sort((a, b) => a.latencyMs - b.latencyMs || a.n - b.n);
  return groupsBy(sorted, (r) => `${r.runLabel}\n${r.tool}`).map((of) => {
    const uploadsPerSecond = round(median(of.map((r) => r.uploadsPerSecond)));
    return { run: of[0].runLabel, tool: of[0].tool, uploadsPerSecond, label: uploadsPerSecond.toFixed(uploadsPerSecond < 10 ? 1 : 0) };
  });
}

export async function uploadsPerSecondPng(rows: Row[]): Promise<Buffer> {
  const values = chartValues(rows);
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Incomplete uploads swept per second (one moto_server per run, 2 shared cores; medians of race rounds)', fontSize: 15 },
    width: 760,
    height: 380,
    background: 'white',
    padding: 12,
    data: { values },
    encoding: {
      x: {
        field: 'run',
        type: 'nominal',
        sort: null,
        title: 'uploads (1 KiB part each), latency added to every request',
        axis: { labelAngle: 0, labelFontSize: 12 },
      },
      xOffset: { field: 'tool', type: 'nominal' },
      y: {
        field: 'uploadsPerSecond',
        type: 'quantitative',
        scale: { type: 'symlog', constant: 10 },
        title: 'uploads per second (symlog scale)',
        axis: { values: [1, 10, 25, 50, 100, 250, 500, 1000] },
      },
      color: { field: 'tool', type: 'nominal', title: null, legend: { orient: 'top', labelFontSize: 12, labelLimit: 400, columns: 2 } },
    },
    layer: [{ mark: { type: 'bar' } }, { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { text: { field: 'label', type: 'nominal' } } }],
  };
  return renderPng(spec);
}
