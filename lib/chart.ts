/**
 * A vega-lite spec → PNG (vega renders it to SVG headless, @resvg/resvg-js rasterizes it): the bench's charts and
 * `mpu-reaper report --chart`. The three packages are devDependencies (a native rasterizer, ~10 MB, that no Lambda and
 * no other command needs): they are imported when a chart is drawn, and a CLI without them says what to install.
 */
import type { TopLevelSpec } from 'vega-lite';

export const CHART_PACKAGES = ['vega', 'vega-lite', '@resvg/resvg-js'] as const;

export class ChartUnavailable extends Error {
  override name = 'ChartUnavailable';
}

export async function renderPng(spec: TopLevelSpec): Promise<Buffer> {
  let modules: [typeof import('vega'), typeof import('vega-lite'), typeof import('@resvg/resvg-js')];
  try {
    modules = await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]);
  } catch (error) {
    throw new ChartUnavailable(`a chart needs ${CHART_PACKAGES.join(', ')} (npm install ${CHART_PACKAGES.join(' ')}): ${(error as Error).message}`);
  }
  const [vega, vegaLite, { Resvg }] = modules;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return Buffer.from(new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng());
}
