/** The chart of uploads/s per tool and N, drawn by the shared renderer (lib/chart.ts). */
import type * as vegaLite from 'vega-lite';
import { renderPng } from '../../lib/chart.ts';
import type { Row } from './report.ts';

export async function uploadsPerSecondPng(rows: Row[]): Promise<Buffer> {
  const values = [...rows]
    .sort((a, b) => a.latencyMs - b.latencyMs || a.n - b.n)
    .map((r) => ({
      run: r.runLabel,
      tool: r.tool,
      uploadsPerSecond: r.uploadsPerSecond,
      label: r.uploadsPerSecond.toFixed(r.uploadsPerSecond < 10 ? 1 : 0),
    }));
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Incomplete uploads swept per second (one moto_server per run, 2 shared cores)', fontSize: 15 },
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
